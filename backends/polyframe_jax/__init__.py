"""polyframe backend for JAX / Flax NNX / optax.

Importing this package registers the built-in layer lowerings in polyframe's lowering table
when JAX and Flax are installed; without them only :class:`JaxBackend` is defined, and its
``available()`` says what is missing.
"""

from polyframe_jax._backend import JaxBackend as JaxBackend

__all__ = [
    "JaxBackend",
    "Lowered",
    "PolyframeGraph",
    "PolyframeSequential",
    "lowering_dtype",
    "lowering_rngs",
]

if JaxBackend.available()[0]:
    from polyframe_jax.compile_cache import enable_compile_cache

    enable_compile_cache()  # before anything compiles: warm starts for the next process
    from polyframe.gc_freeze import freeze_import_objects
    from polyframe_jax import batchnorm as _batchnorm  # noqa: F401  (registers BatchNorm)
    from polyframe_jax import layers as _layers  # noqa: F401  (registers built-in lowerings)
    from polyframe_jax import (  # noqa: F401  (the layer catalogue, one family per module)
        layers_attention,
        layers_conv,
        layers_embedding,
        layers_forward,
        layers_norms,
        layers_pooling1d,
        layers_recurrent,
        layers_reshaping,
    )
    from polyframe_jax import layers_audio as _layers_audio  # noqa: F401  (audio features)
    from polyframe_jax import merge as _merge  # noqa: F401  (registers the merge lowerings)
    from polyframe_jax.graph import PolyframeGraph as PolyframeGraph
    from polyframe_jax.lowering import Lowered as Lowered
    from polyframe_jax.lowering import lowering_dtype as lowering_dtype
    from polyframe_jax.lowering import lowering_rngs as lowering_rngs
    from polyframe_jax.module import PolyframeSequential as PolyframeSequential

    freeze_import_objects("jax")  # JAX, Flax and optax: out of the collector's way
