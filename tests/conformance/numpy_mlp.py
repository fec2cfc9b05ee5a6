"""A numpy (float64) forward and backward pass of a Dense-tanh-Dense classifier with mean
softmax cross-entropy: the reference training run for the trajectory and accumulation tests."""

from __future__ import annotations

import numpy as np

import polyframe as pf

from .numpy_optim import NumpyOptimizer, clip

L = pf.layers


def mlp_spec(features: int = 12, hidden: int = 16, classes: int = 5) -> pf.Sequential:
    """The model these references differentiate: Dense(tanh) -> Dense logits."""
    return pf.Sequential(
        [L.Input((features,)), L.Dense(hidden, activation="tanh"), L.Dense(classes)], name="mlp"
    )


def loss_and_grads(
    params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray
) -> tuple[float, dict[str, np.ndarray]]:
    """Mean cross-entropy of the batch and its gradients (canonical names)."""
    w1, b1 = params["dense_0.kernel"], params["dense_0.bias"]
    w2, b2 = params["dense_1.kernel"], params["dense_1.bias"]
    x = x.astype(np.float64)
    h = np.tanh(x @ w1 + b1)
    z = h @ w2 + b2
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = len(x)
    loss = float(-logp[np.arange(n), y].mean())
    dz = np.exp(logp)
    dz[np.arange(n), y] -= 1.0
    dz /= n
    dh = (dz @ w2.T) * (1.0 - h * h)
    grads = {
        "dense_0.kernel": x.T @ dh,
        "dense_0.bias": dh.sum(axis=0),
        "dense_1.kernel": h.T @ dz,
        "dense_1.bias": dz.sum(axis=0),
    }
    return loss, grads


def train_reference(
    spec: pf.Sequential,
    seed: int,
    loader: pf.data.Loader,
    epochs: int,
    optimizer: pf.optim.Optimizer,
    lr_at: callable,
    clip_norm: float | None = None,
) -> tuple[np.ndarray, int]:
    """Per-step losses of a float64 training run over ``loader``'s batches, and how many
    steps had their gradient clipped."""
    params = {k: v.astype(np.float64) for k, v in pf.init_params(spec, seed).items()}
    opt = NumpyOptimizer(optimizer)
    losses, clipped, step = [], 0, 0
    for epoch in range(epochs):
        for xb, yb in loader.epoch(epoch):
            loss, grads = loss_and_grads(params, xb, yb)
            norm = np.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))
            clipped += int(clip_norm is not None and norm > clip_norm)
            opt.step(params, clip(grads, clip_norm, None), lr_at(step))
            losses.append(loss)
            step += 1
    return np.array(losses), clipped
