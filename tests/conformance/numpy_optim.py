"""Hand-written numpy implementations of each optimizer's formula (torch's rules, written
from their documentation), in float64: the oracle for the optimizer and trajectory tests."""

from __future__ import annotations

import numpy as np

import polyframe as pf


class NumpyOptimizer:
    """``step(params, grads, lr)`` updates the dict ``params`` in place."""

    def __init__(self, spec: pf.optim.Optimizer) -> None:
        self.spec = spec
        self.state: dict[str, dict[str, np.ndarray]] = {}
        self.t = 0

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: float) -> None:
        self.t += 1
        for name, g in grads.items():
            st = self.state.setdefault(name, {})
            params[name] = self._update(params[name], g, lr, st)

    def _update(self, p: np.ndarray, g: np.ndarray, lr: float, st: dict) -> np.ndarray:
        o, t = self.spec, self.t
        wd = o.weight_decay if o.decays(p.shape) else 0.0
        if isinstance(o, pf.optim.AdamW):
            p = p - lr * wd * p
        elif wd:
            g = g + wd * p
        if isinstance(o, pf.optim.SGD):
            if o.momentum:
                st["buf"] = g.copy() if "buf" not in st else o.momentum * st["buf"] + g
                g = g + o.momentum * st["buf"] if o.nesterov else st["buf"]
            return p - lr * g
        if isinstance(o, pf.optim.Adam):
            st["m"] = o.beta1 * st.get("m", 0 * p) + (1 - o.beta1) * g
            st["v"] = o.beta2 * st.get("v", 0 * p) + (1 - o.beta2) * g * g
            m_hat = st["m"] / (1 - o.beta1**t)
            v_hat = st["v"] / (1 - o.beta2**t)
            return p - lr * m_hat / (np.sqrt(v_hat) + o.eps)
        if isinstance(o, pf.optim.RMSprop):
            st["v"] = o.alpha * st.get("v", 0 * p) + (1 - o.alpha) * g * g
            avg = st["v"]
            if o.centered:
                st["mg"] = o.alpha * st.get("mg", 0 * p) + (1 - o.alpha) * g
                avg = avg - st["mg"] ** 2
            d = g / (np.sqrt(avg) + o.eps)
            if o.momentum:
                st["buf"] = o.momentum * st.get("buf", 0 * p) + d
                d = st["buf"]
            return p - lr * d
        if isinstance(o, pf.optim.Adagrad):
            st["s"] = st.get("s", 0 * p + o.initial_accumulator_value) + g * g
            return p - lr * g / (np.sqrt(st["s"]) + o.eps)
        raise TypeError(type(o))


def clip(grads: dict[str, np.ndarray], clip_norm: float | None, clip_value: float | None) -> dict:
    """By value, then by global norm: ``g * min(1, c / (norm + 1e-6))``."""
    if clip_value is not None:
        grads = {k: np.clip(g, -clip_value, clip_value) for k, g in grads.items()}
    if clip_norm is not None:
        norm = np.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))
        coef = min(1.0, clip_norm / (norm + 1e-6))
        grads = {k: g * coef for k, g in grads.items()}
    return grads
