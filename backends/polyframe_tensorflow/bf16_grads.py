"""bfloat16 precision's one gradient rule on TensorFlow: weight gradients are summed in float32.

Keras' ``mixed_bfloat16`` policy runs a Dense layer's ``x @ kernel`` on bfloat16 operands and
its gradient ``dkernel = x.T @ dy`` comes back as a bfloat16 tensor: a sum over this replica's
rows, rounded. Under data parallelism N replicas would round N partial sums before the float32
all-reduce adds them, where one replica rounds the whole batch's sum once. :class:`Dense` keeps
the bfloat16 forward but returns the kernel and bias gradients accumulated in float32 (the
products of the same bfloat16 operands); :func:`round_grads` rounds them to bfloat16 once,
after the all-reduce. That is JAX's rule (the gradient of the float32 -> bfloat16 cast of the
master weight, applied to the global batch's float32 sum), so one replica trains as before
and N replicas train as one. Other dtype policies run Keras' own ``Dense.call``.
"""

from __future__ import annotations

from typing import Any

from polyframe_tensorflow._env import keras, tf


def _matmul(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor | None) -> tf.Tensor:
    """``x @ kernel (+ bias)`` on bfloat16 operands; float32 kernel and bias gradients."""

    @tf.custom_gradient
    def forward(x: tf.Tensor, kernel: tf.Tensor, *bias: tf.Tensor) -> Any:
        y = tf.matmul(x, kernel)
        if bias:
            y = y + bias[0]

        def grad(dy: tf.Tensor) -> Any:
            dx = tf.matmul(dy, kernel, transpose_b=True)
            dy32 = tf.reshape(tf.cast(dy, tf.float32), [-1, tf.shape(dy)[-1]])
            x32 = tf.reshape(tf.cast(x, tf.float32), [-1, tf.shape(x)[-1]])
            dk = tf.matmul(x32, dy32, transpose_a=True)
            return (dx, dk, tf.reduce_sum(dy32, 0)) if bias else (dx, dk)

        return y, grad

    return forward(x, kernel) if bias is None else forward(x, kernel, bias)


@keras.saving.register_keras_serializable(package="polyframe")
class Dense(keras.layers.Dense):
    """``keras.layers.Dense``; under ``mixed_bfloat16`` its kernel and bias gradients are
    accumulated in float32 (see the module docstring)."""

    def call(self, inputs: Any, training: Any = None) -> Any:
        if self.compute_dtype != "bfloat16" or self.quantization_mode or self.lora_enabled:
            return super().call(inputs, training=training)
        kernel = tf.convert_to_tensor(self.kernel)  # the autocast (bfloat16) read
        bias = None if self.bias is None else tf.convert_to_tensor(self.bias)
        x = _matmul(tf.cast(inputs, tf.bfloat16), kernel, bias)
        return x if self.activation is None else self.activation(x)


def mask(model: Any) -> list[bool]:
    """For each trainable variable of ``model``: is its gradient summed in float32 (a
    :class:`Dense` variable under ``mixed_bfloat16``)?"""
    ids = {
        id(v)
        for layer in model._flatten_layers()
        if isinstance(layer, Dense) and layer.compute_dtype == "bfloat16"
        for v in layer.trainable_variables
    }
    return [id(v) in ids for v in model.trainable_variables]


def round_grads(grads: list[Any], which: list[bool]) -> list[Any]:
    """``grads`` with those marked in ``which`` rounded to bfloat16 values (kept float32)."""
    return [
        tf.cast(tf.cast(g, tf.bfloat16), g.dtype) if m else g
        for g, m in zip(grads, which, strict=True)
    ]
