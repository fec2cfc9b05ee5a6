"""The epoch loop of ``Trainer.fit``: callbacks, a resume, the epochs (each one run by the
step driver), validation, the epoch logs and the timing."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from polyframe.callbacks import Callback, History, PrintProgress, ProgressBar
from polyframe.errors import DataError
from polyframe.train_feed import FitData


def check_epochs(epochs: Any, initial_epoch: Any) -> None:
    """``fit``'s ``epochs`` (a positive int) and ``initial_epoch`` (in ``[0, epochs)``)."""
    if not isinstance(epochs, int) or epochs < 1:
        raise DataError(f"epochs must be a positive int, got {epochs!r}")
    if not isinstance(initial_epoch, int) or not 0 <= initial_epoch < epochs:
        raise DataError(f"initial_epoch must be in [0, {epochs}), got {initial_epoch!r}")


def _scalars(logs: dict[str, Any]) -> dict[str, float]:
    """The scalar entries of a results dict (the confusion matrix stays out of epoch logs)."""
    return {k: float(v) for k, v in logs.items() if np.ndim(v) == 0}


def _callbacks(
    trainer: Any, history: History, callbacks: Iterable[Callback], verbose: int, params: dict
) -> list[Callback]:
    """History, the user's callbacks (those with ``runs_last``, ``ModelCheckpoint``, after the
    others, so that a checkpoint holds what they changed this epoch) and the progress
    display, attached to ``trainer``."""
    extra = {1: [ProgressBar()], 2: [PrintProgress(params["epochs"])]}.get(int(verbose), [])
    extra = extra if trainer.is_main else []  # data-parallel: rank 0 reports
    callbacks = list(callbacks)  # those that save a checkpoint see this epoch's states
    first = [cb for cb in callbacks if not getattr(cb, "runs_last", False)]
    last = [cb for cb in callbacks if getattr(cb, "runs_last", False)]
    cbs = [history, *first, *last, *extra]
    for cb in cbs:
        cb.trainer = trainer
        if hasattr(cb, "set_params"):
            cb.set_params(dict(params))
    return cbs


def _start(trainer: Any, data: FitData, epochs: int, initial_epoch: int, resume_from: Any) -> int:
    """The run's schedule, History and position (from a checkpoint with ``resume_from``);
    returns the epoch to start at."""
    st, driver = trainer.state, trainer.driver
    per_epoch = -(-len(data.loader) // driver.accum)
    if trainer.feed.dp is not None:
        trainer.feed.dp.per_worker(data.loader.batch_size)  # a batch that does not split: fail now
    driver.schedule = trainer.schedule
    if trainer.schedule.total_steps is None:
        total = st.global_step + (epochs - initial_epoch) * per_epoch
        driver.schedule = trainer.schedule.with_total(total)
    trainer.loader, st.history = data.loader, History()
    st.step_in_epoch = st.ahead = 0
    st.callback_state = {}
    if resume_from is None:
        return 0
    from polyframe.checkpoint.resume import restore

    return restore(trainer, resume_from, data.loader)  # sets the state's position


def _epoch(trainer: Any, data: FitData, epoch: int, skip: int, cbs: list, batch_size: int) -> dict:
    """Epoch ``epoch`` from its optimizer step ``skip`` on; returns its logs."""
    st, driver, steps = trainer.state, trainer.driver, trainer.steps
    st.epoch, st.step_in_epoch = epoch, skip
    for cb in cbs:
        cb.on_epoch_begin(epoch, {})
    n = len(data.loader)
    first = min(skip * driver.accum, n)  # the batches those steps consumed
    driver.run_epoch(steps, trainer.feed, data.batches(epoch, first), n, first)
    logs = _scalars(steps.results("train"))
    if data.val is not None:
        val = driver.evaluate(steps, trainer.feed.eval_batches(*data.val, batch_size))
        logs.update({f"val_{k}": v for k, v in _scalars(val).items()})
    logs["lr"] = driver.learning_rate(max(st.global_step - 1, 0))
    st.epoch, st.step_in_epoch = epoch + 1, 0
    return logs


def run_fit(
    trainer: Any,
    data: FitData,
    epochs: int,
    initial_epoch: int,
    callbacks: Iterable[Callback],
    verbose: int,
    resume_from: str | Path | None,
    batch_size: int,
) -> History:
    """Train ``trainer`` for ``epochs`` over ``data``; returns the History."""
    st, driver = trainer.state, trainer.driver
    start_epoch = _start(trainer, data, epochs, initial_epoch, resume_from)
    st.epoch, resume_steps = start_epoch, st.step_in_epoch  # steps of start_epoch done
    per_epoch = -(-len(data.loader) // driver.accum)
    cbs = _callbacks(
        trainer, st.history, callbacks, verbose, {"epochs": epochs, "steps": per_epoch}
    )
    st.callbacks, st.stop_training, st.stop_reason = cbs, False, ""
    steps = trainer.steps
    steps.pull()
    for cb in cbs:
        cb.on_train_begin({})
    st.restore_callbacks()  # a resume: the callbacks' counters as they were saved
    driver.begin(cbs)
    step0 = st.global_step
    for epoch in range(max(initial_epoch, start_epoch), epochs):
        skip = resume_steps if epoch == start_epoch else 0  # a mid-epoch resume
        logs = _epoch(trainer, data, epoch, skip, cbs, batch_size)
        for cb in cbs:
            cb.on_epoch_end(epoch, logs)
        if st.stop_training:
            break
    steps.wait()
    total = time.perf_counter() - driver.start
    steps.sync()
    trainer.timing = _timing(driver.first or 0.0, total, st.global_step - step0)
    for cb in cbs:
        cb.on_train_end(st.history.history)
    return st.history


def _timing(first: float, total: float, n_steps: int) -> dict[str, float]:
    """``fit``'s timing: the first step (compilation), the whole run, steps per second."""
    return {
        "first_step_s": float(first),
        "train_s": total,
        "steps": n_steps,
        "steps_per_s": (n_steps - 1) / max(total - first, 1e-9) if n_steps > 1 else 0.0,
    }
