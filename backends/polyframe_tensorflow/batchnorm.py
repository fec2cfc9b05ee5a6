"""A Keras BatchNorm layer that follows polyframe's canonical running-statistics rule.

``keras.layers.BatchNormalization`` stores the *biased* batch variance; the canonical rule
(torch's) stores the unbiased one (``n / (n - 1)``) while normalizing with the biased one.

Float32 images (rank 4, channels last) on a CPU go through TensorFlow's fused kernel,
``FusedBatchNormV3``, called as the raw op (``tf.compat.v1.nn.fused_batch_norm`` raises
epsilon to 1.001e-5): in training it returns the unbiased batch variance, the canonical running
statistic. Unfused, normalization is a chain of elementwise ops over the whole activation,
forward and backward, one kernel each in graph mode: on ResNet-20 (CPU, graph mode) the fused
kernel measured 57 ms a step against 83 ms (and the tuned Keras loop's, whose
``BatchNormalization`` is unfused, 70 ms); see benchmarks/results/resnet_profile.md.
"""

from __future__ import annotations

import functools
from typing import Any

from polyframe_tensorflow._env import keras, tf

ops = keras.ops


@functools.cache
def _cpu_only() -> bool:
    """No GPU visible. On a GPU the fused op is cuDNN's, whose minimum epsilon is why
    TensorFlow's wrapper floors it at 1.001e-5 (polyframe's 1e-5, as a float32, is just
    under 1e-5); not tried on a GPU here, so GPUs keep the elementwise form (XLA, their default
    mode, fuses it anyway)."""
    return not tf.config.list_logical_devices("GPU")


def _fused(
    x: Any, gamma: Any, beta: Any, mean: Any, var: Any, epsilon: float, training: bool
) -> tuple[Any, Any, Any]:
    """``FusedBatchNormV3`` on NHWC ``x``: the normalized ``x``, and in training the batch mean
    and unbiased batch variance (``mean`` / ``var`` are the running statistics, used when not
    training)."""
    from tensorflow.python.ops import gen_nn_ops  # the raw op (no epsilon floor)

    empty = tf.constant([], tf.float32)
    y, batch_mean, batch_var, *_ = gen_nn_ops.fused_batch_norm_v3(
        x,
        gamma,
        beta,
        empty if training else mean,
        empty if training else var,
        epsilon=epsilon,
        exponential_avg_factor=1.0,
        data_format="NHWC",
        is_training=training,
    )
    return y, batch_mean, batch_var


@keras.saving.register_keras_serializable(package="polyframe")
class CanonicalBatchNorm(keras.layers.Layer):
    """Batch normalization over the last axis; weights ``gamma, beta, moving_mean, moving_var``.

    ``momentum`` is the fraction of the running statistic that is kept.
    """

    def __init__(
        self,
        momentum: float = 0.9,
        epsilon: float = 1e-5,
        center: bool = True,
        scale: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        c = (int(input_shape[-1]),)
        self.gamma = (
            self.add_weight(shape=c, initializer="ones", name="gamma") if self.scale else None
        )
        self.beta = (
            self.add_weight(shape=c, initializer="zeros", name="beta") if self.center else None
        )
        self.moving_mean = self.add_weight(
            shape=c, initializer="zeros", name="moving_mean", trainable=False
        )
        self.moving_var = self.add_weight(
            shape=c, initializer="ones", name="moving_var", trainable=False
        )

    #: Set by data-parallel steps built with ``sync_batchnorm``: training statistics over
    #: every replica's rows (one cross-replica all-reduce of the sums).
    synchronized = False

    def _global_moments(self, x: Any, axes: tuple[int, ...]) -> tuple[Any, Any, Any] | None:
        ctx = tf.distribute.get_replica_context()
        if not self.synchronized or ctx is None or ctx.num_replicas_in_sync == 1:
            return None
        xf = tf.cast(x, tf.float32)
        count = tf.cast(tf.reduce_prod(tf.shape(x)[:-1]), tf.float32)
        s1, s2, n = ctx.all_reduce(
            tf.distribute.ReduceOp.SUM,
            [tf.reduce_sum(xf, axes), tf.reduce_sum(xf * xf, axes), count],
        )
        mean = s1 / n
        return tf.cast(mean, x.dtype), tf.cast(s2 / n - mean * mean, x.dtype), n

    def _use_fused(self, x: Any) -> bool:
        """Float32 rank-4 channels-last input on a CPU, statistics of this replica only."""
        if (
            not _cpu_only()
            or len(x.shape) != 4
            or x.dtype != tf.float32
            or self.moving_mean.dtype != tf.float32
        ):
            return False
        ctx = tf.distribute.get_replica_context()
        return not (self.synchronized and ctx is not None and ctx.num_replicas_in_sync > 1)

    def _call_fused(self, x: Any, training: bool) -> Any:
        c = self.moving_mean.shape
        gamma = self.gamma if self.gamma is not None else tf.ones(c, tf.float32)
        beta = self.beta if self.beta is not None else tf.zeros(c, tf.float32)
        y, mean, unbiased = _fused(
            x, gamma, beta, self.moving_mean, self.moving_var, self.epsilon, training
        )
        if training:
            m = self.momentum
            self.moving_mean.assign(m * self.moving_mean + (1.0 - m) * mean)
            self.moving_var.assign(m * self.moving_var + (1.0 - m) * unbiased)
        return y

    def call(self, x: Any, training: bool = False) -> Any:
        if self._use_fused(x):
            return self._call_fused(x, bool(training))
        if training:
            axes = tuple(range(len(x.shape) - 1))
            moments = self._global_moments(x, axes)
            if moments is not None:
                mean, var, n = moments
                n = ops.cast(n, var.dtype)
            else:
                mean = ops.mean(x, axis=axes)
                var = ops.mean(ops.square(x - mean), axis=axes)
                n = ops.cast(tf.reduce_prod(tf.shape(x)[:-1]), var.dtype)
            unbiased = var * n / ops.maximum(n - 1.0, 1.0)
            m, dtype = self.momentum, self.moving_mean.dtype
            self.moving_mean.assign(m * self.moving_mean + (1.0 - m) * ops.cast(mean, dtype))
            self.moving_var.assign(m * self.moving_var + (1.0 - m) * ops.cast(unbiased, dtype))
        else:
            mean = ops.cast(self.moving_mean, x.dtype)
            var = ops.cast(self.moving_var, x.dtype)
        y = (x - mean) / ops.sqrt(var + self.epsilon)
        if self.gamma is not None:
            y = y * ops.cast(self.gamma, x.dtype)
        if self.beta is not None:
            y = y + ops.cast(self.beta, x.dtype)
        return y

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            momentum=self.momentum, epsilon=self.epsilon, center=self.center, scale=self.scale
        )
        return config
