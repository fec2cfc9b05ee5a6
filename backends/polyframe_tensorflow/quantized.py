"""int8 kernels for polyframe.compress on TensorFlow.

Path: ``tf.linalg.matmul(int8, int8, output_type=tf.int32)`` (TensorFlow's int8 GEMM with
int32 output, the op Keras 3's ``int8`` quantized Dense calls) for Dense, and for
convolutions im2col with ``tf.image.extract_patches`` followed by the same matmul:
``tf.nn.conv2d`` has no int8 kernel on the CPU. (TFLite is TensorFlow's deployment int8 path;
it requantizes to int8 outputs, so its int32 accumulators are not observable.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from polyframe.compress.schemes import QMAX


class Int8Ops:
    """:class:`polyframe.compress.plan.QuantOps` with eager TensorFlow tensors."""

    def __init__(self, backend: Any) -> None:
        from polyframe_tensorflow._env import tf

        self.tf = tf
        self.be = backend
        self.qmax = tf.constant([float(QMAX)], tf.float32)
        self.one = tf.ones([1], tf.float32)

    def asarray(self, a: np.ndarray) -> Any:
        a = np.asarray(a)
        return self.be.from_numpy(np.array(a.reshape(a.shape or (1,))))

    def numpy(self, t: Any) -> np.ndarray:
        return np.asarray(t)

    def lower(self, spec: Any, params: dict[str, np.ndarray]) -> Any:
        return self.be.lower(spec, params)

    def run_float(self, native: Any, x: Any) -> Any:
        return self.be.forward(native, x, False)

    def absmax_scale(self, x: Any) -> Any:
        tf = self.tf
        m = tf.reshape(tf.reduce_max(tf.abs(x)), [1])
        return tf.where(m > 0, tf.math.truediv(m, self.qmax), self.one)

    def quantize(self, x: Any, scale: Any) -> Any:
        tf = self.tf
        q = tf.round(tf.math.truediv(x, scale))  # round half to even, like numpy
        return tf.cast(tf.clip_by_value(q, -float(QMAX), float(QMAX)), tf.int8)

    def _mm(self, a: Any, b: Any) -> Any:
        return self.tf.linalg.matmul(a, b, output_type=self.tf.int32)

    def int_dense(self, xq: Any, kernel: Any) -> Any:
        tf = self.tf
        acc = self._mm(tf.reshape(xq, [-1, xq.shape[-1]]), kernel)
        return tf.reshape(acc, [*xq.shape[:-1], kernel.shape[-1]])

    def int_conv2d(self, xq: Any, kernel: Any, strides: tuple, pads: tuple) -> Any:
        tf = self.tf
        kh, kw, cin, out = kernel.shape
        x = tf.pad(xq, [[0, 0], list(pads[0]), list(pads[1]), [0, 0]])
        patches = tf.image.extract_patches(  # (kh, kw, C) in each patch, row-major
            x, [1, kh, kw, 1], [1, strides[0], strides[1], 1], [1, 1, 1, 1], "VALID"
        )
        n, h, w = patches.shape[:3]
        acc = self._mm(tf.reshape(patches, [-1, kh * kw * cin]), tf.reshape(kernel, [-1, out]))
        return tf.reshape(acc, [n, h, w, out])

    def expand_h(self, x: Any) -> Any:
        return x[:, None]

    def squeeze_h(self, x: Any) -> Any:
        return x[:, 0]

    def mul(self, a: Any, b: Any) -> Any:
        return a * b

    def export_tflite(self, qmodel: Any, path: Any, calibration: np.ndarray) -> Any:
        """See :func:`export_tflite`."""
        return export_tflite(qmodel, path, calibration)

    def rescale(self, acc: Any, mult: Any, bias: Any, activation: str) -> Any:
        tf = self.tf
        y = tf.cast(acc, tf.float32) * mult
        if bias is not None:
            y = y + bias
        if activation == "identity":
            return y
        fns = {
            "relu": tf.nn.relu,
            "tanh": tf.tanh,
            "sigmoid": tf.sigmoid,
            "gelu": lambda v: tf.nn.gelu(v, approximate=False),
            "gelu_tanh": lambda v: tf.nn.gelu(v, approximate=True),
            "softmax": tf.nn.softmax,
        }
        return fns[activation](y)


def export_tflite(qmodel: Any, path: Any, calibration: np.ndarray) -> Any:
    """Convert a quantized model to a TFLite full-integer model (int8 weights and
    activations, float32 input and output) and write it to ``path``.

    The graph is the float model with the dequantized kernels (``q * scale``), frozen to
    constants; TFLite's converter re-quantizes the kernels per output channel, symmetric,
    which gives back the same int8 values and scales, and calibrates its own (asymmetric)
    activation ranges on ``calibration``. So the weights are polyframe's, the activation
    scales TFLite's: outputs agree with the oracle within quantization tolerance.
    """
    from pathlib import Path

    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    from polyframe.backend import get_backend
    from polyframe.compress.plan import dequantized_params
    from polyframe_tensorflow._env import tf

    be = get_backend("tensorflow")
    spec = qmodel.spec
    native = be.lower(spec, dequantized_params(spec, qmodel.tensors, qmodel.int8_layers))
    signature = [tf.TensorSpec([None, *spec.input_shape], tf.float32)]
    forward = tf.function(lambda x: native(x, training=False), input_signature=signature)
    frozen = convert_variables_to_constants_v2(forward.get_concrete_function())
    converter = tf.lite.TFLiteConverter.from_concrete_functions([frozen])
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    data = np.asarray(calibration, np.float32)

    def representative() -> Any:
        for start in range(0, len(data), 32):
            yield [data[start : start + 32]]

    converter.representative_dataset = representative
    blob = converter.convert()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(blob)
    return Path(path)
