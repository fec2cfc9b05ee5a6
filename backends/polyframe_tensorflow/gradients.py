"""Input and parameter gradients of ``sum(model(x) * cotangent)``, in canonical layout.

``tf.GradientTape`` gives gradients in the shapes of the Keras variables; each trainable
variable's value is swapped with its gradient for one ``export_params`` call, so the layer's
own (linear) dump — reshapes, GRU block reordering — carries it into the canonical layout.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from polyframe_tensorflow._env import tf
from polyframe_tensorflow.params import export_params


def gradients(
    model: Any, x: Any, cotangent: np.ndarray, names: tuple[str, ...]
) -> tuple[np.ndarray | None, dict[str, np.ndarray]]:
    """``(dx, {canonical name: gradient})`` in inference mode (dx None for integer inputs)."""
    x = tf.convert_to_tensor(x)
    floating = x.dtype.is_floating
    variables = list(model.trainable_variables)
    with tf.GradientTape() as tape:
        if floating:
            tape.watch(x)
        out = model(x, training=False)
        loss = tf.reduce_sum(out * tf.cast(cotangent, out.dtype))
    grads = tape.gradient(loss, variables + ([x] if floating else []))
    saved = [v.numpy() for v in variables]
    try:
        for var, g in zip(variables, grads[: len(variables)], strict=True):
            var.assign(tf.zeros_like(var) if g is None else tf.convert_to_tensor(g))
        exported = export_params(model)
    finally:
        for var, value in zip(variables, saved, strict=True):
            var.assign(value)
    dx = grads[-1].numpy() if floating else None
    return dx, {k: exported[k] for k in names}
