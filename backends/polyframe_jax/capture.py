"""``pf.from_native`` for Flax NNX: an ``nnx.Sequential`` (nested ones too) of covered modules
and functions becomes a :class:`polyframe.Graph`. A custom ``nnx.Module``'s ``__call__`` is
arbitrary Python that NNX keeps no record of, so only a Sequential's structure can be read;
plain functions are recognised by identity (``jax.nn.relu``, ``functools.partial(nnx.max_pool,
...)``), a flatten by what it does to a batch (``lambda x: x.reshape(x.shape[0], -1)``)."""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from polyframe.errors import BackendError
from polyframe.porting import Captured

COVERED = (
    "nnx.Sequential of nnx.Linear, nnx.Conv, nnx.BatchNorm, nnx.LayerNorm, nnx.Dropout, "
    "nnx.Embed, activations (relu, tanh, sigmoid, gelu), partial(nnx.max_pool / nnx.avg_pool, "
    "window_shape, strides) and a flatten function"
)
_ACTS = {
    jax.nn.relu: "relu", jnp.tanh: "tanh", jax.nn.tanh: "tanh", jax.nn.sigmoid: "sigmoid",
    jax.nn.softmax: "softmax",
}  # fmt: skip


def _padding(p: Any, where: str) -> str:
    if isinstance(p, str) and p.upper() in ("SAME", "VALID"):
        return p.lower()
    raise BackendError(f"{where}: padding {p!r} is not covered ('SAME' or 'VALID')")


def _function(fn: Any, shape: tuple[int, ...], where: str) -> Any:
    from polyframe import layers as L

    if fn in _ACTS:
        return L.Activation(_ACTS[fn])
    base = fn.func if isinstance(fn, functools.partial) else fn
    kw = fn.keywords if isinstance(fn, functools.partial) else {}
    if base is jax.nn.gelu:
        return L.Activation("gelu_tanh" if kw.get("approximate", True) else "gelu")
    if base in (nnx.max_pool, nnx.avg_pool) and not (isinstance(fn, functools.partial) and fn.args):
        window = tuple(kw.get("window_shape", ()))
        if len(window) != 2:
            raise BackendError(f"{where}: a pooling function needs window_shape=(h, w)")
        cls = L.MaxPool2D if base is nnx.max_pool else L.AvgPool2D
        strides = tuple(kw.get("strides") or window)
        padding = _padding(kw.get("padding", "VALID"), where)
        if base is nnx.avg_pool and padding == "same":
            raise BackendError(f"{where}: avg_pool with padding 'SAME' counts padded cells")
        return cls(window, strides, padding)
    probe = np.random.default_rng(0).normal(size=(2, *shape)).astype(np.float32)
    try:
        out = np.asarray(fn(jnp.asarray(probe)))
    except Exception:  # noqa: BLE001 - any failure means: not a function we know
        out = None
    if out is not None and out.shape == (2, int(np.prod(shape))):
        if np.array_equal(out, probe.reshape(2, -1)):
            return L.Flatten() if len(shape) > 1 else None
    raise BackendError(
        f"{where}: the function {getattr(fn, '__name__', repr(fn))} is not covered; "
        f"covered: {COVERED}"
    )


def _module(m: Any, where: str, name: str) -> Any:
    from polyframe import layers as L

    if isinstance(m, nnx.Linear):
        return L.Dense(m.out_features, use_bias=m.bias is not None, name=name)
    if isinstance(m, nnx.Conv):
        k = tuple(m.kernel_size)
        if len(k) != 2:
            raise BackendError(f"{where}: only 2-D nnx.Conv is covered")
        pair = lambda v: (v, v) if isinstance(v, int) else tuple(v or (1, 1))  # noqa: E731
        return L.Conv2D(
            m.out_features, k, strides=pair(m.strides), padding=_padding(m.padding, where),
            dilation=pair(m.kernel_dilation), groups=m.feature_group_count,
            use_bias=m.bias is not None, name=name,
        )  # fmt: skip
    if isinstance(m, nnx.BatchNorm):
        return L.BatchNorm(
            m.momentum, m.epsilon, center=m.bias is not None, scale=m.scale is not None, name=name
        )
    if isinstance(m, nnx.LayerNorm):
        return L.LayerNorm(epsilon=m.epsilon, name=name)
    if isinstance(m, nnx.Dropout):
        return L.Dropout(m.rate, name=name)
    if isinstance(m, nnx.Embed):
        return L.Embedding(m.num_embeddings, m.features, name=name)
    raise BackendError(
        f"{where}: Flax module {type(m).__name__} is not covered; covered: {COVERED}"
    )


def _group(m: Any) -> dict[str, np.ndarray]:
    state = nnx.to_pure_dict(nnx.state(m, nnx.Not(nnx.RngState)))
    return {str(k): np.asarray(v) for k, v in state.items() if not isinstance(v, dict)}


def capture(module: Any, example: Any) -> Captured:
    """An ``nnx.Sequential`` on ``example`` (channels-last numpy)."""
    from polyframe import layers as L
    from polyframe.spec.graph import Graph

    x = np.asarray(example)
    if not isinstance(module, nnx.Sequential):
        raise BackendError(
            f"Flax module {type(module).__name__}: NNX keeps no record of what a custom "
            "__call__ does, so from_native reads an nnx.Sequential only; write the model as "
            "nnx.Sequential(...) or as a polyframe spec"
        )
    dtype = "int32" if np.issubdtype(x.dtype, np.integer) else "float32"
    inp = L.Input(tuple(x.shape[1:]), dtype=dtype, name="x")
    groups: dict[str, dict[str, np.ndarray]] = {}

    def walk(seq: Any, value: Any, h: Any, path: str) -> tuple[Any, Any]:
        for i, item in enumerate(seq.layers):
            where = f"nnx.Sequential layers[{path}{i}]"
            name = f"layers_{path.replace('.', '_')}{i}"
            if isinstance(item, nnx.Sequential):
                value, h = walk(item, value, h, f"{path}{i}.")
                continue
            if isinstance(item, nnx.Module):
                layer = _module(item, where, name)
                if nnx.state(item, nnx.Param):
                    groups[name] = _group(item)
            else:
                layer = _function(item, tuple(h.shape[1:]), where)
            value = value if layer is None else layer(value)
            h = item(h)
        return value, h

    module.eval()  # dropout off, batch norm on its running statistics
    out, native = walk(module, inp, jnp.asarray(x), "")
    return Captured(
        Graph(inputs=inp, outputs=out, name="sequential"), groups, "flax", x, np.asarray(native)
    )
