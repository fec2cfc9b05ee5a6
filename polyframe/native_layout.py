"""Per-layer layout rules between each framework's own weight tensors and the canonical layout.

One *group* is the tensors of one native layer, keyed by their name inside it:

- torch: ``state_dict`` leaf names (``weight``, ``bias``, ``running_mean``, ``weight_ih_l0``,
  ``in_proj_weight``, ``out_proj.weight``...);
- Keras: the ``.weights.h5`` paths under the layer (``vars/0``, ``cell/vars/1``,
  ``query_dense/vars/0``...), variables in the layer's own order;
- Flax NNX: the state paths under the module (``kernel``, ``scale``, ``cell/dense_h/bias``,
  ``query/kernel``...).

:func:`to_canonical` and :func:`to_native` are exact inverses for every layer kind they know
(the rules are listed in docs/canonical-layout.md); a kind they do not know, or a group that
does not have the expected tensors, raises :class:`polyframe.BackendError` naming both.
Numpy only: no framework is imported here.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from polyframe.errors import BackendError

Tensors = dict[str, np.ndarray]
FRAMEWORKS = ("torch", "keras", "flax")
_CONV = ("Conv1D", "Conv2D", "Conv2DTranspose", "DepthwiseConv2D")
_NORMS = ("LayerNorm", "GroupNorm", "RMSNorm")


def _get(group: Tensors, key: str, kind: str, where: str) -> np.ndarray:
    if key not in group:
        raise BackendError(
            f"{where}: a {kind} needs the native tensor {key!r}, but the group holds "
            f"{', '.join(group) or 'nothing'}; the file is of another architecture"
        )
    return np.asarray(group[key])


def _torch_kernel(w: np.ndarray) -> np.ndarray:
    """torch ``[out, in, *window]`` (conv) / ``[out, in]`` (Linear) -> ``[*window, in, out]``."""
    return np.ascontiguousarray(np.moveaxis(w, (0, 1), (-1, -2)))


def _torch_weight(k: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.moveaxis(k, (-1, -2), (0, 1)))


# -- torch -------------------------------------------------------------------------------
def _torch_in(kind: str, names: tuple[str, ...], g: Tensors, where: str) -> Tensors:
    get = lambda key: _get(g, key, kind, where)  # noqa: E731
    if kind in ("Dense", *_CONV):
        out = {"kernel": _torch_kernel(get("weight"))}
    elif kind == "Embedding" or kind == "PositionalEmbedding":
        out = {"embedding": get("weight")}
    elif kind == "BatchNorm":
        out = {"gamma": get("weight"), "beta": get("bias")} if "weight" in g else {}
        out |= {"moving_mean": get("running_mean"), "moving_var": get("running_var")}
    elif kind in _NORMS:
        out = {"gamma": get("weight")}
    elif kind in ("LSTM", "GRU"):
        extra = [k for k in g if k.endswith(("_l1", "_reverse"))]
        if extra:
            raise BackendError(
                f"{where}: a torch {kind} with several layers or both directions ({extra[0]}) "
                f"is not one polyframe {kind}; use one {kind} layer per torch layer"
            )
        out = {
            "kernel": get("weight_ih_l0").T.copy(),
            "recurrent_kernel": get("weight_hh_l0").T.copy(),
        }
        if kind == "LSTM":
            out["bias"] = get("bias_ih_l0") + get("bias_hh_l0")
        else:
            out |= {"bias": get("bias_ih_l0"), "recurrent_bias": get("bias_hh_l0")}
        return out
    elif kind == "MultiHeadAttention":
        if "in_proj_weight" in g:
            q, k, v = np.split(get("in_proj_weight"), 3)
        else:
            q, k, v = (get(f"{p}_proj_weight") for p in "qkv")
        out = {"query_kernel": q.T, "key_kernel": k.T, "value_kernel": v.T}
        out["output_kernel"] = get("out_proj.weight").T
        if "in_proj_bias" in g:
            for p, b in zip(
                ("query", "key", "value"), np.split(get("in_proj_bias"), 3), strict=True
            ):
                out[f"{p}_bias"] = b
            out["output_bias"] = get("out_proj.bias")
        return {k: np.ascontiguousarray(v) for k, v in out.items()}
    else:
        raise unsupported(kind, "torch", where)
    if kind in _NORMS and "beta" in names:
        out["beta"] = get("bias")
    elif kind in ("Dense", *_CONV) and "bias" in names:
        out["bias"] = get("bias")
    return out


def _torch_out(kind: str, p: Tensors, where: str) -> Tensors:
    if kind in ("Dense", *_CONV):
        out = {"weight": _torch_weight(p["kernel"])}
        if "bias" in p:
            out["bias"] = p["bias"]
    elif kind in ("Embedding", "PositionalEmbedding"):
        out = {"weight": p["embedding"]}
    elif kind == "BatchNorm":
        out = {"weight": p["gamma"], "bias": p["beta"]} if "gamma" in p else {}
        out |= {"running_mean": p["moving_mean"], "running_var": p["moving_var"]}
        out["num_batches_tracked"] = np.array(0, dtype=np.int64)
    elif kind in _NORMS:
        out = {"weight": p["gamma"]} | ({"bias": p["beta"]} if "beta" in p else {})
    elif kind in ("LSTM", "GRU"):
        out = {
            "weight_ih_l0": p["kernel"].T,
            "weight_hh_l0": p["recurrent_kernel"].T,
            "bias_ih_l0": p["bias"],
            "bias_hh_l0": p.get("recurrent_bias", np.zeros_like(p["bias"])),
        }
    elif kind == "MultiHeadAttention":
        q, k, v = (p[f"{n}_kernel"].T for n in ("query", "key", "value"))
        if q.shape == k.shape:
            out = {"in_proj_weight": np.concatenate([q, k, v])}
        else:
            out = {"q_proj_weight": q, "k_proj_weight": k, "v_proj_weight": v}
        if "query_bias" in p:
            out["in_proj_bias"] = np.concatenate(
                [p[f"{n}_bias"] for n in ("query", "key", "value")]
            )
        out["out_proj.weight"] = p["output_kernel"].T
        if "output_bias" in p:
            out["out_proj.bias"] = p["output_bias"]
    else:
        raise unsupported(kind, "torch", where)
    return {k: np.ascontiguousarray(v) for k, v in out.items()}


# -- Keras -------------------------------------------------------------------------------
_KERAS_GRU_ORDER = (1, 0, 2)  # canonical r, z, n <- Keras z, r, h


def _gates(a: np.ndarray, order: tuple[int, ...]) -> np.ndarray:
    parts = np.split(a, len(order), axis=-1)
    return np.ascontiguousarray(np.concatenate([parts[i] for i in order], axis=-1))


def _vars(g: Tensors, prefix: str = "") -> list[np.ndarray]:
    keys = sorted(
        (k for k in g if k.startswith(f"{prefix}vars/")), key=lambda k: int(k.rsplit("/", 1)[1])
    )
    return [np.asarray(g[k]) for k in keys]


_MHA_PROJ = ("query", "key", "value", "output")


def _mha_in(parts: dict[str, tuple[np.ndarray, np.ndarray | None]]) -> Tensors:
    """Canonical attention weights from per-projection ``(kernel, bias or None)`` in the Keras /
    Flax head-split layout (query/key/value ``[in, heads, dim]``, output ``[heads, dim, out]``)."""
    out: Tensors = {}
    for proj, (k, b) in parts.items():
        out[f"{proj}_kernel"] = (
            k.reshape(-1, k.shape[-1]) if proj == "output" else k.reshape(k.shape[0], -1)
        )
        if b is not None:
            out[f"{proj}_bias"] = b.reshape(-1)
    return out


def _mha_out(p: Tensors, heads: int, names: dict[str, tuple[str, str]]) -> Tensors:
    """Canonical attention weights ``p`` in the head-split layout, under ``names[proj]``
    = (kernel key, bias key)."""
    out: Tensors = {}
    for proj, (kernel_key, bias_key) in names.items():
        k = p[f"{proj}_kernel"]
        shape = (heads, -1, k.shape[1]) if proj == "output" else (k.shape[0], heads, -1)
        out[kernel_key] = k.reshape(shape)
        if f"{proj}_bias" in p:
            b = p[f"{proj}_bias"]
            out[bias_key] = b if proj == "output" else b.reshape(heads, -1)
    return out


def _keras_in(kind: str, names: tuple[str, ...], g: Tensors, where: str) -> Tensors:
    if kind == "MultiHeadAttention":
        parts = {}
        for proj in _MHA_PROJ:
            vs = _vars(g, f"{proj}_dense/")
            if not vs:
                raise BackendError(f"{where}: a Keras MultiHeadAttention needs {proj}_dense")
            parts[proj] = (vs[0], vs[1] if len(vs) > 1 else None)
        return _mha_in(parts)
    vs = _vars(g, "cell/") if kind in ("LSTM", "GRU") else _vars(g)
    if kind == "GRU":
        if len(vs) != 3 or vs[2].ndim != 2:
            raise BackendError(
                f"{where}: a Keras GRU must have reset_after=True (bias [2, 3H]) to be a "
                "polyframe GRU (torch semantics); reset_after=False is other maths"
            )
        k, rk, b = vs
        o = _KERAS_GRU_ORDER
        return {
            "kernel": _gates(k, o),
            "recurrent_kernel": _gates(rk, o),
            "bias": _gates(b[0], o),
            "recurrent_bias": _gates(b[1], o),
        }
    if kind == "DepthwiseConv2D" and vs:
        kh, kw, c, m = vs[0].shape
        vs[0] = vs[0].reshape(kh, kw, 1, c * m)
    if len(vs) != len(names):
        raise BackendError(
            f"{where}: the Keras layer holds {len(vs)} variables but the polyframe {kind} has "
            f"{len(names)} ({', '.join(names)}); it is another architecture"
        )
    return dict(zip(names, vs, strict=True))


def _keras_out(kind: str, p: Tensors, where: str, node: Any) -> Tensors:
    if kind == "MultiHeadAttention":
        names = {proj: (f"{proj}_dense/vars/0", f"{proj}_dense/vars/1") for proj in _MHA_PROJ}
        return _mha_out(p, node.layer.num_heads, names)
    if kind == "GRU":
        back = tuple(int(i) for i in np.argsort(_KERAS_GRU_ORDER))
        b = np.stack([_gates(p["bias"], back), _gates(p["recurrent_bias"], back)])
        vs = [_gates(p["kernel"], back), _gates(p["recurrent_kernel"], back), b]
        return {f"cell/vars/{i}": v for i, v in enumerate(vs)}
    vs = list(p.values())
    if kind == "DepthwiseConv2D":
        kh, kw, _, cm = vs[0].shape
        c = node.input_shape[-1]
        vs[0] = vs[0].reshape(kh, kw, c, cm // c)
    prefix = "cell/" if kind == "LSTM" else ""
    return {f"{prefix}vars/{i}": v for i, v in enumerate(vs)}


# -- Flax NNX ----------------------------------------------------------------------------
_FLAX_NORM = {"scale": "gamma", "bias": "beta", "mean": "moving_mean", "var": "moving_var"}
_FLAX_MHA = {"output": "out"}  # projection -> nnx.MultiHeadAttention attribute
_FLAX_LSTM_CELL = (("ii", "hi"), ("if_", "hf"), ("ig", "hg"), ("io", "ho"))


def _flax_in(kind: str, names: tuple[str, ...], g: Tensors, where: str) -> Tensors:
    get = lambda key: _get(g, key, kind, where)  # noqa: E731
    if kind in ("BatchNorm", *_NORMS):
        return {_FLAX_NORM[k]: np.asarray(v) for k, v in g.items() if k in _FLAX_NORM}
    if kind in ("Embedding", "PositionalEmbedding"):
        return {"embedding": get("embedding")}
    if kind == "LSTM":
        if "cell/dense_i/kernel" in g:  # nnx.OptimizedLSTMCell
            return {
                "kernel": get("cell/dense_i/kernel"),
                "recurrent_kernel": get("cell/dense_h/kernel"),
                "bias": get("cell/dense_h/bias"),
            }
        # nnx.LSTMCell: one Linear per gate (input ones without bias), gates i, f, g, o
        ins = [get(f"cell/{i}/kernel") for i, _ in _FLAX_LSTM_CELL]
        hs = [get(f"cell/{h}/kernel") for _, h in _FLAX_LSTM_CELL]
        bs = [get(f"cell/{h}/bias") for _, h in _FLAX_LSTM_CELL]
        return {
            "kernel": np.concatenate(ins, axis=-1),
            "recurrent_kernel": np.concatenate(hs, axis=-1),
            "bias": np.concatenate(bs, axis=-1),
        }
    if kind == "GRU":
        k = get("cell/dense_i/kernel")
        return {
            "kernel": k,
            "recurrent_kernel": get("cell/dense_h/kernel"),
            "bias": get("cell/dense_i/bias"),
            "recurrent_bias": np.zeros(k.shape[-1], k.dtype),
        }
    if kind == "MultiHeadAttention":
        parts = {}
        for proj in _MHA_PROJ:
            sub = _FLAX_MHA.get(proj, proj)
            bias = np.asarray(g[f"{sub}/bias"]) if f"{sub}/bias" in g else None
            parts[proj] = (get(f"{sub}/kernel"), bias)
        return _mha_in(parts)
    if kind in ("Dense", *_CONV):
        out = {"kernel": get("kernel")}
        if "bias" in names:
            out["bias"] = get("bias")
        return out
    raise unsupported(kind, "flax", where)


def _flax_out(kind: str, p: Tensors, where: str, node: Any) -> Tensors:
    if kind in ("BatchNorm", *_NORMS):
        back = {v: k for k, v in _FLAX_NORM.items()}
        return {back[k]: v for k, v in p.items()}
    if kind == "LSTM":
        return {
            "cell/dense_i/kernel": p["kernel"],
            "cell/dense_h/kernel": p["recurrent_kernel"],
            "cell/dense_h/bias": p["bias"],
        }
    if kind == "GRU":
        if np.any(p["recurrent_bias"] != 0):
            raise BackendError(
                f"{where}: flax.nnx.GRUCell has no recurrent bias, and this GRU's is not zero; "
                "export it to torch or Keras instead"
            )
        return {
            "cell/dense_i/kernel": p["kernel"],
            "cell/dense_i/bias": p["bias"],
            "cell/dense_h/kernel": p["recurrent_kernel"],
        }
    if kind == "MultiHeadAttention":
        subs = {proj: _FLAX_MHA.get(proj, proj) for proj in _MHA_PROJ}
        names = {proj: (f"{sub}/kernel", f"{sub}/bias") for proj, sub in subs.items()}
        return _mha_out(p, node.layer.num_heads, names)
    if kind in ("Dense", "Embedding", "PositionalEmbedding", *_CONV):
        return dict(p)
    raise unsupported(kind, "flax", where)


def unsupported(kind: str, framework: str, where: str) -> BackendError:
    """The error for a layer kind without a native-weights rule for ``framework``."""
    return BackendError(
        f"{where}: no {framework} native-weights rule for a {kind} layer (covered: Dense, "
        "Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, BatchNorm, LayerNorm, GroupNorm, "
        "RMSNorm, Embedding, LSTM, GRU, MultiHeadAttention); save and load it as a polyframe "
        "checkpoint instead"
    )


def to_canonical(framework: str, node: Any, group: Tensors, where: str) -> Tensors:
    """The canonical local parameters of spec ``node`` from its native ``group``; shapes are
    checked against the spec."""
    if framework not in FRAMEWORKS:
        raise BackendError(f"unknown framework {framework!r}; known: {', '.join(FRAMEWORKS)}")
    specs = node.param_specs()
    names = tuple(specs)
    rule: Callable[..., Tensors] = {"torch": _torch_in, "keras": _keras_in, "flax": _flax_in}[
        framework
    ]
    out = rule(node.layer.kind, names, group, where)
    missing = [n for n in names if n not in out]
    if missing or set(out) - set(names):
        raise BackendError(
            f"{where}: the native {node.layer.kind} gives {', '.join(out) or 'nothing'} but "
            f"polyframe's {node.name!r} needs {', '.join(names)}; it is another architecture"
        )
    for name, ps in specs.items():
        got = tuple(np.shape(out[name]))
        if got != tuple(ps.shape):
            raise BackendError(
                f"{where}: the native tensor for {node.name}.{name} has shape {got} (after the "
                f"{framework} -> canonical layout rule) but the model's has {tuple(ps.shape)}; "
                "it is another architecture"
            )
        out[name] = np.array(out[name], dtype=np.float32, order="C", copy=True)
    return out


def to_native(framework: str, node: Any, local: Tensors, where: str) -> Tensors:
    """The native group of spec ``node`` from its canonical local parameters."""
    kind = node.layer.kind
    if framework == "torch":
        return _torch_out(kind, local, where)
    if framework == "keras":
        return _keras_out(kind, local, where, node)
    return _flax_out(kind, local, where, node)
