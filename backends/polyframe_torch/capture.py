"""``pf.from_native`` for torch: ``torch.fx`` traces the module's ``forward`` and each call of
a covered module, function or tensor method becomes a layer call of a :class:`polyframe.Graph`.

Image tensors are NCHW in torch and NHWC in polyframe: a 4-D value is tracked as channels-first
and every op is mapped accordingly (``torch.cat(dim=1)`` is a channel concatenation,
``torch.flatten`` after convolutions flattens ``(C, H, W)``, which the weight rules of the next
``Linear`` account for). Anything else raises a one-line error naming the op and the traced node.
"""

from __future__ import annotations

import dataclasses
import operator
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import fx, nn

from polyframe.errors import BackendError
from polyframe.porting import Captured

_ACT_MODULES = {nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid"}
_ACT_FUNCS = {
    F.relu: "relu", torch.relu: "relu", torch.tanh: "tanh", torch.sigmoid: "sigmoid",
    F.sigmoid: "sigmoid", F.tanh: "tanh",
}  # fmt: skip
_ACT_METHODS = {"relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid"}
COVERED = (
    "modules Conv2d, Linear, BatchNorm1d/2d, LayerNorm, Embedding, ReLU, Tanh, Sigmoid, GELU, "
    "MaxPool2d, AvgPool2d, AdaptiveAvgPool2d(1), Dropout, Flatten, Identity; functions relu, "
    "tanh, sigmoid, gelu, flatten, add, mul, cat; methods relu, flatten, view/reshape(N, -1)"
)


def _name(path: str) -> str:
    name = path.replace(".", "_")
    return name if name[:1].isalpha() or name[:1] == "_" else f"layer_{name}"


def _pair(v: Any) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)


