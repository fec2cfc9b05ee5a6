"""Which native layer holds which spec layer's weights, and the torch flatten-order rule.

A native weight file is read (by its framework's backend) into an ordered list of *groups*:
``(path, {name inside the layer: array})``, one per native layer with weights. Here they are
paired with the spec's layers that hold parameters:

- Keras names its layers' weights after their class, counted per class (``dense``,
  ``dense_1``, ``conv2d``...): spec layers are paired by the same count, so the pairing does
  not depend on the file's (alphabetical) order.
- torch (``state_dict`` order) and Flax (state paths, natural order) pair in order; when the
  order does not fit the shapes, a pairing by shape is used only when it is the only one,
  otherwise the import is refused (the tensors could map two ways).

Numpy only: no framework is imported here.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from polyframe.errors import BackendError
from polyframe.native_layout import Tensors, to_canonical, to_native

Group = tuple[str, Tensors]

#: Keras layer class (snake case) of each spec kind: the name its weights are saved under
KERAS_CLASS = {
    "Dense": "dense",
    "Conv1D": "conv1d",
    "Conv2D": "conv2d",
    "Conv2DTranspose": "conv2d_transpose",
    "DepthwiseConv2D": "depthwise_conv2d",
    "BatchNorm": "batch_normalization",
    "LayerNorm": "layer_normalization",
    "GroupNorm": "group_normalization",
    "RMSNorm": "rms_normalization",
    "Embedding": "embedding",
    "LSTM": "lstm",
    "GRU": "gru",
    "MultiHeadAttention": "multi_head_attention",
}
#: layers whose torch output is channels-first (N, C, ...) when their input is spatial
_CHANNELS_FIRST = {
    "Conv1D", "Conv2D", "Conv2DTranspose", "DepthwiseConv2D", "MaxPool2D", "AvgPool2D",
    "MaxPool1D", "AvgPool1D", "Upsample2D",
}  # fmt: skip
#: layers whose torch output is channels-last (N, T, C)
_CHANNELS_LAST = {
    "Dense", "LSTM", "GRU", "MultiHeadAttention", "Embedding", "PositionalEmbedding",
    "TransformerEncoderBlock", "LayerNorm", "RMSNorm",
}  # fmt: skip
#: layers that keep their input's layout (walked through)
_KEEP = {"Dropout", "Activation", "Identity", "BatchNorm", "GroupNorm", "Add", "Multiply"}


def param_nodes(spec: Any) -> list[Any]:
    """The spec's nodes that hold parameters, once per layer, in model order."""
    nodes = spec.lowered_nodes
    return [n for n in nodes if n.param_specs()]


def _producer(spec: Any, node: Any) -> Any:
    """The node whose output ``node`` reads (its first input); None for the model input."""
    if hasattr(node, "inputs"):
        ref = node.inputs[0]
        return next((n for n in spec.nodes if n.output == ref), None)
    index = spec.nodes.index(node)
    return spec.nodes[index - 1] if index else None


def torch_flatten_rows(spec: Any, node: Any, order: str | None = None) -> np.ndarray | None:
    """For a Dense reading a Flatten of a multi-axis tensor: the canonical-order index of each
    torch kernel row (torch flattens ``(C, H, W)``, canonical ``(H, W, C)``); None when both
    orders agree. ``order`` (``"chw"``/``"hwc"``) overrides the guess."""
    if node.layer.kind != "Dense":
        return None
    flat = _producer(spec, node)
    while flat is not None and flat.layer.kind in ("Dropout", "Activation", "Identity"):
        flat = _producer(spec, flat)
    if flat is None or flat.layer.kind != "Flatten":
        return None
    shape = tuple(flat.input_shape)
    if len(shape) < 2 or shape[-1] == 1 or math.prod(shape[:-1]) == 1:
        return None
    if order is None:
        src = _producer(spec, flat)
        while src is not None and src.layer.kind in _KEEP:
            src = _producer(spec, src)
        kind = src.layer.kind if src is not None else "the model input"
        if kind in _CHANNELS_FIRST:
            order = "chw"
        elif kind in _CHANNELS_LAST:
            order = "hwc"
        else:
            raise BackendError(
                f"{node.name!r} (Dense) reads a Flatten of {shape} made by {kind}: a torch "
                "model could have flattened it channels-first (C, ...) or channels-last, and "
                "the shapes cannot tell; pass flatten_order='chw' or 'hwc' (polyframe convert: "
                "--flatten-order)"
            )
    if order == "hwc":
        return None
    if order != "chw":
        raise BackendError(f"flatten_order must be 'chw' or 'hwc', got {order!r}")
    chw = np.arange(math.prod(shape)).reshape(shape[-1], *shape[:-1])
    return np.moveaxis(chw, 0, -1).ravel()


def _fits(framework: str, node: Any, group: Group) -> bool:
    try:
        to_canonical(framework, node, group[1], group[0])
    except BackendError:
        return False
    return True


