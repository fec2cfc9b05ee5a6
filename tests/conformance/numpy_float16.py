"""A numpy emulation of float16 mixed-precision training with dynamic loss scaling, for a
Dense(relu) -> Dense classifier: the reference the float16 conformance tests compare every
backend to.

Each float16 op takes float16 operands, computes wide (float64) and rounds once to float16
(an overflow becomes inf), as the frameworks' CPU kernels do: matmuls, then the bias add, the
relu. Where the frameworks round differently is an option of the reference (:class:`Rounding`):
torch's ``addmm`` rounds matmul + bias once (XLA and TensorFlow round the matmul, then the
sum). Bias gradients are float16 values summed wide and rounded once on every backend (JAX:
polyframe_jax.f16_grads.bias_add; XLA's own float16 ``reduce_sum`` accumulated in float16);
the logits go to float32 for the softmax cross-entropy. The backward pass mirrors it:
the gradient of the scaled loss reaches the logits in float32, is rounded to float16, and
flows back through float16 ops; the float32 master weights get the float16 gradients,
unscaled in float32. The optimizer is the float64 oracle (numpy_optim), its results stored
as float32 master weights; the scale follows polyframe.loss_scale.update.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import polyframe as pf
from polyframe.loss_scale import LossScale, update

from .numpy_optim import NumpyOptimizer

L = pf.layers
NAMES = ("dense_0.kernel", "dense_0.bias", "dense_1.kernel", "dense_1.bias")


def mlp_spec(features: int = 64, hidden: int = 32, classes: int = 10) -> pf.Sequential:
    """The digits MLP: Dense(relu) -> Dense logits."""
    return pf.Sequential(
        [L.Input((features,)), L.Dense(hidden, activation="relu"), L.Dense(classes)],
        name="digits_mlp",
    )


@dataclass(frozen=True)
class Rounding:
    """Where a backend's float16 Dense rounds (see the module docstring)."""

    fused_bias: bool = False  # matmul + bias rounded once (torch)


def _f16(a: np.ndarray) -> np.ndarray:
    """Round (float64 or float32) values to float16; out of range becomes inf."""
    with np.errstate(over="ignore"):
        return np.asarray(a, np.float64).astype(np.float16)


def _mm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _f16(a.astype(np.float64) @ b.astype(np.float64))


def _sum0(a: np.ndarray) -> np.ndarray:
    return _f16(a.astype(np.float64).sum(axis=0))


def _dense(x: np.ndarray, w: np.ndarray, b: np.ndarray, fused: bool) -> np.ndarray:
    wide = x.astype(np.float64) @ w.astype(np.float64)
    return _f16((wide if fused else _f16(wide).astype(np.float64)) + b)


def loss_and_grads(
    params: dict[str, np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    scale: float,
    rounding: Rounding = Rounding(),
) -> tuple[float, dict[str, np.ndarray]]:
    """The batch's mean cross-entropy and the *unscaled* float32 gradients of the scaled
    loss (inf/nan where float16 overflowed)."""
    w1, b1, w2, b2 = (_f16(params[k]) for k in NAMES)
    x16 = _f16(x)
    z1 = _dense(x16, w1, b1, rounding.fused_bias)
    h = np.maximum(z1, np.float16(0))
    z2 = _dense(h, w2, b2, rounding.fused_bias)
    out = z2.astype(np.float32).astype(np.float64)
    n = len(x)
    z = out - out.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    loss = float(-logp[np.arange(n), y].mean())
    dz = np.exp(logp)
    dz[np.arange(n), y] -= 1.0
    dz2 = _f16((dz * (scale / n)).astype(np.float32))
    dh = _mm(dz2, w2.T)
    dz1 = np.where(z1 > 0, dh, np.float16(0))
    grads16 = {
        "dense_0.kernel": _mm(x16.T, dz1),
        "dense_0.bias": _sum0(dz1),
        "dense_1.kernel": _mm(h.T, dz2),
        "dense_1.bias": _sum0(dz2),
    }
    inv = np.float32(1.0 / scale)
    with np.errstate(invalid="ignore", over="ignore"):
        return loss, {k: g.astype(np.float32) * inv for k, g in grads16.items()}


def train_reference(
    spec: pf.Sequential,
    seed: int,
    batches: list[tuple[np.ndarray, np.ndarray]],
    optimizer: pf.optim.Optimizer,
    rule: LossScale,
    rounding: Rounding = Rounding(),
) -> tuple[np.ndarray, list[int], list[float]]:
    """Per-step losses, the 1-based indices of the skipped steps and the scale after each
    step of a float16 run over ``batches`` (a constant learning rate: ``optimizer.lr``)."""
    params = {k: v.astype(np.float32) for k, v in pf.init_params(spec, seed).items()}
    opt = NumpyOptimizer(optimizer)
    scale, good = float(rule.initial), 0
    losses, skipped, scales = [], [], []
    for step, (xb, yb) in enumerate(batches, start=1):
        loss, grads = loss_and_grads(params, xb, yb, scale, rounding)
        finite = all(bool(np.isfinite(g).all()) for g in grads.values())
        if finite:
            wide = {k: v.astype(np.float64) for k, v in params.items()}
            opt.step(wide, {k: g.astype(np.float64) for k, g in grads.items()}, optimizer.lr)
            params = {k: v.astype(np.float32) for k, v in wide.items()}
        else:
            skipped.append(step)
        scale, good = update(scale, good, finite, rule)
        losses.append(loss)
        scales.append(scale)
    return np.array(losses), skipped, scales
