"""One epoch per window of a single long ``fit`` call.

Users call ``fit`` once for many epochs, so a benchmark must not pay ``fit``'s start and end
(state copies, data adapters, callbacks set-up) every window. :class:`EpochGate` runs the
long ``fit`` in a daemon thread whose epoch hooks wait for the runner: each
:meth:`EpochGate.run_window` lets exactly one epoch run and returns when it has ended.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

Hook = Callable[[], None]


class EpochGate:
    """``train(begin, end)`` must run a long ``fit`` calling ``begin()`` at the start of every
    epoch and ``end()`` at its end (from the framework's own callbacks)."""

    def __init__(self, train: Callable[[Hook, Hook], Any]) -> None:
        self._train = train
        self._go = threading.Semaphore(0)
        self._done = threading.Semaphore(0)
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def begin(self) -> None:
        """Epoch start: wait until the runner asks for a window."""
        self._go.acquire()

    def end(self) -> None:
        """Epoch end (after the epoch's host sync): hand the window back."""
        self._done.release()

    def run_window(self) -> None:
        """Let one epoch run; return when it has ended (re-raising what the fit raised)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="bench-fit", daemon=True)
            self._thread.start()
        self._go.release()
        self._done.acquire()
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        try:
            self._train(self.begin, self.end)
        except BaseException as exc:  # noqa: BLE001 - re-raised in run_window
            self._error = exc
        self._error = self._error or RuntimeError("the benchmark's fit ended early")
        self._done.release()
