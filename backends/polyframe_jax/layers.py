"""Native Flax NNX layers for polyframe's built-in layer kinds, and their lowerings.

Each lowering goes into the core table (``register_lowering("jax", Kind)``, through
``register_builtin``): the same mechanism a user-defined layer uses. Dense and Conv2D are
``nnx.Linear`` / ``nnx.Conv`` subclasses (canonical ``kernel``/``bias`` names and layouts, so
the default rule applies); BatchNorm is a small module implementing the canonical rule (see
``batchnorm.py``).
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
from flax import nnx

from polyframe.spec.activations import OPS_ACTIVATIONS
from polyframe.spec.conv import Conv2D, same_padding
from polyframe.spec.core_layers import Activation, Dense, Dropout, Flatten
from polyframe.spec.pooling import AvgPool2D, GlobalAvgPool2D, MaxPool2D
from polyframe.spec.sequential import Node
from polyframe_jax import bf16_grads, f16_grads
from polyframe_jax.lowering import lowering_dtype, lowering_rngs, register_builtin
from polyframe_jax.ops import NAMESPACE as OPS
from polyframe_jax.placeholders import NoKeys, host_zeros

ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "identity": lambda x: x,
    "relu": jax.nn.relu,
    "gelu": lambda x: jax.nn.gelu(x, approximate=False),
    "gelu_tanh": lambda x: jax.nn.gelu(x, approximate=True),
    "tanh": jnp.tanh,
    "sigmoid": jax.nn.sigmoid,
    "softmax": lambda x: jax.nn.softmax(x, axis=-1),
    # defined once in pf.ops (jax.nn kernels where they exist)
    **{name: getattr(OPS, name) for name in OPS_ACTIVATIONS},
}
#: float32 matmuls/convs at full precision (no TF32 / bf16 passes on accelerators).
PRECISION = jax.lax.Precision.HIGHEST


def activate(x: jax.Array, name: str) -> jax.Array:
    """Apply a canonical activation by name (``gelu`` is the exact erf form)."""
    return ACTIVATIONS[name](x)


def _padding(node: Node, kernel, strides, dilation, padding: str) -> Any:
    """'VALID', or explicit TF/XLA ((lo, hi), (lo, hi)) pairs for 'same'."""
    if padding == "valid":
        return "VALID"
    h, w = node.input_shape[:2]
    return (
        same_padding(h, kernel[0], strides[0], dilation[0]),
        same_padding(w, kernel[1], strides[1], dilation[1]),
    )


def _rounded(module: nnx.Module, y: jax.Array) -> jax.Array:
    """A matmul/conv output in the module's compute ``dtype``: under bfloat16 the module
    accumulates in float32 (``preferred_element_type``, set by the train step) and adds the
    bias in float32; the sum is rounded to bfloat16 here, once."""
    dtype = getattr(module, "dtype", None)
    return y if dtype is None or y.dtype == dtype else y.astype(dtype)


class DenseLayer(nnx.Linear):
    """``nnx.Linear`` followed by a canonical activation; under bfloat16 (compute ``dtype``
    bfloat16, float32 ``preferred_element_type``: set by the train step) its matmul is
    :func:`polyframe_jax.bf16_grads.linear`; under float16 its bias is added by
    :func:`polyframe_jax.f16_grads.bias_add` (a float32 bias-gradient sum)."""

    def __init__(
        self, in_features: int, out_features: int, *, activation: str = "identity", **kwargs: Any
    ):
        super().__init__(in_features, out_features, **kwargs)
        self.activation = activation

    def __call__(self, x: jax.Array) -> jax.Array:  # type: ignore[override]
        if self.dtype == jnp.bfloat16 and self.preferred_element_type == jnp.float32:
            bias = None if self.bias is None else self.bias[...]
            return activate(bf16_grads.linear(x, self.kernel[...], bias), self.activation)
        if self.dtype == jnp.float16 and self.bias is not None:  # nnx.Linear's float16 forward
            x, kernel, bias = self.promote_dtype(
                (x, self.kernel[...], self.bias[...]), dtype=self.dtype
            )
            dims = (((x.ndim - 1,), (0,)), ((), ()))
            y = self.dot_general(x, kernel, dims, precision=self.precision)
            return activate(f16_grads.bias_add(y, bias), self.activation)
        return activate(super().__call__(x), self.activation)


class ConvLayer(nnx.Conv):
    """``nnx.Conv`` (NHWC, kernel ``[kh, kw, in/groups, out]``) followed by an activation;
    under float16 its bias is added by :func:`polyframe_jax.f16_grads.bias_add`."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        kernel_size: Any,
        *,
        activation: str = "identity",
        **kwargs: Any,
    ):
        super().__init__(in_features, out_features, kernel_size, **kwargs)
        self.activation = activation

    def __call__(self, x: jax.Array) -> jax.Array:  # type: ignore[override]
        if self.dtype == jnp.float16 and self.bias is not None:
            # nnx.Conv's float16 forward without its bias add; the bias is added by
            # f16_grads.bias_add (a float32 bias-gradient sum over batch and positions)
            self.use_bias = False
            try:
                y = super().__call__(x)
            finally:
                self.use_bias = True
            return activate(f16_grads.bias_add(y, self.bias[...].astype(y.dtype)), self.activation)
        return activate(_rounded(self, super().__call__(x)), self.activation)


