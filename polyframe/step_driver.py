"""The step driver: one epoch's batches through the backend's compiled steps, as plain
steps, accumulated micro-batches (``accum_steps``) or fused calls (``steps_per_execution``),
with the learning rate of every step and the per-step bookkeeping in the ``TrainState``.

Per plain step the host does: the learning rate (a float), the batch's placement,
``steps.train`` and the bookkeeping (two counters). Callbacks' ``on_train_batch_end`` runs
only for callbacks that define it; a step's loss is read back (one host sync) only when one
of them ``wants_batch_logs``.
"""

from __future__ import annotations

import time
from typing import Any, Iterator

import numpy as np

from polyframe.callbacks.base import Callback
from polyframe.multi_io import rows
from polyframe.train_state import TrainState

Batch = tuple[np.ndarray, np.ndarray, "np.ndarray | None"]


def _defines(cb: Any, hook: str, base: Any) -> bool:
    """True when ``cb``'s ``hook`` is its own, not the base class' no-op."""
    method = getattr(cb, hook, None)
    return getattr(method, "__func__", method) is not base


class StepDriver:
    """Runs optimizer steps for a trainer: ``state`` (counters it advances), ``optimizer``
    and ``schedule`` (the learning rate), ``accum_steps`` / ``steps_per_execution``."""

    def __init__(self, state: TrainState, optimizer: Any, schedule: Any, config: Any) -> None:
        self.state, self.optimizer, self.schedule = state, optimizer, schedule
        self.accum, self.fuse = config.accum_steps, config.steps_per_execution
        self.batch_cbs: list[Callback] = []  # callbacks that define on_train_batch_end
        self.batch_logs = False  # some callback wants each step's loss
        self.first: float | None = None  # seconds to the end of the first step
        self.start = 0.0

    def learning_rate(self, step: int) -> float:
        """The learning rate of optimizer step ``step`` (0-based): the schedule's value (or
        ``lr_override``) times ``lr_factor``."""
        st = self.state
        if st.lr_override is not None:
            return float(st.lr_override) * st.lr_factor
        return self.schedule.lr(step, float(self.optimizer.lr)) * st.lr_factor

    def begin(self, callbacks: list[Callback]) -> None:
        """Before the first epoch of ``fit``: which callbacks see steps, the clock."""
        base = Callback.on_train_batch_end
        self.batch_cbs = [cb for cb in callbacks if _defines(cb, "on_train_batch_end", base)]
        self.batch_logs = any(getattr(cb, "wants_batch_logs", False) for cb in callbacks)
        self.first, self.start = None, time.perf_counter()

    def run_epoch(
        self, steps: Any, feed: Any, batches: Iterator[Batch], n: int, first: int = 0
    ) -> None:
        """One epoch's ``batches`` (``n`` in all) from batch ``first`` on."""
        if self.fuse > 1 and (feed.dp is None or feed.dp.placement.fuses):
            self._run_fused(steps, feed, batches)
        else:
            self._run_steps(steps, feed.place, batches, n, first)

    def evaluate(self, steps: Any, batches: Iterator[tuple]) -> dict[str, Any]:
        """Inference-mode loss and metrics over placed ``(x, y, _)`` batches."""
        for xd, yd, _ in batches:
            steps.evaluate(xd, yd)
        return steps.results("eval")

    def _after_step(self, steps: Any, losses: list[float] | None) -> None:
        """Bookkeeping and callbacks after one optimizer step (``losses`` None: no logs)."""
        st = self.state
        st.global_step += 1
        st.step_in_epoch += 1
        if self.first is None:
            steps.wait()
            self.first = time.perf_counter() - self.start
        if self.batch_cbs:
            logs: dict[str, Any] = {}
            if losses is not None:
                logs = {"loss": losses[0], "lr": self.learning_rate(st.global_step - 1)}
            for cb in self.batch_cbs:
                cb.on_train_batch_end(st.global_step, logs)

    def _run_steps(
        self, steps: Any, place: Any, batches: Iterator[Batch], n: int, first: int
    ) -> None:
        """Plain steps, or one optimizer step per ``accum_steps`` batches (``first``: a
        multiple of ``accum_steps``)."""
        st, accum, batch_logs = self.state, self.accum, self.batch_logs
        micro: list[tuple[float, int]] = []  # (loss, size) of the pending micro-batches
        for i, (xb, yb, wb) in enumerate(batches, start=first):
            args = place(xb, yb, wb)
            if accum > 1 and (i + 1) % accum and i + 1 < n:
                steps.accumulate(*args)
                if batch_logs:
                    micro.append((float(steps.last_losses()[0]), rows(xb)))
                continue
            steps.train(args[0], args[1], self.learning_rate(st.global_step), args[2])
            losses = None
            if batch_logs:
                micro.append((float(steps.last_losses()[0]), rows(xb)))
                size = sum(m for _, m in micro)
                losses = [sum(v * m for v, m in micro) / size]
                micro = []
            self._after_step(steps, losses)
            if batch_logs and st.stop_training:
                break

    def _flush(self, steps: Any, feed: Any, group: list[Batch]) -> None:
        """One fused call over ``group`` (same-size batches), then each step's bookkeeping."""
        st = self.state
        lrs = [self.learning_rate(st.global_step + j) for j in range(len(group))]
        if len(group) == 1:
            x, y, w = feed.place(*group[0])
            steps.train(x, y, lrs[0], w)
        else:
            stacked = [
                None if group[0][i] is None else np.stack([np.asarray(g[i]) for g in group])
                for i in range(3)
            ]
            xs, ys, ws = feed.place_many(*stacked)
            steps.train_many(xs, ys, lrs, ws)
        losses = steps.last_losses() if self.batch_logs else None
        for j in range(len(group)):
            st.ahead = len(group) - 1 - j  # 0 at the group's last step
            self._after_step(steps, None if losses is None else [float(losses[j])])
        group.clear()

    def _run_fused(self, steps: Any, feed: Any, batches: Iterator[Batch]) -> None:
        """Groups of ``steps_per_execution`` same-size batches per compiled call."""
        k, group = self.fuse, []
        for batch in batches:
            if group and len(batch[0]) != len(group[0][0]):
                self._flush(steps, feed, group)
            group.append(batch)
            if len(group) == k:
                self._flush(steps, feed, group)
                if self.batch_logs and self.state.stop_training:
                    return
        if group:
            self._flush(steps, feed, group)
