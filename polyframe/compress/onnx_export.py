"""Export a QuantizedModel as ONNX with QDQ nodes (runs in onnxruntime, no polyframe needed).

Each int8 layer becomes ``QuantizeLinear -> DequantizeLinear`` on its input (a calibrated
scale for ``int8_static``; ``ReduceMax(|x|) / 127`` computed in the graph for
``int8_dynamic``; none for ``int8_weight``), ``DequantizeLinear`` of the int8 kernel with its
per-output-channel scales, then ``MatMul`` / ``Conv``. onnxruntime fuses the pattern into its
integer kernels (``QLinearMatMul`` / ``QLinearConv``) where it can. The tensors stay
channels-last between layers; convolutions and pooling transpose to NCHW around themselves.
QuantizeLinear saturates to [-128, 127] where polyframe clips to [-127, 127]: outputs match
the oracle within quantization tolerance, not bit for bit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from polyframe.errors import ConfigError

_ACT = {"relu": "Relu", "tanh": "Tanh", "sigmoid": "Sigmoid", "softmax": "Softmax"}
OPSET = 13


class _Graph:
    def __init__(self) -> None:
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.n = 0

    def name(self, base: str) -> str:
        self.n += 1
        return f"{base}_{self.n}"

    def const(self, base: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        name = self.name(base)
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(self, op_type: str, inputs: list[str], base: str, **attrs: Any) -> str:
        from onnx import helper

        out = self.name(base)
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out


def _activation(g: _Graph, h: str, activation: str, name: str) -> str:
    if activation in (None, "identity"):
        return h
    if activation not in _ACT:
        raise ConfigError(f"export_onnx: layer {name!r}: activation {activation!r} not exported")
    extra = {"axis": -1} if activation == "softmax" else {}
    return g.op(_ACT[activation], [h], f"{name}_act", **extra)


def _quantized_input(g: _Graph, h: str, q: Any, name: str) -> str:
    zero = g.const(f"{name}_xzp", np.int8(0))
    if q.scheme == "int8_static":
        scale = g.const(f"{name}_xscale", np.float32(q.tensors[f"{name}.input_scale"]))
    else:  # per batch, like the backends: max|x| / 127 (1 for an all-zero batch)
        m = g.op("ReduceMax", [g.op("Abs", [h], f"{name}_abs")], f"{name}_max", keepdims=0)
        s = g.op("Div", [m, g.const(f"{name}_127", np.float32(127))], f"{name}_s")
        pos = g.op("Greater", [m, g.const(f"{name}_0", np.float32(0))], f"{name}_pos")
        scale = g.op("Where", [pos, s, g.const(f"{name}_1", np.float32(1))], f"{name}_xscale")
    xq = g.op("QuantizeLinear", [h, scale, zero], f"{name}_xq")
    return g.op("DequantizeLinear", [xq, scale, zero], f"{name}_xdq")


def _kernel(g: _Graph, q: Any, name: str, kernel: np.ndarray, axis: int) -> str:
    """DequantizeLinear of an int8 kernel (per-channel on ``axis``) or a float constant."""
    if name not in q.int8_layers:
        return g.const(f"{name}_w", kernel.astype(np.float32))
    scale = g.const(f"{name}_wscale", q.tensors[f"{name}.kernel_scale"])
    zero = g.const(f"{name}_wzp", np.zeros(kernel.shape[axis], np.int8))
    w = g.const(f"{name}_wq", kernel)
    return g.op("DequantizeLinear", [w, scale, zero], f"{name}_wdq", axis=axis)


def _weighted_layer(g: _Graph, q: Any, node: Any, h: str) -> str:
    """A Dense / Conv1D / Conv2D node (int8 QDQ or float) and its bias and activation."""
    from polyframe.compress.plan import conv_pads

    layer, name, kind = node.layer, node.name, node.layer.kind
    if name in q.int8_layers and q.scheme != "int8_weight":
        h = _quantized_input(g, h, q, name)
    kernel = np.asarray(q.tensors[f"{name}.kernel"])
    if kind == "Dense":
        h = g.op("MatMul", [h, _kernel(g, q, name, kernel, 1)], f"{name}_mm")
    else:
        conv = layer.as_conv2d() if kind == "Conv1D" else layer
        shape = (1, *node.input_shape) if kind == "Conv1D" else node.input_shape
        if kind == "Conv1D":
            kernel = kernel[None]
            h = g.op("Unsqueeze", [h, g.const("axis1", np.array([1]))], f"{name}_h")
        oihw = np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))
        (t, b), (left, r) = conv_pads(conv, shape)
        nchw = g.op("Transpose", [h], f"{name}_nchw", perm=[0, 3, 1, 2])
        y = g.op(
            "Conv", [nchw, _kernel(g, q, name, oihw, 0)], f"{name}_conv",
            strides=list(conv.strides), pads=[t, left, b, r],
        )  # fmt: skip
        h = g.op("Transpose", [y], f"{name}_nhwc", perm=[0, 2, 3, 1])
        if kind == "Conv1D":
            h = g.op("Squeeze", [h, g.const("axis1", np.array([1]))], f"{name}_sq")
    if f"{name}.bias" in q.tensors:
        bias = g.const(f"{name}_b", np.asarray(q.tensors[f"{name}.bias"], np.float32))
        h = g.op("Add", [h, bias], f"{name}_add")
    h = _activation(g, h, layer.activation, name)
    return h


def export_onnx(qmodel: Any, path: str | Path) -> Path:
    """Write ``qmodel`` as an ONNX QDQ model to ``path`` (input ``x`` channels-last, output
    ``y``); layers other than Dense, Conv1D/2D (int8 or float), Flatten, Dropout, Activation
    and MaxPool2D / AvgPool2D ('valid') are refused with their name."""
    import onnx
    from onnx import TensorProto, helper

    g, q, h = _Graph(), qmodel, "x"
    for node in q.spec.nodes:
        layer, name, kind = node.layer, node.name, node.layer.kind
        if kind in ("Dense", "Conv2D", "Conv1D"):
            h = _weighted_layer(g, q, node, h)
        elif kind == "Flatten":
            h = g.op("Reshape", [h, g.const("flat", np.array([0, -1]))], f"{name}_flat")
        elif kind in ("Dropout",):
            continue
        elif kind == "Activation":
            h = _activation(g, h, layer.activation, name)
        elif kind in ("MaxPool2D", "AvgPool2D") and layer.padding == "valid":
            nchw = g.op("Transpose", [h], f"{name}_nchw", perm=[0, 3, 1, 2])
            op = "MaxPool" if kind == "MaxPool2D" else "AveragePool"
            y = g.op(
                op, [nchw], f"{name}_pool",
                kernel_shape=list(layer.pool_size), strides=list(layer.strides),
            )  # fmt: skip
            h = g.op("Transpose", [y], f"{name}_nhwc", perm=[0, 2, 3, 1])
        else:
            raise ConfigError(
                f"export_onnx: layer {name!r} ({kind}) has no ONNX export here; exportable: "
                "Dense, Conv1D, Conv2D, Flatten, Dropout, Activation, MaxPool2D/AvgPool2D valid"
            )
    g.nodes.append(helper.make_node("Identity", [h], ["y"]))
    graph = helper.make_graph(
        g.nodes,
        f"{q.spec.name}_{q.scheme}",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *q.spec.input_shape])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", *q.spec.output_shape])],
        g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return Path(path)
