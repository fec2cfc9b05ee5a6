"""polyframe backend for torch (placeholder until implemented)."""

from polyframe_torch._backend import TorchBackend as TorchBackend
