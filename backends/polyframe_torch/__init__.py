"""polyframe backend for PyTorch: a spec becomes a ``torch.nn.Sequential`` of torch layers.

Importing this package does not import torch; :class:`TorchBackend` imports it when it is
instantiated (after :meth:`TorchBackend.available` said yes).
"""

from polyframe_torch._backend import TorchBackend as TorchBackend
from polyframe_torch.lowered import Lowered as Lowered

__all__ = ["Lowered", "TorchBackend"]
