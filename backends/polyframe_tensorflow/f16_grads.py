"""float16 precision on TensorFlow: convolution gradients summed in float32, rounded once.

TensorFlow's CPU kernels accumulate a float16 convolution's gradients in float16: the bias
gradient (Keras adds the bias with ``ops.add``: a float16 ``reduce_sum`` over batch and
positions, eight interleaved partial sums) and the kernel gradient (``Conv2DBackpropFilter``).
Such sums lose the small terms next to a large one and overflow where the sum does not (a
CNN's kernel gradient of 60384 came out inf, skipping a step that torch and JAX kept). torch's
autocast, XLA (JAX) and ``BiasAddGrad`` sum float16 values in float32 and round once;
:class:`Conv1D` and :class:`Conv2D` do the same under ``mixed_float16``: the forward is
unchanged (a float16 convolution, a float16 ``tf.nn.bias_add``), the convolution's backward
runs on the float16 values upcast to float32 and its input and kernel gradients are rounded
to float16 once, and the bias gradient is ``BiasAddGrad``'s.
"""

from __future__ import annotations

from typing import Any

from polyframe_tensorflow._env import keras, tf


def _conv(layer: Any, x: Any, kernel: Any) -> Any:
    """``layer``'s float16 convolution of ``x`` with a float32-accumulated backward."""

    @tf.custom_gradient
    def conv(x: Any, kernel: Any) -> Any:
        def grad(g: Any) -> tuple[Any, Any]:
            x32, k32 = tf.cast(x, tf.float32), tf.cast(kernel, tf.float32)
            with tf.GradientTape() as tape:
                tape.watch([x32, k32])
                y32 = layer.convolution_op(x32, k32)
            dx, dk = tape.gradient(y32, [x32, k32], output_gradients=tf.cast(g, tf.float32))
            return tf.cast(dx, x.dtype), tf.cast(dk, kernel.dtype)

        return layer.convolution_op(x, kernel), grad

    return conv(x, kernel)


class _F16Conv:
    """Under ``mixed_float16``: the convolution through :func:`_conv`, the bias through
    ``tf.nn.bias_add`` (channels-last, as polyframe builds them)."""

    def call(self, inputs: Any) -> Any:
        if self.compute_dtype != "float16" or self.data_format != "channels_last":  # type: ignore[attr-defined]
            return super().call(inputs)  # type: ignore[misc]
        kernel = tf.convert_to_tensor(self.kernel)  # type: ignore[attr-defined]  # float16 read
        y = _conv(self, tf.cast(inputs, tf.float16), kernel)
        if self.use_bias:  # type: ignore[attr-defined]
            y = tf.nn.bias_add(y, tf.cast(self.bias, y.dtype))  # type: ignore[attr-defined]
        activation = self.activation  # type: ignore[attr-defined]
        return y if activation is None else activation(y)


@keras.saving.register_keras_serializable(package="polyframe")
class Conv1D(_F16Conv, keras.layers.Conv1D):
    """``keras.layers.Conv1D`` with :class:`_F16Conv` (not causal: polyframe has no causal)."""


@keras.saving.register_keras_serializable(package="polyframe")
class Conv2D(_F16Conv, keras.layers.Conv2D):
    """``keras.layers.Conv2D`` with :class:`_F16Conv`."""