def _conv(m: nn.Conv2d, where: str) -> Any:
    from polyframe import layers as L

    k, s, d = _pair(m.kernel_size), _pair(m.stride), _pair(m.dilation)
    pad = m.padding
    if m.padding_mode != "zeros":
        raise BackendError(f"{where}: Conv2d padding_mode={m.padding_mode!r} is not covered")
    if pad in ("valid", (0, 0)):
        padding = "valid"
    elif pad == "same" or (
        s == (1, 1)
        and all(ki % 2 for ki in k)
        and _pair(pad) == tuple(di * (ki - 1) // 2 for ki, di in zip(k, d, strict=True))
    ):
        padding = "same"
    else:
        raise BackendError(
            f"{where}: Conv2d padding={pad} with stride {s} pads both sides equally, which "
            "neither 'valid' nor 'same' (TF rule) reproduces; not covered"
        )
    return L.Conv2D(
        m.out_channels, k, strides=s, padding=padding, dilation=d, groups=m.groups,
        use_bias=m.bias is not None,
    )  # fmt: skip


def _module_layer(m: nn.Module, path: str, where: str, rank: int) -> Any:
    """The polyframe layer of one covered torch module (None: pass the value through)."""
    from polyframe import layers as L

    if isinstance(m, nn.Identity) or (isinstance(m, nn.Flatten) and rank == 2):
        return None
    if isinstance(m, nn.Conv2d):
        return _conv(m, where)
    if isinstance(m, nn.Linear):
        if rank == 4:
            raise BackendError(f"{where}: a Linear on a 4-D (N, C, H, W) map is not covered")
        return L.Dense(m.out_features, use_bias=m.bias is not None)
    if type(m) in _ACT_MODULES:
        return L.Activation(_ACT_MODULES[type(m)])
    if isinstance(m, nn.GELU):
        return L.Activation("gelu" if m.approximate == "none" else "gelu_tanh")
    if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
        if m.padding not in (0, (0, 0)) or getattr(m, "ceil_mode", False):
            raise BackendError(
                f"{where}: {type(m).__name__} with padding or ceil_mode is not covered"
            )
        cls = L.MaxPool2D if isinstance(m, nn.MaxPool2d) else L.AvgPool2D
        return cls(_pair(m.kernel_size), strides=_pair(m.stride or m.kernel_size))
    if isinstance(m, nn.AdaptiveAvgPool2d) and _pair(m.output_size) == (1, 1):
        return L.GlobalAvgPool2D()
    if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
        if m.momentum is None or not m.track_running_stats:
            raise BackendError(f"{where}: BatchNorm without running statistics is not covered")
        return L.BatchNorm(
            momentum=1.0 - m.momentum, epsilon=m.eps, center=m.affine, scale=m.affine
        )
    if isinstance(m, nn.LayerNorm) and len(m.normalized_shape) == 1 and rank != 4:
        return L.LayerNorm(epsilon=m.eps)
    if isinstance(m, nn.Dropout):
        return L.Dropout(m.p)
    if isinstance(m, nn.Flatten) and m.start_dim == 1 and m.end_dim == -1:
        return L.Flatten()
    if isinstance(m, nn.Embedding):
        return L.Embedding(m.num_embeddings, m.embedding_dim)
    raise BackendError(
        f"{where}: torch module {path!r} ({type(m).__name__}) is not covered; covered: {COVERED}"
    )


def _group(m: nn.Module) -> dict[str, np.ndarray]:
    return {
        k: v.detach().float().cpu().numpy()
        for k, v in m.state_dict().items()
        if not k.endswith("num_batches_tracked")
    }


def capture(module: nn.Module, example: Any) -> Captured:
    """Trace ``module`` on ``example`` (a tensor or array in torch's layout) into a Graph."""
    from polyframe import layers as L
    from polyframe.spec.graph import Graph

    x = torch.as_tensor(np.asarray(example) if not isinstance(example, torch.Tensor) else example)
    module = module.eval()
    try:
        gm = fx.symbolic_trace(module)
    except Exception as exc:  # noqa: BLE001 - fx raises TraceError, TypeError, ...
        raise BackendError(
            f"torch.fx could not trace {type(module).__name__}.forward ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}); from_native needs a forward "
            "without data-dependent control flow"
        ) from None
    from torch.fx.passes.shape_prop import ShapeProp

    try:
        ShapeProp(gm).propagate(x)
    except Exception as exc:  # noqa: BLE001 - whatever the module raises on this input
        cause = exc.__cause__ or exc
        raise BackendError(
            f"{type(module).__name__} fails on the example input of shape {tuple(x.shape)} "
            f"({type(cause).__name__}: {str(cause).splitlines()[0] if str(cause) else ''}); "
            "give an example it accepts, in torch's layout (NCHW for images)"
        ) from None
    mods = dict(gm.named_modules())
    layers: dict[str, Any] = {}  # module path -> layer (shared when a module is called twice)
    groups: dict[str, dict[str, np.ndarray]] = {}
    env: dict[fx.Node, Any] = {}
    rank = {}
    inp = None
    out = None

    def shape(n: fx.Node) -> tuple[int, ...]:
        meta = n.meta.get("tensor_meta")
        return tuple(meta.shape) if meta is not None and hasattr(meta, "shape") else ()

    def apply(layer: Any, value: Any) -> Any:
        return value if layer is None else layer(value)

    for node in gm.graph.nodes:
        where = f"{type(module).__name__}.forward, node {node.name!r}"
        if node.op == "placeholder":
            if inp is not None:
                raise BackendError(f"{where}: a second input is not covered (one input only)")
            s = tuple(x.shape[1:])
            inp = L.Input(s[1:] + s[:1] if len(s) == 3 else s, name="x")
            env[node] = inp
        elif node.op == "output":
            arg = node.args[0]
            if not isinstance(arg, fx.Node):
                raise BackendError(
                    f"{where}: forward must return one tensor, got {type(arg).__name__}"
                )
            out = env[arg]
        elif node.op == "get_attr":
            raise BackendError(
                f"{where}: forward reads the tensor attribute {node.target!r}; not covered"
            )
        elif node.op == "call_module":
            m = mods[node.target]
            src = node.args[0]
            layer = layers.get(node.target) or _module_layer(
                m, node.target, f"{where} (module {node.target!r})", len(shape(src))
            )
            if layer is not None and node.target not in layers:
                layer = dataclasses.replace(layer, name=_name(node.target))
                layers[node.target] = layer
                if any(True for _ in m.parameters()):
                    groups[layer.name] = _group(m)
            env[node] = apply(layer, env[src])
        elif node.op == "call_function":
            env[node] = _function(node, env, shape, where)
        elif node.op == "call_method":
            env[node] = _method(node, env, shape, where)
        rank[node] = len(shape(node))
    spec = Graph(inputs=inp, outputs=out, name=type(module).__name__.lower())
    with torch.no_grad():
        native = module(x).detach().float().numpy()
    xs = x.detach().float().numpy() if x.is_floating_point() else x.numpy()
    if xs.ndim == 4:
        xs = xs.transpose(0, 2, 3, 1).copy()
    if native.ndim == 4:
        native = native.transpose(0, 2, 3, 1).copy()
    return Captured(spec, groups, "torch", xs, native)


def _flatten_ok(node: fx.Node, start: Any, end: Any = -1) -> None:
    if start != 1 or end != -1:
        raise BackendError(
            f"node {node.name!r}: flatten(start_dim={start}, end_dim={end}) is not covered "
            "(only start_dim=1 to the end)"
        )


def _flatten(value: Any, src_rank: int) -> Any:
    from polyframe import layers as L

    return value if src_rank == 2 else L.Flatten()(value)


def _function(node: fx.Node, env: dict, shape: Any, where: str) -> Any:
    from polyframe import layers as L

    fn, args = node.target, node.args
    label = f"{where} (function {getattr(fn, '__module__', '')}.{getattr(fn, '__name__', fn)})"
    if fn in _ACT_FUNCS:
        return L.Activation(_ACT_FUNCS[fn])(env[args[0]])
    if fn is F.gelu:
        approx = node.kwargs.get("approximate", "none")
        return L.Activation("gelu" if approx == "none" else "gelu_tanh")(env[args[0]])
    if fn is torch.flatten:
        _flatten_ok(node, args[1] if len(args) > 1 else node.kwargs.get("start_dim", 0),
                    args[2] if len(args) > 2 else node.kwargs.get("end_dim", -1))  # fmt: skip
        return _flatten(env[args[0]], len(shape(args[0])))
    if fn in (operator.add, torch.add, operator.mul, torch.mul):
        a, b = args[:2]
        if not (isinstance(a, fx.Node) and isinstance(b, fx.Node)) or shape(a) != shape(b):
            raise BackendError(
                f"{label}: only the sum/product of two same-shape tensors is covered"
            )
        cls = L.Add if fn in (operator.add, torch.add) else L.Multiply
        return cls()([env[a], env[b]])
    if fn is torch.cat:
        tensors = args[0]
        dim = args[1] if len(args) > 1 else node.kwargs.get("dim", 0)
        r = len(shape(tensors[0]))
        if dim not in (1, -1) or (r == 4 and dim != 1):
            raise BackendError(f"{label}: torch.cat is covered along the channel axis only")
        return L.Concatenate(axis=-1)([env[t] for t in tensors])
    raise BackendError(f"{label} is not covered; covered: {COVERED}")


def _method(node: fx.Node, env: dict, shape: Any, where: str) -> Any:
    name, args = node.target, node.args
    label = f"{where} (method Tensor.{name})"
    if name == "size":
        return None  # only used as a shape argument of view/reshape
    if name in _ACT_METHODS:
        from polyframe import layers as L

        return L.Activation(_ACT_METHODS[name])(env[args[0]])
    if name == "contiguous":
        return env[args[0]]
    if name == "flatten":
        _flatten_ok(node, args[1] if len(args) > 1 else node.kwargs.get("start_dim", 0),
                    args[2] if len(args) > 2 else -1)  # fmt: skip
        return _flatten(env[args[0]], len(shape(args[0])))
    if name in ("view", "reshape"):
        dims = args[1:] if len(args) > 2 or not isinstance(args[1], (tuple, list)) else args[1]
        if len(dims) == 2 and dims[1] == -1:
            return _flatten(env[args[0]], len(shape(args[0])))
    raise BackendError(f"{label} is not covered; covered: {COVERED}")
