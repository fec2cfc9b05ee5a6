"""Trainer: the backend-neutral loop's facade over the training state (train_state.py), the
feed (train_feed.py), the step driver (step_driver.py) and the epoch loop (fit_loop.py); the
backend owns only the compiled steps (``AbstractSteps``).

The default path does no per-step host work beyond computing the learning rate (a float):
losses are read back once per epoch. Only when a callback sets ``wants_batch_logs`` does the
loop read each step's loss (one host sync per step).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import numpy as np

from polyframe import multi_io
from polyframe.callbacks import Callback, History
from polyframe.data.loader import Loader
from polyframe.fit_loop import check_epochs, run_fit
from polyframe.loss_scale import LossScale
from polyframe.losses import Loss
from polyframe.model import Model
from polyframe.optim import Optimizer, get_optimizer
from polyframe.schedules import Schedule, get_schedule
from polyframe.step_config import StepConfig
from polyframe.step_driver import StepDriver
from polyframe.threads import set_threads
from polyframe.train_feed import TrainFeed, check_trainable, split_off_validation
from polyframe.train_state import TrainState, state_field


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
    ``precision``: ``"float32"``, ``"bfloat16"`` or ``"float16"`` (that compute type, float32
    master weights; float16 with dynamic loss scaling, set by ``loss_scale``: a
    ``pf.LossScale``, docs/training.md#precision).
    ``threads``: ``pf.set_threads(threads)`` first (intra/inter-op threads of every framework).
    ``deterministic``: ask the framework for deterministic kernels.
    Several inputs / outputs (a ``pf.Graph``): x and y as dicts by name (or lists in order);
    ``loss``, ``metrics`` and ``loss_weights`` per output as dicts (docs/graph.md).
    ``strategy="data_parallel"`` (``devices``: workers in this process): the same compiled
    steps placed over the framework's data-parallel engine (docs/distributed.md); every
    option above works with it. ``sync_batchnorm``: batch norm statistics over the whole
    global batch rather than each worker's shard (off by default; JAX always uses the global
    batch). ``trainer.state`` (a ``TrainState``) is where training stands (docs/architecture.md).
    """

    epoch = state_field("epoch", "Completed epochs (what a checkpoint records).")
    global_step = state_field("global_step", "Optimizer steps done.")
    step_in_epoch = state_field("step_in_epoch", "Optimizer steps done in the current epoch.")
    lr_override = state_field("lr_override", "A base learning rate replacing the schedule's.")
    lr_factor = state_field("lr_factor", "A factor on the learning rate (ReduceLROnPlateau).")
    stop_training = state_field("stop_training", "Set True to end fit.")
    stop_reason = state_field("stop_reason", "Why training stopped early ('' if it did not).")
    history = state_field("history", "The History of the running (or last) fit.")

    def __init__(
        self, model: Model, optimizer: str | Optimizer = "adam",
        loss: str | Loss | dict[str, Any] = "cross_entropy",
        metrics: Iterable[str] | dict[str, Iterable[str]] = ("accuracy",),
        compile: bool | None = None, *, loss_weights: dict[str, float] | None = None,
        schedule: str | Schedule | None = None,
        clip_norm: float | None = None, clip_value: float | None = None, accum_steps: int = 1,
        steps_per_execution: int = 1, precision: str = "float32", deterministic: bool = False,
        strategy: str | None = None, devices: int | None = None, sync_batchnorm: bool = False,
        loss_scale: LossScale | None = None, threads: int | None = None,
    ) -> None:  # fmt: skip
        if threads is not None:
            set_threads(threads)
        check_trainable(model, accum_steps, steps_per_execution)
        self.model, self.optimizer, self.compile = model, get_optimizer(optimizer), compile
        loss, self.metrics, metric_plan = multi_io.losses_and_metrics(  # per output, if several
            model.spec, loss, metrics, loss_weights
        )
        self.config = StepConfig(
            loss=loss, metrics=metric_plan, clip_norm=clip_norm,
            clip_value=clip_value, accum_steps=accum_steps,
            steps_per_execution=steps_per_execution, precision=precision,
            deterministic=deterministic, sync_batchnorm=bool(sync_batchnorm),
            loss_scale=LossScale() if loss_scale is None else loss_scale,
        )  # fmt: skip
        self.feed = TrainFeed(model, loss)  # checks the loss against the outputs
        self.schedule = get_schedule(schedule)
        self.state = TrainState()
        self.driver = StepDriver(self.state, self.optimizer, self.schedule, self.config)
        self.loader: Loader | None = None
        self.resume_info: dict[str, Any] | None = None  # set by fit(resume_from=...)
        self.timing: dict[str, float] = {}
        self._steps: Any = None
        from polyframe.distributed import DataParallel, check_strategy  # lazy: sockets, launcher

        self.strategy = check_strategy(strategy)
        if self.strategy:
            self.feed.set_data_parallel(DataParallel(model.backend, devices))

    loss = property(
        lambda self: self.feed.loss,
        lambda self, value: setattr(self.feed, "loss", value),
        doc="The loss (with ``class_weight`` folded in once ``fit`` was given one).",
    )

    @property
    def is_main(self) -> bool:
        """True where logs and checkpoints are written: always with one device, on rank 0
        in a data-parallel job."""
        return self.feed.dp is None or self.feed.dp.topology.is_main

    @property
    def at_step_boundary(self) -> bool:
        """True when the compiled steps hold exactly ``global_step`` updates, so that a
        checkpoint taken now resumes exactly; False between the steps of one fused
        ``steps_per_execution`` call (its updates are all applied already)."""
        return self.state.ahead == 0

    @property
    def steps(self) -> Any:
        """The backend's compiled steps (built on first use; with a strategy, placed over the
        data-parallel engine's workers)."""
        if self._steps is None:
            self._steps = self._make_steps()
        return self._steps

    def _make_steps(self) -> Any:
        """The one call into the backend's ``make_steps``."""
        return self.model.backend_impl.make_steps(
            self.model.native, self.model.spec, self.optimizer, self.config,
            compile=self.compile, placement=self.feed.dp.placement if self.feed.dp else None,
        )  # fmt: skip

    def barrier(self) -> None:
        """Wait for every process of a data-parallel job (a no-op on one device)."""
        if self.feed.dp is not None:
            self.feed.dp.placement.barrier()

    def learning_rate(self, step: int) -> float:
        """Optimizer step ``step``'s learning rate: the schedule's (or ``lr_override``) times
        ``lr_factor``."""
        return self.driver.learning_rate(step)

    def fit(
        self, x: Any, y: Any = None, batch_size: int = 32, epochs: int = 1,
        validation_data: tuple[Any, Any] | None = None, shuffle: bool = True, seed: int = 0,
        callbacks: Iterable[Callback] = (), verbose: int = 0, sample_weight: Any = None,
        class_weight: dict[int, float] | Iterable[float] | None = None, initial_epoch: int = 0,
        resume_from: str | Path | None = None, validation_split: float = 0.0,
    ) -> History:  # fmt: skip
        """Train for ``epochs`` over ``(x, y)``, or over a ``pf.data.Loader`` passed as ``x``
        (``y`` None; its batch size, shuffling and seed apply); returns the per-epoch History.
        ``verbose``: 1 a progress bar (on a terminal), 2 a line per epoch. ``sample_weight``
        (N,) and ``class_weight`` (``{class: weight}`` or one per class) weight the loss.
        ``initial_epoch``: start at that (0-based) epoch with the batches an uninterrupted run
        would see. ``resume_from``: a checkpoint or a directory of them (the newest that
        verifies; docs/checkpoints.md); ``epochs`` then counts the epochs already done.
        ``validation_split`` (0 < f < 1, arrays only): as in Keras, the last fraction of the
        arrays, taken before shuffling, is the validation data."""
        check_epochs(epochs, initial_epoch)
        if validation_split:  # checked before anything is touched
            x, y, sample_weight, validation_data = split_off_validation(
                x, y, sample_weight, validation_data, validation_split
            )
        options = {
            "batch_size": batch_size, "shuffle": shuffle, "seed": seed,
            "sample_weight": sample_weight, "class_weight": class_weight,
            "validation_data": validation_data,
        }  # fmt: skip
        data = self.feed.fit_data(x, y, options)
        return run_fit(
            self, data, epochs, initial_epoch, callbacks, verbose, resume_from, batch_size
        )

    def evaluate(self, x: Any, y: Any, batch_size: int = 256) -> dict[str, Any]:
        """Mean loss and metrics over ``(x, y)`` in inference mode (unweighted). Scalars are
        floats; ``confusion_matrix`` is an int64 array (rows: true class)."""
        x, y = self.feed.check_arrays(x, y, "evaluate")
        steps = self.steps
        steps.pull()
        return self.driver.evaluate(steps, self.feed.eval_batches(x, y, batch_size))

    def predict(self, x: Any, batch_size: int = 256) -> np.ndarray | list[np.ndarray]:
        """Model outputs for ``x`` (inference mode), as one numpy array; a list of arrays (in
        output order, as Keras returns) for a model with several outputs."""
        x = multi_io.check_x(self.model.spec, x, "predict x")
        steps = self.steps
        steps.pull()
        return self.feed.outputs(
            [steps.predict(xb) for xb in self.feed.predict_batches(x, batch_size)]
        )