def pair(spec: Any, framework: str, groups: list[Group], where: str) -> list[tuple[Any, Group]]:
    """Each parameter node of ``spec`` with its native group (see the module docstring)."""
    nodes = param_nodes(spec)
    if framework == "keras":
        by_name = {path.split("/")[0]: (path, g) for path, g in groups}
        counts: dict[str, int] = {}
        out = []
        for node in nodes:
            cls = KERAS_CLASS.get(node.layer.kind, node.layer.kind.lower())
            k = counts.get(cls, 0)
            counts[cls] = k + 1
            name = cls if k == 0 else f"{cls}_{k}"
            if name not in by_name:
                raise BackendError(
                    f"{where} has no Keras layer {name!r} for {node.name!r} ({node.layer.kind}); "
                    f"it holds {', '.join(by_name) or 'no weights'}: it is not of the same "
                    "architecture"
                )
            out.append((node, by_name.pop(name)))
        if by_name:
            raise BackendError(
                f"{where} holds Keras layers the model does not have: {', '.join(by_name)}; "
                "it is another architecture"
            )
        return out
    if len(groups) != len(nodes):
        raise BackendError(
            f"{where} holds {len(groups)} layers with weights but the model has {len(nodes)} "
            f"({', '.join(n.name for n in nodes[:4])}, ...); it is not of the same architecture"
        )
    if all(_fits(framework, n, g) for n, g in zip(nodes, groups, strict=True)):
        return list(zip(nodes, groups, strict=True))
    fits = [[g for g in groups if _fits(framework, n, g)] for n in nodes]
    for node, cands in zip(nodes, fits, strict=True):
        if not cands:
            first = next(g for n, g in zip(nodes, groups, strict=True) if n is node)
            to_canonical(framework, node, first[1], f"{where} ({first[0]})")  # raises, precisely
    if all(len(c) == 1 for c in fits) and len({id(c[0]) for c in fits}) == len(nodes):
        return [(n, c[0]) for n, c in zip(nodes, fits, strict=True)]
    node, cands = next((n, c) for n, c in zip(nodes, fits, strict=True) if len(c) > 1)
    raise BackendError(
        f"{where}: the layers are not in the model's order, and {node.name!r} could take the "
        f"weights of {' or '.join(p for p, _ in cands)}; refusing to guess: save the native "
        "model with its layers in forward order (or name them so)"
    )


def native_to_canonical(
    spec: Any, framework: str, groups: list[Group], where: str, flatten_order: str | None = None
) -> dict[str, np.ndarray]:
    """Canonical parameters (``'<layer>.<local>'``) from a native file's groups."""
    params: dict[str, np.ndarray] = {}
    for node, (path, group) in pair(spec, framework, groups, where):
        local = to_canonical(framework, node, group, f"{where} ({path})")
        rows = torch_flatten_rows(spec, node, flatten_order) if framework == "torch" else None
        if rows is not None:
            local["kernel"] = np.ascontiguousarray(local["kernel"][rows])
        params.update({f"{node.name}.{k}": v for k, v in local.items()})
    return params


def canonical_to_native(
    spec: Any,
    framework: str,
    params: dict[str, np.ndarray],
    like: list[Group] | None = None,
    flatten_order: str | None = None,
) -> list[Group]:
    """A native file's groups from canonical parameters; layer paths from ``like`` (the groups
    of a native file of the same architecture) when given, else polyframe's names (Keras:
    class-counted names, so ``model.load_weights`` of the same architecture reads them)."""
    nodes = param_nodes(spec)
    paths = [n.name for n in nodes]
    if framework == "keras":
        counts: dict[str, int] = {}
        for i, node in enumerate(nodes):
            cls = KERAS_CLASS.get(node.layer.kind, node.layer.kind.lower())
            k = counts.get(cls, 0)
            counts[cls] = k + 1
            paths[i] = cls if k == 0 else f"{cls}_{k}"
    elif like is not None:
        paired = dict((id(n), g[0]) for n, g in pair(spec, framework, like, "the like= file"))
        paths = [paired[id(n)] for n in nodes]
    out: list[Group] = []
    for path, node in zip(paths, nodes, strict=True):
        local = {k: np.asarray(params[f"{node.name}.{k}"]) for k in node.param_specs()}
        rows = torch_flatten_rows(spec, node, flatten_order) if framework == "torch" else None
        if rows is not None:
            kernel = np.empty_like(local["kernel"])
            kernel[rows] = local["kernel"]
            local["kernel"] = kernel
        out.append((path, to_native(framework, node, local, node.name)))
    return out


def canonical_from_groups(
    spec: Any, framework: str, groups: dict[str, Tensors], flatten_order: str | None = None
) -> dict[str, np.ndarray]:
    """Canonical parameters from native groups already keyed by spec layer name (what a model
    capture yields); the same layout rules as a native file."""
    params: dict[str, np.ndarray] = {}
    for node in param_nodes(spec):
        if node.name not in groups:
            raise BackendError(f"no native weights were captured for {node.name!r}")
        local = to_canonical(framework, node, groups[node.name], node.name)
        rows = torch_flatten_rows(spec, node, flatten_order) if framework == "torch" else None
        if rows is not None:
            local["kernel"] = np.ascontiguousarray(local["kernel"][rows])
        params.update({f"{node.name}.{k}": v for k, v in local.items()})
    return params
