"""Several inputs and several outputs in the Trainer (a ``pf.Graph`` with more than one of
either), the Keras way.

Inputs are a dict by input name, or a list / tuple in ``spec.input_names`` order; targets a
dict by output name, or a list / tuple in output order. Both are normalised here to dicts in
the spec's order (what the Loader batches) and become lists in that order at placement (what
the native modules and the compiled steps take). An output's *name* is its ref with ``:``
read as ``_`` (``'cls'``, or ``'dense_1'`` for ``'dense:1'``); results and history are keyed
by it as Keras does: ``loss`` (the weighted total), ``<out>_loss`` (each output's unweighted
loss), ``<out>_<metric>``, and ``val_`` before each for validation data.

The total loss is ``sum_k w_k * loss_k``, each ``loss_k`` the project's ``sum_i(s_i * l_i) /
N`` over the global batch (``s_i`` the sample weights, shared by the outputs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np

from polyframe.errors import ConfigError, DataError
from polyframe.losses import Loss, check_output, check_targets, get_loss
from polyframe.metrics import MetricPlan, check_metrics, compute, plan


def counts_of(spec: Any) -> tuple[int, int]:
    """``(inputs, outputs)`` of a model spec (a Sequential has one of each)."""
    return spec.n_inputs, spec.n_outputs


def is_multi(spec: Any) -> bool:
    """True for a Graph with several inputs or several outputs (this module's case)."""
    inputs, outputs = counts_of(spec)
    return inputs > 1 or outputs > 1


def output_keys(spec: Any) -> tuple[str, ...]:
    """The outputs' names as results use them (``:`` read as ``_``)."""
    return tuple(str(r).replace(":", "_") for r in spec.output_names)


def _per_output(value: Any, keys: tuple[str, ...], what: str) -> list[Any]:
    """One value per output from a dict by output name, a list in order, or one for all."""
    if isinstance(value, Mapping):
        unknown = [k for k in value if k not in keys]
        if unknown:
            raise ConfigError(f"{what}: unknown output(s) {unknown}; the outputs are {list(keys)}")
        return [value.get(k) for k in keys]
    if isinstance(value, (list, tuple)) and len(value) == len(keys) and what != "metrics":
        return list(value)
    return [value] * len(keys)


@dataclass(frozen=True)
class OutputLosses:
    """Per-output losses: ``names`` (result keys), one :class:`Loss` and weight each.

    Backends see it as ``StepConfig.loss``; their batch loss is then the vector
    ``[total, loss_1, ..., loss_K]`` (the total is what is differentiated)."""

    names: tuple[str, ...]
    losses: tuple[Loss, ...]
    weights: tuple[float, ...]
    name: str = "per_output"
    class_weight: None = None
    label_smoothing: float = 0.0
    classification: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain data (what a checkpoint manifest records)."""
        return {
            "loss": {n: loss.name for n, loss in zip(self.names, self.losses, strict=True)},
            "loss_weights": dict(zip(self.names, self.weights, strict=True)),
        }


@dataclass(frozen=True)
class OutputMetrics:
    """Per-output metric plans; the device counts are keyed ``'<out>/<counter>'``."""

    names: tuple[str, ...]
    plans: tuple[MetricPlan, ...]
    custom: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        """True when no output has a metric."""
        return all(p.empty for p in self.plans)

    @property
    def builtin(self) -> bool:
        """True when some output keeps a built-in counter."""
        return any(p.builtin for p in self.plans)

    @property
    def metric_names(self) -> tuple[str, ...]:
        """``'<out>_<metric>'`` for every output's metrics."""
        return tuple(
            f"{k}_{m}" for k, p in zip(self.names, self.plans, strict=True) for m in p.names
        )

    def split(self, counts: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The counts of each output, with its prefix removed."""
        out: list[dict[str, Any]] = [{} for _ in self.names]
        for key, value in counts.items():
            name, _, counter = key.partition("/")
            out[self.names.index(name)][counter] = value
        return out

    def compute(self, counts: Mapping[str, Any], samples: int) -> dict[str, Any]:
        """``{'<out>_<metric>': value}`` from the device counts."""
        out: dict[str, Any] = {}
        for name, p, sub in zip(self.names, self.plans, self.split(counts), strict=True):
            out.update({f"{name}_{k}": v for k, v in compute(p, sub, samples).items()})
        return out


def prefixed(name: str, counts: Mapping[str, Any]) -> dict[str, Any]:
    """``counts`` keyed ``'<name>/<counter>'`` (for the backends' counters)."""
    return {f"{name}/{k}": v for k, v in counts.items()}


def loss_shape(loss: Any) -> tuple[int, ...]:
    """Shape of a batch loss: ``()``, or ``(1 + outputs,)`` for :class:`OutputLosses`."""
    return (1 + len(loss.losses),) if isinstance(loss, OutputLosses) else ()


def loss_results(loss: Any, total: Any, samples: int) -> dict[str, float]:
    """``{'loss': ..., '<out>_loss': ...}``: mean losses from their summed ``total``."""
    vec = np.atleast_1d(np.asarray(total, np.float64)) / samples if samples else None
    if vec is None:
        vec = np.full(1 + len(getattr(loss, "losses", ())), np.nan)
    out = {"loss": float(vec[0])}
    if isinstance(loss, OutputLosses):
        out.update({f"{n}_loss": float(v) for n, v in zip(loss.names, vec[1:], strict=True)})
    return out


def make_losses(spec: Any, loss: Any, loss_weights: Any = None) -> OutputLosses:
    """Per-output losses from one loss (for every output), a dict by output name or a list,
    and ``loss_weights`` (the same forms; 1.0 by default)."""
    keys = output_keys(spec)
    shapes = tuple(spec.output_shapes)
    losses = []
    for key, shape, value in zip(keys, shapes, _per_output(loss, keys, "loss"), strict=True):
        if value is None:
            raise ConfigError(f"loss: no loss for output {key!r}; give one per output {list(keys)}")
        one = get_loss(value)
        try:
            check_output(one, tuple(shape))
        except ConfigError as e:
            raise ConfigError(f"output {key!r}: {e}") from None
        losses.append(one)
    weights = _per_output(1.0 if loss_weights is None else loss_weights, keys, "loss_weights")
    weights = [1.0 if w is None else w for w in weights]
    for key, w in zip(keys, weights, strict=True):
        if not isinstance(w, (int, float)) or not np.isfinite(w) or w < 0:
            raise ConfigError(f"loss_weights[{key!r}] must be a finite number >= 0, got {w!r}")
    return OutputLosses(keys, tuple(losses), tuple(float(w) for w in weights))


def make_metrics(spec: Any, losses: OutputLosses, metrics: Any) -> OutputMetrics:
    """Per-output metric plans from a dict by output name (a list each), or one list: each of
    its metrics goes to every output whose loss it fits (and must fit one)."""
    shapes = tuple(spec.output_shapes)
    keys = losses.names
    if isinstance(metrics, Mapping):
        wanted = _per_output(metrics, keys, "metrics")
        names = [
            check_metrics(tuple([m] if isinstance(m, str) else m or ()), loss)
            for m, loss in zip(wanted, losses.losses, strict=True)
        ]
    else:
        metrics = tuple([metrics] if isinstance(metrics, str) else metrics)
        names = [[] for _ in keys]
        for m in metrics:
            fits = []
            for i, loss in enumerate(losses.losses):
                try:
                    check_metrics((m,), loss)
                    fits.append(i)
                except ConfigError:
                    continue
            if not fits:
                raise ConfigError(
                    f"metric {m!r} fits no output's loss; pass metrics as a dict by output name"
                )
            for i in fits:
                names[i].append(m)
        names = [tuple(n) for n in names]
    plans = tuple(plan(tuple(n), tuple(s)) for n, s in zip(names, shapes, strict=True))
    return OutputMetrics(keys, plans, tuple(c for p in plans for c in p.custom))


def losses_and_metrics(
    spec: Any, loss: Any, metrics: Any, loss_weights: Any = None
) -> tuple[Any, tuple[str, ...], Any]:
    """The Trainer's ``(loss, metric names, metric plan)``: per-output ones
    (:class:`OutputLosses`, :class:`OutputMetrics`) for several outputs, else one Loss and
    one plan (a dict loss or ``loss_weights`` then refused)."""
    if spec.n_outputs > 1:
        losses = make_losses(spec, loss, loss_weights)
        metric_plan = make_metrics(spec, losses, metrics)
        return losses, metric_plan.metric_names, metric_plan
    if loss_weights is not None or isinstance(loss, Mapping) or isinstance(metrics, Mapping):
        raise ConfigError(
            "loss or metrics as a dict, and loss_weights, need a model with several outputs; "
            "this model has one output: pass one loss and a list of metrics"
        )
    one = get_loss(loss)
    names = check_metrics(tuple(metrics), one)
    return one, names, plan(names, tuple(spec.output_shape))


def parse_named(text: Any, what: str) -> Any:
    """``'cls=cross_entropy,reg=mse'`` (a command line's per-output values) as a dict; other
    values as they are. Numbers are read as floats (``'cls=1,reg=0.5'``)."""
    if not isinstance(text, str) or "=" not in text:
        return text
    out: dict[str, Any] = {}
    for item in text.split(","):
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise ConfigError(f"{what}: expected NAME=VALUE[,NAME=VALUE...], got {text!r}")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            out[name.strip()] = value.strip()
    return out


# -- data ------------------------------------------------------------------------------------
def _by_name(value: Any, names: tuple[str, ...], what: str, keys: tuple[str, ...]) -> dict:
    if isinstance(value, Mapping):
        missing = [k for k in keys if k not in value]
        unknown = [k for k in value if k not in keys]
        if missing or unknown:
            raise DataError(
                f"{what}: expected a dict with keys {list(keys)}; missing {missing}, "
                f"unexpected {unknown}"
            )
        return {k: value[k] for k in keys}
    if isinstance(value, (list, tuple)) and len(value) == len(keys):
        return dict(zip(keys, value, strict=True))
    if len(keys) == 1:
        return {keys[0]: value}
    raise DataError(
        f"{what}: the model has {len(keys)} {names}; pass a dict by name {list(keys)} or a "
        f"list in that order, got {type(value).__name__}"
    )


def rows(batch: Any) -> int:
    """Examples in a batch: an array, or a dict / list of arrays."""
    if isinstance(batch, Mapping):
        batch = next(iter(batch.values()))
    elif isinstance(batch, (list, tuple)):
        batch = batch[0]
    return len(batch)


def inputs(spec: Any, x: Any, what: str) -> dict[str, np.ndarray]:
    """Inputs by name, each checked against its Input's shape and dtype, with one row count."""
    from polyframe.model import check_array

    names = tuple(spec.input_names)
    xs = _by_name(x, "inputs", what, names)
    out = {}
    for (name, a), shape, dtype in zip(
        xs.items(), spec.input_shapes, spec.input_dtypes, strict=True
    ):
        a = check_array(shape, dtype, a, f"{what}[{name!r}]")
        if np.issubdtype(a.dtype, np.floating):
            bad = ~np.isfinite(a.reshape(len(a), -1)).all(axis=1)
            if bad.any():
                raise DataError(
                    f"{what}[{name!r}] contains NaN or infinite values; first bad row: index "
                    f"{int(np.flatnonzero(bad)[0])}"
                )
        out[name] = a
    _same_rows(out, what)
    return out


def targets(spec: Any, losses: OutputLosses, y: Any, what: str) -> dict[str, np.ndarray]:
    """Targets by output name, each checked against its output's loss and shape."""
    if y is None:
        raise DataError(f"{what}: targets y are required (a dict by output name)")
    keys = losses.names
    ys = _by_name(y, "outputs", what, keys)
    shapes = tuple(spec.output_shapes)
    out = {}
    for (key, t), loss, shape in zip(ys.items(), losses.losses, shapes, strict=True):
        try:
            out[key] = check_targets(loss, tuple(shape), np.asarray(t))
        except DataError as e:
            raise DataError(f"{what}[{key!r}]: {e}") from None
    _same_rows(out, what)
    return out


def _same_rows(arrays: Mapping[str, np.ndarray], what: str) -> None:
    sizes = {k: len(a) for k, a in arrays.items()}
    if len(set(sizes.values())) > 1:
        raise DataError(f"{what}: the arrays must have one row count, got {sizes}")


def check_x(spec: Any, x: Any, what: str) -> Any:
    """Inputs checked: a dict by name for several inputs, an array for one."""
    if counts_of(spec)[0] > 1:
        return inputs(spec, x, what)
    from polyframe.model import check_inputs

    return check_inputs(spec, x, what)


def prepare(spec: Any, losses: Any, x: Any, y: Any, what: str) -> tuple[Any, Any]:
    """``(x, y)`` checked and normalised: dicts by name where the model has several inputs
    (outputs), arrays where it has one (``losses``: :class:`OutputLosses` or one Loss)."""
    xs = check_x(spec, x, f"{what} x")
    if isinstance(losses, OutputLosses):
        ys = targets(spec, losses, y, f"{what} y")
    elif y is None:
        raise DataError(f"{what}: labels y are required")
    else:
        ys = check_targets(losses, tuple(spec.output_shape), np.asarray(y))
    if rows(xs) != rows(ys):
        raise DataError(f"{what}: x has {rows(xs)} examples but y has {rows(ys)}; they must match")
    return xs, ys


def check_loader_batch(spec: Any, losses: OutputLosses, xb: Any, yb: Any) -> None:
    """A Loader's first batch must fit the model exactly, dtypes included."""
    if yb is None:
        raise DataError("fit: the Loader has no labels; build it with targets y")
    want_x, want_y = prepare(spec, losses, xb, yb, "fit loader batch")
    for what, got, want in (("x", xb, want_x), ("y", yb, want_y)):
        got = got if isinstance(got, Mapping) else {"": got}
        want = want if isinstance(want, Mapping) else {"": want}
        for key, a in want.items():
            have = np.asarray(got[key]).dtype
            if have != a.dtype:
                where = f"{what}[{key!r}]" if key else what
                raise DataError(
                    f"fit: the Loader's {where} batches are {have} but the model needs "
                    f"{a.dtype}; build the Loader from arrays of dtype {a.dtype}"
                )


def as_lists(spec: Any, xb: Any, yb: Any) -> tuple[Any, Any]:
    """Dict batches as the lists the native modules and steps take: inputs in
    ``spec.input_names`` order, targets in output order (arrays stay as they are)."""
    if isinstance(xb, Mapping):
        xb = [xb[n] for n in spec.input_names]
    if isinstance(yb, Mapping):
        yb = [yb[k] for k in output_keys(spec)]
    return xb, yb


def to_device(batch: Any, convert: Any) -> Any:
    """``convert`` applied to each array of a list batch, or to the array (None stays)."""
    if isinstance(batch, (list, tuple)):
        return [convert(a) for a in batch]
    return None if batch is None else convert(batch)


def each(batch: Any, fn: Any) -> Any:
    """``fn`` of the array, or of each array of a list batch (several inputs / outputs)."""
    return [fn(a) for a in batch] if isinstance(batch, list) else fn(batch)


def take(batch: Any, idx: Any) -> Any:
    """Rows ``idx`` of an array or of each array of a dict."""
    if isinstance(batch, Mapping):
        return {k: v[idx] for k, v in batch.items()}
    return batch[idx]


def stack(batches: Iterable[Any]) -> Any:
    """Stacked batches ``(k, b, ...)``: per key for dicts."""
    batches = list(batches)
    if batches[0] is None:
        return None
    if isinstance(batches[0], Mapping):
        return {k: np.stack([np.asarray(b[k]) for b in batches]) for k in batches[0]}
    return np.stack([np.asarray(b) for b in batches])


def outputs_list(outs: list[Any]) -> list[np.ndarray]:
    """Predicted batches (each a list of per-output arrays) as one array per output."""
    return [np.concatenate([o[i] for o in outs], axis=0) for i in range(len(outs[0]))]
