"""Run an iterator in a background thread, a bounded number of items ahead of its consumer.

The producer stops as soon as the consumer does (``close()``, ``break``, garbage collection);
an exception raised while producing is re-raised in the consumer, with its traceback.
"""

from __future__ import annotations

import queue
import threading
from typing import Callable, Iterator, TypeVar

T = TypeVar("T")

_END = object()
#: How often a blocked producer checks whether the consumer has gone (seconds).
_POLL_S = 0.05


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def prefetch(make_iter: Callable[[], Iterator[T]], depth: int = 2) -> Iterator[T]:
    """Yield the items of ``make_iter()``, produced by a daemon thread at most ``depth``
    items ahead.

    >>> list(prefetch(lambda: iter(range(5)), depth=2))
    [0, 1, 2, 3, 4]
    """
    if depth < 1:
        raise ValueError(f"prefetch depth must be >= 1, got {depth}")
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in make_iter():
                if not put(item):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            put(_Failure(exc))
            return
        put(_END)

    thread = threading.Thread(target=produce, name="polyframe-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # drain so a blocked put sees the stop flag promptly
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(_POLL_S)
