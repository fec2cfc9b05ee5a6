"""The execution plan of a quantized model, shared by the numpy oracle and every backend.

A Sequential spec is cut into *float segments* (runs of layers kept in float32, lowered as a
sub-model by the backend's ordinary lowering) and *int8 layers* (Dense / Conv). An int8 layer
quantizes its input (``round(x / s)`` clipped to [-127, 127], round half to even), multiplies
int8 x int8 into int32 accumulators, then rescales in float32:
``y = act(float32(acc) * (s_x * s_w) + bias)``. Every step is an exactly rounded IEEE
operation, so a backend that follows the plan reproduces the oracle's accumulators bit for bit.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from polyframe.spec.conv import same_padding
from polyframe.spec.core_layers import Input
from polyframe.spec.sequential import Sequential


class QuantOps(Protocol):
    """What a backend implements to run the plan natively (see backends/*/quantized.py)."""

    def asarray(self, a: np.ndarray) -> Any: ...
    def numpy(self, t: Any) -> np.ndarray: ...
    def lower(self, spec: Sequential, params: dict[str, np.ndarray]) -> Any: ...
    def run_float(self, native: Any, x: Any) -> Any: ...
    def absmax_scale(self, x: Any) -> Any: ...
    def quantize(self, x: Any, scale: Any) -> Any: ...
    def int_dense(self, xq: Any, kernel: Any) -> Any: ...
    def int_conv2d(self, xq: Any, kernel: Any, strides: tuple, pads: tuple) -> Any: ...
    def rescale(self, acc: Any, mult: Any, bias: Any, activation: str) -> Any: ...
    def mul(self, a: Any, b: Any) -> Any: ...


@dataclass
class Int8Step:
    """One int8 layer: device tensors and its geometry."""

    name: str
    kind: str
    kernel: Any  # int8: [in, out] (Dense) or [kh, kw, in, out] (Conv; Conv1D as kh = 1)
    kernel_scale: Any  # float32 [out]
    bias: Any  # float32 [out] or None
    input_scale: Any  # float32 scalar (static) or None (dynamic: per batch)
    activation: str
    strides: tuple[int, int] = (1, 1)
    pads: tuple[tuple[int, int], tuple[int, int]] = ((0, 0), (0, 0))


@dataclass
class FloatStep:
    """A run of float layers lowered as one sub-model."""

    names: tuple[str, ...]
    native: Any


def sub_spec(nodes: list[Any], input_shape: tuple[int, ...], input_dtype: str) -> Sequential:
    """A Sequential of ``nodes`` that keeps their names (so canonical parameter names match)."""
    layers = [dataclasses.replace(n.layer, name=n.name) for n in nodes]
    return Sequential([Input(tuple(input_shape), dtype=input_dtype), *layers])


def conv_pads(layer: Any, input_shape: tuple[int, ...]) -> tuple[tuple[int, int], tuple[int, int]]:
    """((top, bottom), (left, right)) zero padding of a Conv2D over an (H, W, C) input."""
    if layer.padding != "same":
        return ((0, 0), (0, 0))
    (kh, kw), (sh, sw) = layer.kernel_size, layer.strides
    return same_padding(input_shape[0], kh, sh), same_padding(input_shape[1], kw, sw)


def build_plan(
    spec: Any, scheme: str, tensors: dict[str, np.ndarray], int8_layers: tuple[str, ...], ops: Any
) -> list[Any]:
    """The steps of ``spec`` for ``ops`` (a backend's QuantOps or the numpy oracle's)."""
    if scheme == "int8_weight":  # int8 storage; compute in float with dequantized kernels
        params = dequantized_params(spec, tensors, int8_layers)
        return [FloatStep(tuple(n.name for n in spec.nodes), ops.lower(spec, params))]
    steps: list[Any] = []
    pending: list[Any] = []
    first_dtype = spec.input_dtype

    def flush() -> None:
        nonlocal first_dtype
        if pending:
            sub = sub_spec(pending, pending[0].input_shape, first_dtype)
            params = {k: tensors[k] for k in sub.param_specs()}
            steps.append(FloatStep(tuple(n.name for n in pending), ops.lower(sub, params)))
            pending.clear()
        first_dtype = "float32"

    for node in spec.nodes:
        if node.name not in int8_layers:
            pending.append(node)
            continue
        flush()
        layer, name = node.layer, node.name
        kernel = tensors[f"{name}.kernel"]
        geometry: dict[str, Any] = {}
        if layer.kind in ("Conv2D", "Conv1D"):
            conv = layer.as_conv2d() if layer.kind == "Conv1D" else layer
            shape = (1, *node.input_shape) if layer.kind == "Conv1D" else node.input_shape
            kernel = kernel[None] if layer.kind == "Conv1D" else kernel
            geometry = {"strides": tuple(conv.strides), "pads": conv_pads(conv, shape)}
        bias = tensors.get(f"{name}.bias")
        in_scale = tensors.get(f"{name}.input_scale")
        steps.append(
            Int8Step(
                name,
                layer.kind,
                ops.asarray(np.ascontiguousarray(kernel)),
                ops.asarray(tensors[f"{name}.kernel_scale"]),
                None if bias is None else ops.asarray(bias.astype(np.float32)),
                None if in_scale is None else ops.asarray(np.float32(in_scale)),
                layer.activation or "identity",
                **geometry,
            )
        )
    flush()
    return steps


def run_plan(steps: list[Any], ops: Any, x: Any, record: dict[str, Any] | None = None) -> Any:
    """Run the plan on a device batch; ``record`` receives each int8 layer's int32
    accumulators as numpy."""
    h = x
    for step in steps:
        if isinstance(step, FloatStep):
            h = ops.run_float(step.native, h)
            continue
        scale = ops.absmax_scale(h) if step.input_scale is None else step.input_scale
        xq = ops.quantize(h, scale)
        if step.kind == "Dense":
            acc = ops.int_dense(xq, step.kernel)
        elif step.kind == "Conv1D":
            acc = ops.int_conv2d(ops.expand_h(xq), step.kernel, step.strides, step.pads)
            acc = ops.squeeze_h(acc)
        else:
            acc = ops.int_conv2d(xq, step.kernel, step.strides, step.pads)
        if record is not None:
            record[step.name] = ops.numpy(acc)
        h = ops.rescale(acc, ops.mul(scale, step.kernel_scale), step.bias, step.activation)
    return h


def dequantized_params(
    spec: Any, tensors: dict[str, np.ndarray], int8_layers: tuple[str, ...]
) -> dict[str, np.ndarray]:
    """Float32 parameters of ``spec``: int8 kernels times their per-channel scales."""
    out = {}
    for key in spec.param_specs():
        layer, local = key.rsplit(".", 1)
        if layer in int8_layers and local == "kernel":
            out[key] = tensors[key].astype(np.float32) * tensors[f"{layer}.kernel_scale"]
        else:
            out[key] = np.asarray(tensors[key], np.float32)
    return out
