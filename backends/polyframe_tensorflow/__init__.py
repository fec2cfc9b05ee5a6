"""polyframe backend for TensorFlow: specs lower to Keras 3 models on the TensorFlow backend.

Importing this package does not import TensorFlow; the framework is loaded when the backend
first builds or runs something.
"""

from polyframe_tensorflow._backend import TensorFlowBackend as TensorFlowBackend
from polyframe_tensorflow._lowered import Lowered as Lowered

__all__ = ["Lowered", "TensorFlowBackend"]
