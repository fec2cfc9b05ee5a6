"""``pf.diff``: where do backends part? One batch forward and backward, and one optimizer step,
on several backends and the numpy oracle, compared layer by layer.

- **Activations**: every layer's output on every backend (one lowering per backend whose outputs
  are all the layers' outputs) against the numpy reference.
- **Gradients**: each backend's parameter gradients of the loss (``Model.gradients`` with the
  loss's cotangent at the oracle's output), per layer, against the element-wise median of the
  backends; and against the oracle along a random direction per layer (a central difference of
  the float64 reference loss), so that a gradient every backend gets wrong is caught too.
- **Updated parameters**: the optimizer's first step (the canonical rule, docs/training.md)
  applied to each backend's gradients, against the median update.

Everything runs in inference mode (dropout off, batch norm on its running statistics), so the
backends compute the same function. The first layer (in forward order; activations, then
gradients, then updates) whose difference exceeds its tolerance is marked, and the report says
whether the activation difference grows along the network.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from polyframe.errors import ConfigError, DataError

QUANTITIES = ("activation", "gradient", "update")


@dataclass
class LayerDiff:
    """One layer's max |difference| per backend for each quantity (``None``: the layer has no
    parameters), and the tolerance each was judged by."""

    name: str
    kind: str
    activation: dict[str, float] = field(default_factory=dict)
    gradient: dict[str, float] | None = None
    gradient_oracle: dict[str, float] | None = None
    update: dict[str, float] | None = None
    tolerance: dict[str, float] = field(default_factory=dict)

    def exceeded(self, quantity: str) -> list[str]:
        """The backends whose ``quantity`` difference exceeds the tolerance."""
        values = dict(getattr(self, quantity) or {})
        if quantity == "gradient":
            for b, v in (self.gradient_oracle or {}).items():
                if v == v:  # nan: no oracle at a kink
                    values[b] = max(values.get(b, 0.0), v)
        return [b for b, v in values.items() if not v <= self.tolerance[quantity]]


@dataclass
class DiffReport:
    """Per-layer differences, the first place a tolerance is exceeded, and the trend."""

    backends: tuple[str, ...]
    layers: list[LayerDiff]
    loss: dict[str, float]
    first: tuple[str, str, tuple[str, ...]] | None  # (layer, quantity, backends)
    grows: bool
    growth: float
    jump: tuple[str, float] = ("", 1.0)  # the layer whose difference grows most over its input's

    @property
    def ok(self) -> bool:
        """True when every layer is within tolerance."""
        return self.first is None

    def summary(self) -> str:
        """A table (one row per layer: max over backends of each quantity) and a verdict."""
        lines = [
            f"{'layer':<20} {'kind':<18} {'activation':>10} {'gradient':>10} {'update':>10}",
        ]
        for row in self.layers:
            cells = []
            for q in QUANTITIES:
                values = getattr(row, q)
                if q == "gradient" and row.gradient_oracle:
                    oracle = row.gradient_oracle
                    values = {
                        b: max(v, oracle[b]) if oracle[b] == oracle[b] else v
                        for b, v in values.items()
                    }
                cell = "-" if not values else f"{max(values.values()):.2e}"
                cells.append(cell + ("!" if values and row.exceeded(q) else " "))
            lines.append(f"{row.name:<20} {row.kind:<18} " + " ".join(f"{c:>11}" for c in cells))
        loss = ", ".join(f"{b} {v:.6g}" for b, v in self.loss.items())
        lines.append(f"loss: {loss}")
        if self.first is None:
            lines.append(f"every layer within tolerance on {', '.join(self.backends)}")
        else:
            layer, quantity, backends = self.first
            lines.append(f"first exceeded: {layer!r} ({quantity}) on {', '.join(backends)}")
        trend = "grows" if self.grows else "does not grow"
        lines.append(
            f"the activation difference {trend} along the network (output / first layer: "
            f"x{self.growth:.3g})"
        )
        if self.jump[1] > 10.0:
            lines.append(
                f"largest jump: at {self.jump[0]!r} (x{self.jump[1]:.3g} over the layer before)"
            )
        return "\n".join(lines)


def _source(source: Any, seed: int) -> tuple[Any, dict[str, np.ndarray]]:
    """(spec, canonical params) of a spec, a Model, a Ported or a checkpoint path."""
    from polyframe.init import init_params
    from polyframe.spec.model_spec import ModelSpec

    if isinstance(source, (str, Path)):
        from polyframe.checkpoint import load

        model = load(source)
        return model.spec, model.params()
    if hasattr(source, "params") and hasattr(source, "spec"):
        params = source.params() if callable(source.params) else source.params
        return source.spec, dict(params)
    if isinstance(source, ModelSpec):
        return source, init_params(source, seed, "float32")
    raise ConfigError(
        f"diff takes a spec, a Model, a checkpoint path or pf.from_native's result, got "
        f"{type(source).__name__}"
    )


def _probe_spec(spec: Any) -> Any:
    """The spec as a Graph whose outputs are every layer's output (forward order)."""
    from polyframe.spec.graph import Graph
    from polyframe.spec.symbolic import GraphParts

    if spec.is_graph:
        refs = tuple(dict.fromkeys(n.output for n in spec.nodes))
        return Graph.from_parts(spec.parts._replace(outputs=refs), name=spec.name)
    inp = dataclasses.replace(spec.layers[0], name="diff_input")
    layers = [inp]
    calls = []
    prev = "diff_input"
    for node in spec.nodes:
        layers.append(dataclasses.replace(node.layer, name=node.name))
        calls.append((node.name, (prev,)))
        prev = node.name
    parts = GraphParts(
        tuple(layers), tuple(calls), ("diff_input",), tuple(n.name for n in spec.nodes)
    )
    return Graph.from_parts(parts, name=spec.name)


