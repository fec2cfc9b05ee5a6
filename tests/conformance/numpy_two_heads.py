"""A numpy (float64) forward and backward pass of a two-input, two-output Graph: a shared
tanh encoder applied to both inputs, a classification head (softmax cross-entropy) and a
regression head (mean squared error), total loss ``w_cls * ce + w_reg * mse``. The reference
run for the multi-input / multi-output training tests."""

from __future__ import annotations

import numpy as np

import polyframe as pf

from .numpy_optim import NumpyOptimizer

L = pf.layers


def two_heads_spec(
    features: int = 6, hidden: int = 8, classes: int = 3, targets: int = 2
) -> pf.Graph:
    """``x_a``, ``x_b`` -> shared Dense(tanh) -> concatenate -> ``cls`` logits, ``reg``."""
    xa = L.Input((features,), name="x_a")
    xb = L.Input((features,), name="x_b")
    enc = L.Dense(hidden, activation="tanh", name="enc")
    h = L.Concatenate(name="cat")([enc(xa), enc(xb)])
    cls = L.Dense(classes, name="cls")(h)
    reg = L.Dense(targets, name="reg")(h)
    return pf.Graph([xa, xb], [cls, reg], name="two_heads")


def two_heads_data(n: int = 48, seed: int = 3) -> tuple[dict, dict]:
    """Inputs ``{'x_a', 'x_b'}`` and targets ``{'cls', 'reg'}``, learnable from the inputs."""
    rng = np.random.default_rng(seed)
    xa = rng.normal(size=(n, 6)).astype(np.float32)
    xb = rng.normal(size=(n, 6)).astype(np.float32)
    y_cls = (np.argmax(xa[:, :3] + xb[:, :3], axis=1)).astype(np.int64)
    y_reg = np.stack([xa[:, 0] - xb[:, 1], np.tanh(xa[:, 2])], axis=1).astype(np.float32)
    return {"x_a": xa, "x_b": xb}, {"cls": y_cls, "reg": y_reg}


def loss_and_grads(
    p: dict[str, np.ndarray],
    xa: np.ndarray,
    xb: np.ndarray,
    yc: np.ndarray,
    yr: np.ndarray,
    weights: tuple[float, float],
) -> tuple[tuple[float, float, float], dict[str, np.ndarray]]:
    """``(total, ce, mse)`` of the batch and the total's gradients (canonical names)."""
    w, b = p["enc.kernel"], p["enc.bias"]
    xa, xb = xa.astype(np.float64), xb.astype(np.float64)
    ha, hb = np.tanh(xa @ w + b), np.tanh(xb @ w + b)
    h = np.concatenate([ha, hb], axis=1)
    z = h @ p["cls.kernel"] + p["cls.bias"]
    r = h @ p["reg.kernel"] + p["reg.bias"]
    n = len(xa)
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    ce = float(-logp[np.arange(n), yc].mean())
    d = r - yr
    mse = float(np.mean(d * d))
    wc, wr = weights
    dz = np.exp(logp)
    dz[np.arange(n), yc] -= 1.0
    dz *= wc / n
    dr = wr * 2.0 * d / d.size
    dh = dz @ p["cls.kernel"].T + dr @ p["reg.kernel"].T
    k = w.shape[1]
    dpa, dpb = dh[:, :k] * (1 - ha * ha), dh[:, k:] * (1 - hb * hb)
    grads = {
        "enc.kernel": xa.T @ dpa + xb.T @ dpb,
        "enc.bias": dpa.sum(axis=0) + dpb.sum(axis=0),
        "cls.kernel": h.T @ dz,
        "cls.bias": dz.sum(axis=0),
        "reg.kernel": h.T @ dr,
        "reg.bias": dr.sum(axis=0),
    }
    return (wc * ce + wr * mse, ce, mse), grads


def train_reference(
    spec: pf.Graph,
    seed: int,
    loader: pf.data.Loader,
    epochs: int,
    optimizer: pf.optim.Optimizer,
    weights: tuple[float, float],
) -> np.ndarray:
    """Per-step ``(total, ce, mse)`` of a float64 run over ``loader``'s dict batches."""
    params = {k: v.astype(np.float64) for k, v in pf.init_params(spec, seed).items()}
    opt = NumpyOptimizer(optimizer)
    losses = []
    for epoch in range(epochs):
        for xb, yb in loader.epoch(epoch):
            loss, grads = loss_and_grads(
                params, xb["x_a"], xb["x_b"], yb["cls"], yb["reg"], weights
            )
            opt.step(params, grads, float(optimizer.lr))
            losses.append(loss)
    return np.array(losses)
