"""polyframe backend for jax (placeholder until implemented)."""

from polyframe_jax._backend import JaxBackend as JaxBackend
