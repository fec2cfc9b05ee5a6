"""Trainer: the backend-neutral loop. It owns epochs, batching, callbacks and logging; the
backend owns only the compiled steps (``AbstractSteps``)."""

from __future__ import annotations

import time
from typing import Any, Iterable

import numpy as np

from polyframe.callbacks import Callback, History, PrintProgress
from polyframe.data.loader import Loader
from polyframe.errors import ConfigError, DataError
from polyframe.losses import check_loss, check_targets
from polyframe.metrics import check_metrics
from polyframe.model import Model, check_inputs
from polyframe.optim import Optimizer, get_optimizer


def _check_finite(x: np.ndarray, what: str) -> None:
    if np.issubdtype(x.dtype, np.floating):
        bad = ~np.isfinite(x.reshape(len(x), -1)).all(axis=1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"{what} contains NaN or infinite values; first bad row: index {i}")


class Trainer:
    """Train, evaluate and predict with one model.

    >>> trainer = Trainer(model, optimizer=pf.optim.Adam(1e-3), loss="cross_entropy",
    ...                   metrics=["accuracy"])              # doctest: +SKIP
    >>> history = trainer.fit(x, y, batch_size=32, epochs=5)  # doctest: +SKIP
    """

    def __init__(
        self,
        model: Model,
        optimizer: str | Optimizer = "adam",
        loss: str = "cross_entropy",
        metrics: Iterable[str] = ("accuracy",),
        compile: bool | None = None,
    ) -> None:
        if not isinstance(model, Model):
            raise DataError(
                f"Trainer needs a polyframe Model (pf.build(...)), got {type(model).__name__}"
            )
        inputs = len(getattr(model.spec, "input_names", "x"))
        outputs = len(getattr(model.spec, "output_names", "y"))
        if inputs != 1 or outputs != 1:
            raise ConfigError(
                f"Trainer trains models with one input and one output; this Graph has {inputs} "
                f"input(s) and {outputs} output(s). Run it with model(...) and train it with the "
                "native module's own tools (model.native)"
            )
        self.model = model
        self.optimizer = get_optimizer(optimizer)
        self.loss = check_loss(loss)
        self.metrics = check_metrics(tuple(metrics), self.loss)
        check_targets(
            self.loss,
            model.spec.output_shape,
            np.zeros(0, np.int64)
            if self.loss == "cross_entropy"
            else np.zeros((0, *model.spec.output_shape)),
        )
        self.compile = compile
        self.stop_training = False
        self.global_step = 0
        self.timing: dict[str, float] = {}
        self._steps: Any = None

    # -- helpers -----------------------------------------------------------------------------
    @property
    def steps(self) -> Any:
        """The backend's compiled steps (built on first use)."""
        if self._steps is None:
            be = self.model.backend_impl
            self._steps = be.make_steps(
                self.model.native,
                self.model.spec,
                self.optimizer,
                self.loss,
                self.metrics,
                self.compile,
            )
        return self._steps

    def _prepare(self, x: Any, y: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
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
        """The learning rate of optimizer step ``step`` (0-based)."""
        return float(self.optimizer.lr)

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
    ) -> History:
        """Train for ``epochs`` over ``(x, y)``, or over a ``pf.data.Loader`` passed as ``x``
        (``y`` None; the Loader's batch size, shuffling and seed then apply); returns the
        per-epoch History."""
        if not isinstance(epochs, int) or epochs < 1:
            raise DataError(f"epochs must be a positive int, got {epochs!r}")
        if isinstance(x, Loader):
            if y is not None:
                raise DataError("fit: x is a Loader, so y must be None (labels come from it)")
            loader = x
            self._check_loader(loader)
        else:
            x, y = self._prepare(x, y, "fit")
            loader = Loader(x, y, batch_size=batch_size, shuffle=shuffle, seed=seed)
        val = self._prepare(*validation_data, "validation_data") if validation_data else None
        be, steps = self.model.backend_impl, self.steps
        history = History()
        cbs = [history, *callbacks] + ([PrintProgress(epochs)] if verbose else [])
        for cb in cbs:
            cb.trainer = self
        self.stop_training = False
        steps.pull()
        for cb in cbs:
            cb.on_train_begin({})
        start = time.perf_counter()
        first = None
        for epoch in range(epochs):
            for cb in cbs:
                cb.on_epoch_begin(epoch, {})
            for xb, yb in loader.epoch(epoch):
                steps.train(
                    be.from_numpy(xb), be.from_numpy(yb), self.learning_rate(self.global_step)
                )
                self.global_step += 1
                if first is None:
                    steps.wait()
                    first = time.perf_counter() - start
                for cb in cbs:
                    cb.on_train_batch_end(self.global_step, {})
            logs = steps.results("train")
            if val is not None:
                logs.update({f"val_{k}": v for k, v in self._evaluate(*val, batch_size).items()})
            for cb in cbs:
                cb.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        steps.wait()
        total = time.perf_counter() - start
        steps.sync()
        n_steps = len(loader) * len(history.epoch)
        self.timing = {
            "first_step_s": float(first or 0.0),
            "train_s": total,
            "steps": n_steps,
            "steps_per_s": (n_steps - 1) / max(total - (first or 0.0), 1e-9)
            if n_steps > 1
            else 0.0,
        }
        for cb in cbs:
            cb.on_train_end(history.history)
        return history

    def _evaluate(self, x: np.ndarray, y: np.ndarray, batch_size: int) -> dict[str, float]:
        be, steps = self.model.backend_impl, self.steps
        for xb, yb in Loader(x, y, batch_size=batch_size, shuffle=False).epoch(0):
            steps.evaluate(be.from_numpy(xb), be.from_numpy(yb))
        return steps.results("eval")

    def evaluate(self, x: Any, y: Any, batch_size: int = 256) -> dict[str, float]:
        """Mean loss and metrics over ``(x, y)`` in inference mode."""
        x, y = self._prepare(x, y, "evaluate")
        self.steps.pull()
        return self._evaluate(x, y, batch_size)

    def predict(self, x: Any, batch_size: int = 256) -> np.ndarray:
        """Model outputs for ``x`` (inference mode), as one numpy array."""
        x = check_inputs(self.model.spec, x, "predict x")
        be, steps = self.model.backend_impl, self.steps
        steps.pull()
        outs = [
            steps.predict(be.from_numpy(xb))
            for xb, _ in Loader(x, None, batch_size, shuffle=False).epoch(0)
        ]
        return np.concatenate([be.to_numpy(o) for o in outs], axis=0)
