"""Input and parameter gradients of ``sum(model(x) * cotangent)``, in canonical layout.

``jax.grad`` over the ``nnx.Param`` state gives gradients shaped like the native variables;
they are written into the module for one ``export_params`` call (then the parameters are put
back), so each layer's own (linear) dump carries them into the canonical layout.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from polyframe_jax.module import training_mode


def gradients(
    model: Any, x: jax.Array, cotangent: np.ndarray, names: tuple[str, ...]
) -> tuple[np.ndarray | None, dict[str, np.ndarray]]:
    """``(dx, {canonical name: gradient})`` in inference mode (dx None for integer inputs)."""
    floating = jnp.issubdtype(x.dtype, jnp.floating)
    with training_mode(model, False):
        graphdef, params, rest = nnx.split(model, nnx.Param, ...)
        cot = jnp.asarray(cotangent)

        def loss(p: Any, inputs: jax.Array) -> jax.Array:
            out = nnx.merge(graphdef, p, rest, copy=True)(inputs)
            return jnp.sum(out * cot.astype(out.dtype))

        if floating:
            grads, dx = jax.grad(loss, argnums=(0, 1))(params, x)
        else:
            grads, dx = jax.grad(loss)(params, x), None
        nnx.update(model, grads)
        try:
            exported = model.export_params()
        finally:
            nnx.update(model, params)
    return (None if dx is None else np.asarray(dx)), {k: exported[k] for k in names}
