"""Trainer: the backend-neutral loop. It owns epochs, batching, the learning-rate schedule,
gradient accumulation, callbacks and logging; the backend owns only the compiled steps
(``AbstractSteps``).

The default path does no per-step host work beyond computing the learning rate (a float):
losses are read back once per epoch. Only when a callback sets ``wants_batch_logs`` does the
loop read each step's loss (one host sync per step).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

from polyframe import multi_io
from polyframe.callbacks import Callback, History, PrintProgress, ProgressBar
from polyframe.data.loader import Loader
from polyframe.errors import ConfigError, DataError
from polyframe.losses import Loss, check_targets, get_loss, sample_weights
from polyframe.metrics import check_metrics, plan
from polyframe.model import Model, check_inputs
from polyframe.optim import Optimizer, get_optimizer
from polyframe.schedules import Schedule, get_schedule
from polyframe.step_config import StepConfig

Batch = tuple[np.ndarray, np.ndarray, "np.ndarray | None"]


def _check_finite(x: np.ndarray, what: str) -> None:
    if np.issubdtype(x.dtype, np.floating):
        bad = ~np.isfinite(x.reshape(len(x), -1)).all(axis=1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"{what} contains NaN or infinite values; first bad row: index {i}")


def _split_off_validation(
    x: Any, y: Any, w: Any, validation_data: Any, fraction: float
) -> tuple[Any, Any, Any, tuple[Any, Any]]:
    """Keras' ``validation_split``: the last ``fraction`` of the arrays (before shuffling) is
    the validation data; the split point is ``ceil(n * (1 - fraction))``."""
    if isinstance(x, Loader):
        raise DataError("fit: validation_split needs arrays; with a Loader pass validation_data")
    if validation_data is not None:
        raise DataError("fit: pass validation_split or validation_data, not both")
    if not isinstance(fraction, (int, float)) or not 0 < fraction < 1:
        raise DataError(f"fit: validation_split must be in (0, 1), got {fraction!r}")
    if y is None:
        raise DataError("fit: labels y are required")
    n = multi_io.rows(x)
    at = int(math.ceil(n * (1.0 - fraction)))
    if at in (0, n):
        raise DataError(
            f"fit: validation_split={fraction} of {n} examples leaves an empty training or "
            "validation set; use more data or another fraction"
        )
    w_train = None if w is None else np.asarray(w)[:at]
    y = y if isinstance(y, dict) else np.asarray(y)
    head, tail = slice(None, at), slice(at, None)
    return (
        multi_io.take(x, head),
        multi_io.take(y, head),
        w_train,
        (multi_io.take(x, tail), multi_io.take(y, tail)),
    )


def _scalars(logs: dict[str, Any]) -> dict[str, float]:
    """The scalar entries of a results dict (the confusion matrix stays out of epoch logs)."""
    return {k: float(v) for k, v in logs.items() if np.ndim(v) == 0}


class Trainer:
    """Train, evaluate and predict with one model.

    >>> trainer = Trainer(model, optimizer=pf.optim.AdamW(1e-3), loss="cross_entropy",
    ...                   metrics=["accuracy", "f1_macro"], schedule="cosine",
    ...                   clip_norm=1.0)                     # doctest: +SKIP
    >>> history = trainer.fit(x, y, batch_size=32, epochs=5)  # doctest: +SKIP

    ``schedule``: a ``pf.schedules.Schedule`` or its name (constant by default).
    ``clip_norm`` / ``clip_value``: gradient clipping (global norm / element-wise).
    ``accum_steps``: micro-batches of ``batch_size`` per optimizer step.
    ``steps_per_execution``: optimizer steps per compiled call (JAX and TensorFlow fuse them).
    ``precision``: ``"float32"`` or ``"bfloat16"`` (bfloat16 compute, float32 master weights).
    ``deterministic``: ask the framework for deterministic kernels.
    ``strategy="data_parallel"`` (``devices``: workers in this process): the same compiled
    steps placed over the framework's data-parallel engine (docs/distributed.md); every
    option above works with it. ``sync_batchnorm``: batch norm statistics over the whole
    global batch rather than each worker's shard (off by default; JAX always uses the global
    batch).
    """

    def __init__(
        self,
        model: Model,
        optimizer: str | Optimizer = "adam",
        loss: str | Loss | dict[str, str | Loss] = "cross_entropy",
        metrics: Iterable[str] | dict[str, Iterable[str]] = ("accuracy",),
        compile: bool | None = None,
        *,
        loss_weights: dict[str, float] | Iterable[float] | None = None,
        schedule: str | Schedule | None = None,
        clip_norm: float | None = None,
        clip_value: float | None = None,
        accum_steps: int = 1,
        steps_per_execution: int = 1,
        precision: str = "float32",
        deterministic: bool = False,
        strategy: str | None = None,
        devices: int | None = None,
        sync_batchnorm: bool = False,
    ) -> None:
        if not isinstance(model, Model):
            raise DataError(
                f"Trainer needs a polyframe Model (pf.build(...)), got {type(model).__name__}"
            )
        self.model = model
        self.optimizer = get_optimizer(optimizer)
        # several outputs: per-output losses, weights and metrics (polyframe/multi_io.py)
        multi_out = multi_io.counts_of(model.spec)[1] > 1
        if multi_out:
            self.loss = multi_io.make_losses(model.spec, loss, loss_weights)
            metric_plan = multi_io.make_metrics(model.spec, self.loss, metrics)
            self.metrics = metric_plan.metric_names
        else:
            if loss_weights is not None or isinstance(loss, dict):
                raise ConfigError(
                    "loss as a dict and loss_weights need a model with several outputs"
                )
            self.loss = get_loss(loss)
            self.metrics = check_metrics(tuple(metrics), self.loss)
            metric_plan = plan(self.metrics, tuple(model.spec.output_shape))
        out_shape = tuple(model.spec.output_shape)
        self.config = StepConfig(
            loss=self.loss,
            metrics=metric_plan,
            clip_norm=clip_norm,
            clip_value=clip_value,
            accum_steps=accum_steps,
            steps_per_execution=steps_per_execution,
            precision=precision,
            deterministic=deterministic,
            sync_batchnorm=bool(sync_batchnorm),
        )
        if accum_steps > 1 and steps_per_execution > 1:
            raise ConfigError("accum_steps and steps_per_execution cannot both be > 1; choose one")
        if multi_io.is_multi(model.spec) and steps_per_execution > 1:
            raise ConfigError(
                "steps_per_execution > 1 is not supported for models with several inputs or "
                "outputs yet; use steps_per_execution=1"
            )
        if not multi_out:
            empty = np.zeros((0, *out_shape), np.float32)
            check_targets(
                self.loss,
                out_shape,
                np.zeros(0, np.int64) if self.loss.name == "cross_entropy" else empty,
            )
        self.schedule = get_schedule(schedule)
        self.compile = compile
        self.stop_training = False
        self.stop_reason = ""
        self.global_step = 0
        #: Set by ``LearningRateScheduler`` (a base lr replacing the schedule's) and
        #: ``ReduceLROnPlateau`` (a factor on it).
        self.lr_override: float | None = None
        self.lr_factor = 1.0
        self.epoch = 0  # completed epochs (what a checkpoint records)
        #: Optimizer steps done in the current epoch (0 at an epoch boundary); a checkpoint
        #: taken with ``step_in_epoch > 0`` resumes inside the epoch.
        self.step_in_epoch = 0
        self._ahead = 0  # fused steps already run whose ``_after_step`` is still to come
        self.loader: Loader | None = None
        self.history: History | None = None
        self.resume_info: dict[str, Any] | None = None  # set by fit(resume_from=...)
        self.timing: dict[str, float] = {}
        self._schedule = self.schedule
        self._steps: Any = None
        # strategy="data_parallel": the framework's own engine (polyframe/distributed.py)
        from polyframe.distributed import DataParallel, check_strategy  # lazy: sockets, launcher

        self.strategy = check_strategy(strategy)
        self._dp = DataParallel(model.backend, devices) if self.strategy else None

    # -- helpers -----------------------------------------------------------------------------
    @property
    def is_main(self) -> bool:
        """True where logs and checkpoints are written: always with one device, on rank 0
        in a data-parallel job."""
        return self._dp is None or self._dp.topology.is_main

    @property
    def steps(self) -> Any:
        """The backend's compiled steps (built on first use; with a strategy, placed over the
        data-parallel engine's workers)."""
        if self._steps is None:
            cfg = self.config
            self._steps = self.model.backend_impl.make_steps(
                self.model.native,
                self.model.spec,
                self.optimizer,
                cfg.loss,
                cfg.metrics,
                self.compile,
                clip_norm=cfg.clip_norm,
                clip_value=cfg.clip_value,
                accum_steps=cfg.accum_steps,
                steps_per_execution=cfg.steps_per_execution,
                precision=cfg.precision,
                deterministic=cfg.deterministic,
                sync_batchnorm=cfg.sync_batchnorm,
                **({"placement": self._dp.placement} if self._dp else {}),
            )
        return self._steps

    def _place(self, xb: np.ndarray, yb: Any, wb: Any) -> tuple[Any, Any, Any]:
        """A numpy (global) batch as the steps' device arrays."""
        xb, yb = multi_io.as_lists(self.model.spec, xb, yb)  # dict batches: lists in order
        if self._dp:
            yb = yb if isinstance(yb, list) else np.asarray(yb)
            return self._dp.placement.place(xb, yb, wb)
        be = self.model.backend_impl
        return tuple(multi_io.to_device(b, be.from_numpy) for b in (xb, yb, wb))

    def _place_many(self, xs: np.ndarray, ys: np.ndarray, ws: Any) -> tuple[Any, Any, Any]:
        """Stacked numpy batches ``(k, b, ...)`` as the fused steps' device arrays."""
        if self._dp:
            return self._dp.placement.place_many(xs, ys, ws)
        be = self.model.backend_impl
        return be.from_numpy(xs), be.from_numpy(ys), None if ws is None else be.from_numpy(ws)

    def barrier(self) -> None:
        """Wait for every process of a data-parallel job (a no-op on one device)."""
        if self._dp:
            self._dp.placement.barrier()

    def _prepare(self, x: Any, y: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
        if multi_io.is_multi(self.model.spec):  # dicts by input / output name
            return multi_io.prepare(self.model.spec, self.loss, x, y, what)
        x = check_inputs(self.model.spec, x, f"{what} x")
        if y is None:
            raise DataError(f"{what}: labels y are required")
        y = np.asarray(y)
        if len(y) != len(x):
            raise DataError(f"{what}: x has {len(x)} examples but y has {len(y)}; they must match")
        _check_finite(x, f"{what} x")
        return x, check_targets(self.loss, self.model.spec.output_shape, y)

    def _check_loader(self, loader: Loader) -> None:
        """A Loader given to ``fit``: its first batch must fit the model exactly (dtype too,
        since its batches go to the backend unconverted)."""
        xb, yb = loader.batch(0, 0)
        if multi_io.is_multi(self.model.spec):
            multi_io.check_loader_batch(self.model.spec, self.loss, xb, yb)
            return
        want = check_inputs(self.model.spec, xb, "fit loader batch x")
        if yb is None:
            raise DataError("fit: the Loader has no labels; build it with labels y")
        yt = check_targets(self.loss, self.model.spec.output_shape, yb)
        for got, need, what in ((xb, want, "x"), (np.asarray(yb), yt, "y")):
            if got.dtype != need.dtype:
                raise DataError(
                    f"fit: the Loader's {what} batches are {got.dtype} but the model needs "
                    f"{need.dtype}; build the Loader from {what}.astype('{need.dtype}')"
                )

    def learning_rate(self, step: int) -> float:
        """The learning rate of optimizer step ``step`` (0-based): the schedule's value (or
        ``lr_override``) times ``lr_factor``."""
        if self.lr_override is not None:
            return float(self.lr_override) * self.lr_factor
        return self._schedule.lr(step, float(self.optimizer.lr)) * self.lr_factor

    @property
    def at_step_boundary(self) -> bool:
        """True when the compiled steps hold exactly ``global_step`` updates, so that a
        checkpoint taken now resumes exactly; False between the steps of one fused
        ``steps_per_execution`` call (its updates are all applied already)."""
        return self._ahead == 0

    def _batches(
        self, loader: Loader, epoch: int, y: Any, w: Any, start: int = 0
    ) -> Iterator[Batch]:
        """``(x, y, w)`` per batch from batch ``start`` on; with sample weights the loader
        serves indices."""
        for xb, yb in loader.epoch(epoch, start) if start else loader.epoch(epoch):
            if y is not None:  # yb holds example indices
                yield xb, multi_io.take(y, yb), w[yb]
            elif self.loss.class_weight is not None:
                yield xb, yb, sample_weights(self.loss, np.asarray(yb), None, len(yb))
            else:
                yield xb, yb, None

    # -- public API --------------------------------------------------------------------------
    def fit(
        self,
        x: Any,
        y: Any = None,
        batch_size: int = 32,
        epochs: int = 1,
        validation_data: tuple[Any, Any] | None = None,
        shuffle: bool = True,
        seed: int = 0,
        callbacks: Iterable[Callback] = (),
        verbose: int = 0,
        sample_weight: Any = None,
        class_weight: dict[int, float] | Iterable[float] | None = None,
        initial_epoch: int = 0,
        resume_from: str | Path | None = None,
        validation_split: float = 0.0,
    ) -> History:
        """Train for ``epochs`` over ``(x, y)``, or over a ``pf.data.Loader`` passed as ``x``
        (``y`` None; the Loader's batch size, shuffling and seed then apply); returns the
        per-epoch History. ``verbose=1``: a progress bar when stdout is a terminal;
        ``verbose=2``: one line per epoch. ``sample_weight`` (N,) and ``class_weight``
        (``{class: weight}`` or one weight per class) weight the training loss.
        ``initial_epoch`` resumes at that (0-based) epoch: its batches are the ones an
        uninterrupted run would see (set ``global_step`` to match, as a resume does).
        ``resume_from``: a checkpoint, or a directory of them (the newest that verifies), to
        continue from (docs/checkpoints.md); ``epochs`` then counts the epochs already done.
        ``validation_split`` (0 < f < 1, arrays only): as in Keras, the last fraction ``f`` of
        ``x``, ``y`` (and ``sample_weight``), taken before shuffling, is held out as the
        validation data."""
        if not isinstance(epochs, int) or epochs < 1:
            raise DataError(f"epochs must be a positive int, got {epochs!r}")
        if not isinstance(initial_epoch, int) or not 0 <= initial_epoch < epochs:
            raise DataError(f"initial_epoch must be in [0, {epochs}), got {initial_epoch!r}")
        if validation_split:
            x, y, sample_weight, validation_data = _split_off_validation(
                x, y, sample_weight, validation_data, validation_split
            )
        if class_weight is not None:
            self._set_class_weight(class_weight)
        y_all = w_all = None
        if isinstance(x, Loader):
            if y is not None or sample_weight is not None:
                raise DataError(
                    "fit: x is a Loader, so y must be None (labels come from it), and so must "
                    "sample_weight (use class_weight, or arrays, for weights)"
                )
            loader = x
            self._check_loader(loader)
        else:
            x, y = self._prepare(x, y, "fit")
            w_all = sample_weights(self.loss, y, sample_weight, multi_io.rows(x))
            if w_all is None:
                loader = Loader(x, y, batch_size=batch_size, shuffle=shuffle, seed=seed)
            else:  # serve indices, so that weights follow the same order
                y_all = y
                idx = np.arange(multi_io.rows(x), dtype=np.int64)
                loader = Loader(x, idx, batch_size=batch_size, shuffle=shuffle, seed=seed)
        val = self._prepare(*validation_data, "validation_data") if validation_data else None
        accum = self.config.accum_steps
        per_epoch = -(-len(loader) // accum)
        if self._dp:
            self._dp.per_worker(loader.batch_size)  # a batch that does not split: fail now
        remaining = epochs - initial_epoch
        if self.schedule.total_steps is None:
            self._schedule = self.schedule.with_total(self.global_step + remaining * per_epoch)
        history = History()
        self.loader, self.history, start_epoch = loader, history, 0
        self.step_in_epoch = self._ahead = 0
        if resume_from is not None:
            from polyframe.checkpoint.resume import restore

            start_epoch = restore(self, resume_from, loader, history)  # sets step_in_epoch
        self.epoch = start_epoch
        resume_steps = self.step_in_epoch  # optimizer steps of start_epoch already done
        extra = {1: [ProgressBar()], 2: [PrintProgress(epochs)]}.get(int(verbose), [])
        extra = extra if self.is_main else []  # data-parallel: rank 0 reports
        cbs = [history, *callbacks, *extra]
        for cb in cbs:
            cb.trainer = self
            if hasattr(cb, "set_params"):
                cb.set_params({"epochs": epochs, "steps": per_epoch})
        batch_logs = any(getattr(cb, "wants_batch_logs", False) for cb in cbs)
        self.stop_training, self.stop_reason = False, ""
        steps = self.steps
        steps.pull()
        for cb in cbs:
            cb.on_train_begin({})
        start = time.perf_counter()
        self._first = None
        self._start = start
        epochs_run, step0 = 0, self.global_step
        for epoch in range(max(initial_epoch, start_epoch), epochs):
            skip = resume_steps if epoch == start_epoch else 0  # a mid-epoch resume
            self.epoch, self.step_in_epoch = epoch, skip
            for cb in cbs:
                cb.on_epoch_begin(epoch, {})
            first = min(skip * accum, len(loader))  # the batches those steps consumed
            batches = self._batches(loader, epoch, y_all, w_all, first)
            if self.config.steps_per_execution > 1 and (not self._dp or self._dp.placement.fuses):
                self._run_fused(batches, cbs, batch_logs)
            else:
                self._run_epoch(batches, len(loader), cbs, batch_logs, first)
            epochs_run += 1
            logs = _scalars(steps.results("train"))
            if val is not None:
                logs.update(
                    {f"val_{k}": v for k, v in _scalars(self._evaluate(*val, batch_size)).items()}
                )
            logs["lr"] = self.learning_rate(max(self.global_step - 1, 0))
            self.epoch, self.step_in_epoch = epoch + 1, 0
            for cb in cbs:
                cb.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        steps.wait()
        total = time.perf_counter() - start
        steps.sync()
        n_steps = self.global_step - step0
        first = self._first or 0.0
        self.timing = {
            "first_step_s": float(first),
            "train_s": total,
            "steps": n_steps,
            "steps_per_s": (n_steps - 1) / max(total - first, 1e-9) if n_steps > 1 else 0.0,
        }
        for cb in cbs:
            cb.on_train_end(history.history)
        return history

    def _set_class_weight(self, class_weight: Any) -> None:
        if isinstance(self.loss, multi_io.OutputLosses):
            raise ConfigError(
                "class_weight is only supported for models with a single output (as in Keras); "
                "pass sample_weight instead"
            )
        classes = int(np.prod(self.model.spec.output_shape))
        classes = 2 if classes == 1 else classes
        if isinstance(class_weight, dict):
            bad = [k for k in class_weight if not 0 <= int(k) < classes]
            if bad:
                raise DataError(f"class_weight has classes {bad} outside [0, {classes})")
            weights = tuple(float(class_weight.get(c, 1.0)) for c in range(classes))
        else:
            weights = tuple(float(v) for v in class_weight)
        import dataclasses

        self.loss = dataclasses.replace(self.loss, class_weight=weights)
        from polyframe.losses import check_output

        check_output(self.loss, tuple(self.model.spec.output_shape))

    def _after_step(self, cbs: list[Callback], losses: list[float] | None) -> None:
        """Bookkeeping and callbacks after one optimizer step (``losses`` None: no logs)."""
        self.global_step += 1
        self.step_in_epoch += 1
        if self._first is None:
            self.steps.wait()
            self._first = time.perf_counter() - self._start
        logs: dict[str, Any] = {}
        if losses is not None:
            logs = {"loss": losses[0], "lr": self.learning_rate(self.global_step - 1)}
        for cb in cbs:
            cb.on_train_batch_end(self.global_step, logs)

    def _run_epoch(
        self, batches: Iterator[Batch], n: int, cbs: list, batch_logs: bool, first: int = 0
    ) -> None:
        """One epoch's batches from batch ``first`` on (``first``: a multiple of
        ``accum_steps``), one optimizer step per ``accum_steps`` batches."""
        steps, accum = self.steps, self.config.accum_steps
        micro: list[tuple[float, int]] = []  # (loss, size) of the pending micro-batches
        for i, (xb, yb, wb) in enumerate(batches, start=first):
            args = self._place(xb, yb, wb)
            if accum > 1 and (i + 1) % accum and i + 1 < n:
                steps.accumulate(*args)
                if batch_logs:
                    micro.append((float(steps.last_losses()[0]), multi_io.rows(xb)))
                continue
            steps.train(args[0], args[1], self.learning_rate(self.global_step), args[2])
            losses = None
            if batch_logs:
                micro.append((float(steps.last_losses()[0]), multi_io.rows(xb)))
                size = sum(m for _, m in micro)
                losses = [sum(v * m for v, m in micro) / size]
                micro = []
            self._after_step(cbs, losses)
            if batch_logs and self.stop_training:
                break

    def _run_fused(self, batches: Iterator[Batch], cbs: list, batch_logs: bool) -> None:
        """Groups of ``steps_per_execution`` same-size batches per compiled call."""
        steps, k = self.steps, self.config.steps_per_execution
        group: list[Batch] = []

        def flush() -> None:
            lrs = [self.learning_rate(self.global_step + j) for j in range(len(group))]
            if len(group) == 1:
                x, y, w = self._place(*group[0])
                steps.train(x, y, lrs[0], w)
            else:
                stacked = [
                    None if group[0][i] is None else np.stack([np.asarray(g[i]) for g in group])
                    for i in range(3)
                ]
                xs, ys, ws = self._place_many(*stacked)
                steps.train_many(xs, ys, lrs, ws)
            losses = steps.last_losses() if batch_logs else None
            for j in range(len(group)):
                self._ahead = len(group) - 1 - j  # 0 at the group's last step
                self._after_step(cbs, None if losses is None else [float(losses[j])])
            group.clear()

        for batch in batches:
            if group and len(batch[0]) != len(group[0][0]):
                flush()
            group.append(batch)
            if len(group) == k:
                flush()
                if batch_logs and self.stop_training:
                    return
        if group:
            flush()

    def _evaluate(self, x: np.ndarray, y: np.ndarray, batch_size: int) -> dict[str, Any]:
        steps = self.steps
        for xb, yb in Loader(x, y, batch_size=batch_size, shuffle=False).epoch(0):
            xd, yd, _ = self._place(xb, yb, None)
            steps.evaluate(xd, yd)
        return steps.results("eval")

    def evaluate(self, x: Any, y: Any, batch_size: int = 256) -> dict[str, Any]:
        """Mean loss and metrics over ``(x, y)`` in inference mode (unweighted). Scalars are
        floats; ``confusion_matrix`` is an int64 array (rows: true class)."""
        x, y = self._prepare(x, y, "evaluate")
        self.steps.pull()
        return self._evaluate(x, y, batch_size)

    def predict(self, x: Any, batch_size: int = 256) -> np.ndarray | list[np.ndarray]:
        """Model outputs for ``x`` (inference mode), as one numpy array; a list of arrays (in
        output order, as Keras returns) for a model with several outputs."""
        spec = self.model.spec
        x = multi_io.check_x(spec, x, "predict x")
        be, steps = self.model.backend_impl, self.steps
        steps.pull()
        outs = [
            steps.predict(multi_io.to_device(multi_io.as_lists(spec, xb, None)[0], be.from_numpy))
            for xb, _ in Loader(x, None, batch_size, shuffle=False).epoch(0)
        ]
        if isinstance(outs[0], (list, tuple)):  # several outputs
            arrays = multi_io.outputs_list([[be.to_numpy(o) for o in out] for out in outs])
            return [
                a if a.dtype in (np.float32, np.float64) else a.astype(np.float32) for a in arrays
            ]
        out = np.concatenate([be.to_numpy(o) for o in outs], axis=0)
        return out if out.dtype in (np.float32, np.float64) else out.astype(np.float32)