class Pool2D(nnx.Module):
    """Max or average pooling through ``nnx.max_pool`` / ``nnx.avg_pool`` with explicit strides
    and padding; average pooling leaves padded cells out of the mean."""

    def __init__(self, op: str, window: tuple[int, int], strides: tuple[int, int], padding: Any):
        self.op = op
        self.window = tuple(window)
        self.strides = tuple(strides)
        self.padding = padding

    def __call__(self, x: jax.Array) -> jax.Array:
        if self.op == "max":
            return nnx.max_pool(x, self.window, strides=self.strides, padding=self.padding)
        return nnx.avg_pool(
            x, self.window, strides=self.strides, padding=self.padding, count_include_pad=False
        )


class GlobalAvgPool(nnx.Module):
    """Mean over H and W: ``(N, H, W, C) -> (N, C)``."""

    def __call__(self, x: jax.Array) -> jax.Array:
        return jnp.mean(x, axis=(1, 2))


class FlattenLayer(nnx.Module):
    """Flatten all but the batch axis in channels-last (row-major) order."""

    def __call__(self, x: jax.Array) -> jax.Array:
        return x.reshape(x.shape[0], -1)


class ActivationLayer(nnx.Module):
    """An element-wise canonical activation."""

    def __init__(self, activation: str):
        self.activation = activation

    def __call__(self, x: jax.Array) -> jax.Array:
        return activate(x, self.activation)


def native_options() -> dict[str, Any]:
    """The keyword arguments every built-in ``nnx.Linear``/``nnx.Conv`` lowering shares: the
    lowering dtype, HIGHEST matmul precision, and host zero placeholders drawn from no key
    (polyframe's canonical parameters are loaded right after, onto the device)."""
    dtype = lowering_dtype()
    return {
        "dtype": dtype,
        "param_dtype": dtype,
        "precision": PRECISION,
        "kernel_init": host_zeros,
        "bias_init": host_zeros,
        "rngs": NoKeys(),
    }


@register_builtin(Dense)
def lower_dense(layer: Dense, node: Node) -> nnx.Module:
    """Dense -> :class:`DenseLayer` (``nnx.Linear``)."""
    return DenseLayer(
        node.input_shape[-1],
        layer.units,
        activation=layer.activation,
        use_bias=layer.use_bias,
        **native_options(),
    )


@register_builtin(Conv2D)
def lower_conv2d(layer: Conv2D, node: Node) -> nnx.Module:
    """Conv2D -> :class:`ConvLayer` (``nnx.Conv`` with explicit padding, dilation, groups)."""
    return ConvLayer(
        node.input_shape[-1],
        layer.filters,
        layer.kernel_size,
        activation=layer.activation,
        strides=layer.strides,
        padding=_padding(node, layer.kernel_size, layer.strides, layer.dilation, layer.padding),
        kernel_dilation=layer.dilation,
        feature_group_count=layer.groups,
        use_bias=layer.use_bias,
        **native_options(),
    )


@register_builtin(MaxPool2D)
def lower_maxpool(layer: MaxPool2D, node: Node) -> nnx.Module:
    """MaxPool2D -> :class:`Pool2D` ('max'); padded cells are -inf and never win."""
    pad = _padding(node, layer.pool_size, layer.strides, (1, 1), layer.padding)
    return Pool2D("max", layer.pool_size, layer.strides, pad)


@register_builtin(AvgPool2D)
def lower_avgpool(layer: AvgPool2D, node: Node) -> nnx.Module:
    """AvgPool2D -> :class:`Pool2D` ('avg', ``count_include_pad=False``)."""
    pad = _padding(node, layer.pool_size, layer.strides, (1, 1), layer.padding)
    return Pool2D("avg", layer.pool_size, layer.strides, pad)


@register_builtin(GlobalAvgPool2D)
def lower_global_avg(layer: GlobalAvgPool2D, node: Node) -> nnx.Module:
    """GlobalAvgPool2D -> :class:`GlobalAvgPool`."""
    return GlobalAvgPool()


@register_builtin(Flatten)
def lower_flatten(layer: Flatten, node: Node) -> nnx.Module:
    """Flatten -> :class:`FlattenLayer`."""
    return FlattenLayer()


@register_builtin(Activation)
def lower_activation(layer: Activation, node: Node) -> nnx.Module:
    """Activation -> :class:`ActivationLayer`."""
    return ActivationLayer(layer.activation)


@register_builtin(Dropout)
def lower_dropout(layer: Dropout, node: Node) -> nnx.Module:
    """Dropout -> ``nnx.Dropout`` (inverted dropout) on the model's ``dropout`` stream."""
    return nnx.Dropout(layer.rate, deterministic=True, rngs=lowering_rngs())
