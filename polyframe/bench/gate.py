"""Windows that are the epochs of one long ``fit``, run in the worker's main thread.

Users call ``fit`` once for many epochs, so a benchmark must not pay ``fit``'s start and end
(state copies, data adapters, callback set-up) every window. An implementation with a
``run_windows(begin, end)`` method runs one long ``fit`` whose epoch callbacks call ``begin()``
and ``end()``; :class:`EpochWindows` times each epoch and, at its end, answers the runner and
waits for the next command: ``window`` lets the next epoch run, anything else ends the ``fit``
by raising :class:`Finished`. Training stays in the main thread, as in a user's script (torch's
OpenMP pool behaves differently in other threads).
"""

from __future__ import annotations

import time
from typing import Any, Callable


class Finished(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised from an epoch callback to end the long ``fit``; ``cmd`` is the command that
    ended it."""

    def __init__(self, cmd: str) -> None:
        super().__init__(cmd)
        self.cmd = cmd


class EpochWindows:
    """Epoch hooks that turn a long ``fit`` into timed windows.

    ``reply(**answer)`` sends one answer to the runner; ``next_command()`` blocks for the next.
    """

    def __init__(self, reply: Callable[..., None], next_command: Callable[[], str]) -> None:
        self._reply, self._next = reply, next_command
        self._wall = self._cpu = 0.0

    def begin(self) -> None:
        """Epoch start: the window's clock starts."""
        self._cpu, self._wall = time.process_time(), time.perf_counter()

    def end(self) -> None:
        """Epoch end (after its host sync): report the window, wait for the next command."""
        wall, cpu = time.perf_counter() - self._wall, time.process_time() - self._cpu
        self._reply(ok=True, s=wall, cpu_s=cpu)
        cmd = self._next()
        if cmd != "window":
            raise Finished(cmd)


def run_epoch_windows(
    impl: Any, reply: Callable[..., None], next_command: Callable[[], str]
) -> str:
    """Run ``impl.run_windows`` until the runner sends something other than ``window``;
    return that command."""
    gate = EpochWindows(reply, next_command)
    try:
        impl.run_windows(gate.begin, gate.end)
    except Finished as done:
        return done.cmd
    raise RuntimeError("the benchmark's long fit ended before the runner finished")
