"""polyframe backend for tensorflow (placeholder until implemented)."""

from polyframe_tensorflow._backend import TensorFlowBackend as TensorFlowBackend