def _loss(name: str, out: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """(loss, d loss / d out) in float64, mean over the batch."""
    out = np.asarray(out, dtype=np.float64)
    if name == "cross_entropy":
        z = out - out.max(axis=-1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
        idx = np.asarray(y).astype(int)
        n = out.shape[0]
        value = float(-np.log(p[np.arange(n), idx]).mean())
        grad = p.copy()
        grad[np.arange(n), idx] -= 1.0
        return value, grad / n
    if name == "mse":
        d = out - np.asarray(y, dtype=np.float64)
        return float((d**2).mean()), 2.0 * d / d.size
    raise ConfigError(f"diff: loss must be 'cross_entropy' or 'mse', got {name!r}")


def _update(optimizer: Any, p: np.ndarray, g: np.ndarray) -> np.ndarray:
    """The optimizer's first step on one parameter by the canonical rule (docs/training.md):
    SGD (the first momentum buffer is the gradient), Adam/AdamW (bias-corrected), RMSprop
    (not centered), Adagrad; L2 weight decay added to the gradient, AdamW's decoupled."""
    name = optimizer.name
    lr = optimizer.lr
    p = np.asarray(p, dtype=np.float64)
    g = np.asarray(g, dtype=np.float64)
    decays = optimizer.decays(p.shape)
    if decays and name != "adamw":
        g = g + optimizer.weight_decay * p
    if decays and name == "adamw":
        p = p - lr * optimizer.weight_decay * p
    if name == "sgd":
        step = g * (1.0 + optimizer.momentum) if optimizer.nesterov else g
    elif name in ("adam", "adamw"):
        step = g / (np.abs(g) + optimizer.eps)
    elif name == "rmsprop" and not optimizer.centered:
        step = g / (np.sqrt((1.0 - optimizer.alpha) * g * g) + optimizer.eps)
    elif name == "adagrad":
        step = g / (np.sqrt(optimizer.initial_accumulator_value + g * g) + optimizer.eps)
    else:
        raise ConfigError(
            f"diff: no first-step rule for {name!r} (centered RMSprop); use sgd, adam, adamw, "
            "rmsprop or adagrad"
        )
    return p - lr * step


def _median(values: list[np.ndarray]) -> np.ndarray:
    return np.median(np.stack(values), axis=0)


def diff(
    source: Any,
    backends: list[str] | tuple[str, ...] = ("torch", "tensorflow", "jax"),
    data: Any = None,
    loss: str = "cross_entropy",
    optimizer: Any = "sgd",
    lr: float = 0.1,
    tol: float = 1e-5,
    seed: int = 0,
) -> DiffReport:
    """Compare ``backends`` (two or more) and the numpy oracle on one batch ``data = (x, y)``
    (or ``x`` alone: random labels) for ``source`` (a spec, a Model, a checkpoint path or
    ``pf.from_native``'s result). Tolerances are ``tol`` times the layer's scale (its largest
    reference value, at least 1). Returns a :class:`DiffReport`; ``print(report.summary())``."""
    from polyframe.optim import get_optimizer
    from polyframe.reference import forward

    backends = tuple(backends)
    if len(backends) < 2:
        raise ConfigError(f"diff compares two or more backends, got {list(backends)}")
    spec, params = _source(source, seed)
    if spec.n_outputs != 1:
        raise ConfigError("diff takes a model with one output")
    opt = get_optimizer(optimizer, lr=lr) if isinstance(optimizer, str) else optimizer
    rng = np.random.default_rng(seed)
    x, y, ref_out = _batch(spec, params, data, loss, rng)
    ref_loss, cot = _loss(loss, ref_out, y)
    probe = _probe_spec(spec)
    nodes = list(probe.nodes)
    ref_acts = forward(probe, params, x, out_dtype=np.float64)
    acts, grads, losses = _run_backends(backends, spec, probe, params, (x, y, cot), loss)
    losses = {"reference": ref_loss, **losses}

    layers: list[LayerDiff] = []
    trainable = {k for k, ps in spec.param_specs().items() if ps.trainable}
    seen: set[str] = set()
    for i, node in enumerate(nodes):
        scale = max(1.0, float(np.abs(ref_acts[i]).max()))
        row = LayerDiff(node.name, node.layer.kind)
        row.tolerance["activation"] = tol * scale
        for name in backends:
            row.activation[name] = float(np.abs(acts[name][i] - ref_acts[i]).max())
        keys = [k for k in params if k.split(".", 1)[0] == node.name and k in trainable]
        if keys and node.name not in seen:
            seen.add(node.name)
            _gradient_rows(row, keys, backends, grads, params, opt, tol)
            _oracle_rows(row, keys, backends, grads, spec, params, x, y, loss, rng)
        layers.append(row)
    return _report(backends, layers, losses)


def _batch(spec: Any, params: dict, data: Any, loss: str, rng: Any) -> tuple[np.ndarray, ...]:
    """``(x, y, reference output)`` of ``data`` (``x`` alone: labels drawn from ``rng``)."""
    from polyframe.reference import forward

    x, y = data if isinstance(data, tuple) else (data, None)
    if x is None:
        raise DataError("diff needs data: a batch x, or (x, y)")
    x = np.asarray(x)
    ref_out = np.asarray(forward(spec, params, x, out_dtype=np.float64))
    if y is None:
        y = (
            rng.integers(0, ref_out.shape[-1], ref_out.shape[0])
            if loss == "cross_entropy"
            else rng.normal(size=ref_out.shape)
        )
    return x, y, ref_out


def _run_backends(
    backends: tuple[str, ...], spec: Any, probe: Any, params: dict, batch: tuple, loss: str
) -> tuple[dict, dict, dict]:
    """Every layer's output, the parameter gradients and the loss on each backend."""
    from polyframe.backend import get_backend
    from polyframe.model import Model

    x, y, cot = batch
    acts: dict[str, list[np.ndarray]] = {}
    grads: dict[str, dict[str, np.ndarray]] = {}
    losses: dict[str, float] = {}
    for name in backends:
        be = get_backend(name)
        outs = Model.lowered(probe, params, be)(x)
        acts[name] = outs if isinstance(outs, list) else [outs]
        losses[name] = _loss(loss, acts[name][-1], y)[0]
        grads[name] = Model.lowered(spec, params, be).gradients(x, cot.astype(np.float32))[1]
    return acts, grads, losses


def _report(backends: tuple[str, ...], layers: list[LayerDiff], losses: dict) -> DiffReport:
    """The report: the first quantity out of tolerance, and how the error grows."""
    first = None
    for quantity in QUANTITIES:
        for row in layers:
            if getattr(row, quantity) is not None and row.exceeded(quantity):
                first = (row.name, quantity, tuple(row.exceeded(quantity)))
                break
        if first:
            break
    worst = [max(r.activation.values()) for r in layers]
    floor = 1e-12
    growth = max(worst[-1], floor) / max(worst[0], floor)
    steps = [
        (layers[i].name, max(worst[i], floor) / max(worst[i - 1], floor))
        for i in range(1, len(worst))
    ]
    jump = max(steps, key=lambda s: s[1], default=("", 1.0))
    return DiffReport(backends, layers, losses, first, growth > 10.0, growth, jump)


def _gradient_rows(
    row: LayerDiff, keys: list[str], backends: tuple[str, ...], grads: dict, params: dict,
    opt: Any, tol: float,
) -> None:  # fmt: skip
    row.gradient, row.update = {}, {}
    g_scale = max(1.0, *(float(np.abs(grads[b][k]).max()) for b in backends for k in keys))
    p_scale = max(1.0, *(float(np.abs(params[k]).max()) for k in keys))
    medians = {k: _median([grads[b][k] for b in backends]) for k in keys}
    updates = {b: {k: _update(opt, params[k], grads[b][k]) for k in keys} for b in backends}
    upd_median = {k: _median([updates[b][k] for b in backends]) for k in keys}
    for b in backends:
        row.gradient[b] = max(float(np.abs(grads[b][k] - medians[k]).max()) for k in keys)
        row.update[b] = max(float(np.abs(updates[b][k] - upd_median[k]).max()) for k in keys)
    row.tolerance["gradient"] = tol * g_scale
    row.tolerance["update"] = tol * p_scale


def _oracle_rows(
    row: LayerDiff, keys: list[str], backends: tuple[str, ...], grads: dict, spec: Any,
    params: dict, x: np.ndarray, y: Any, loss: str, rng: np.random.Generator,
) -> None:  # fmt: skip
    """Each backend's gradient along a random unit direction ``v`` over this layer's
    parameters, against the float64 central difference of the reference loss."""
    from polyframe.reference import forward

    v = {k: rng.normal(size=np.shape(params[k])) for k in keys}
    norm = np.sqrt(sum(float((a * a).sum()) for a in v.values()))
    v = {k: a / norm for k, a in v.items()}

    def loss_at(step: float) -> float:
        moved = {k: np.asarray(p, dtype=np.float64) for k, p in params.items()}
        for k in keys:
            moved[k] = moved[k] + step * v[k]
        xs = np.asarray(x, dtype=np.float64) if x.dtype.kind == "f" else x
        return _loss(loss, forward(spec, moved, xs, out_dtype=np.float64), y)[0]

    # two step sizes: where they disagree the loss has a kink (ReLU, max) next to the point
    # and the central difference is no oracle; the layer's check is then left out (nan)
    slopes = [(loss_at(eps) - loss_at(-eps)) / (2 * eps) for eps in (1e-6, 5e-7)]
    smooth = abs(slopes[0] - slopes[1]) <= 1e-7 * max(1.0, abs(slopes[0]))
    row.gradient_oracle = {
        b: abs(sum(float((grads[b][k] * v[k]).sum()) for k in keys) - slopes[0])
        if smooth
        else float("nan")
        for b in backends
    }
