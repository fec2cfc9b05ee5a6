"""Host placeholders for building ``flax.nnx`` modules whose values polyframe loads right after.

A fresh process pays for every distinct small XLA program it runs eagerly: each is traced,
lowered and compiled (or, with the persistent compilation cache, loaded from disk). Creating
an ``nnx.Rngs``, drawing a key per parameter and filling each parameter shape with
``jnp.zeros`` were ~18 such programs for a 2-layer MLP, two thirds of a warm process's build
and first step. The built-in lowerings instead give their modules numpy zeros or ones drawn
from no key; :func:`polyframe_jax.params.set_variable` replaces each with a device copy of
the canonical value (``jax.device_put``: no program), and
:func:`polyframe_jax.params.place_on_device` moves any left over.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np


def host_zeros(key: Any, shape: Any, dtype: Any = jnp.float32) -> np.ndarray:
    """An ``nnx`` initializer that ignores ``key``: numpy zeros."""
    return np.zeros(shape, jnp.dtype(dtype))


def host_ones(key: Any, shape: Any, dtype: Any = jnp.float32) -> np.ndarray:
    """An ``nnx`` initializer that ignores ``key``: numpy ones."""
    return np.ones(shape, jnp.dtype(dtype))


class NoKeys:
    """Passed as ``rngs`` to ``nnx`` layers whose initializers ignore their key
    (:func:`host_zeros`, :func:`host_ones`): ``rngs.params()`` gives None instead of a key."""

    def params(self) -> None:
        """No key: the initializers this goes with take none."""
        return None
