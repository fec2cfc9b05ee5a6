"""Sums across the workers through communication buffers that live as long as the process,
and, at exit, a wait until gloo has let go of them.

Why: while C++ code shares a tensor that has a Python object (here: a gloo collective's work
holding the tensor it reduced), torch keeps a strong reference to that Python object, and
gloo's worker thread drops it a moment *after* the caller's ``wait()`` has returned. Dropping
it takes the GIL. If the interpreter has begun shutting down by then, the thread is made to
exit inside C++ and the process aborts: "terminate called without an active exception",
SIGABRT. Seen once in a full CI run; reproduced 3 times in 80 runs of the 2-host localhost
job on a loaded machine; the core dumps' aborting thread was ``ProcessGroupGloo::runLoop`` ->
``~AsyncAllreduceWork`` -> ``TensorImpl::decref_pyobject`` -> ``take_gil`` ->
``pthread_exit``, with the main thread in ``Py_FinalizeEx``.

So every sum polyframe makes goes through a buffer this module keeps (one all-reduce per
dtype, the tensors copied in and out: losses, metric counts, batch-norm statistics), and
:func:`settle`, called by the torch engine's exit handler while the interpreter is intact,
waits until no buffer carries gloo's extra reference (``sys.getrefcount``). DDP's own gradient
buckets are C++ tensors without a Python object and need no wait.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

import torch
import torch.distributed as dist

#: One buffer per (dtype, device, number of elements): the tensors gloo is handed. Never
#: replaced or dropped (a view or a fresh tensor would bring the abort back); the sizes in use
#: are few (a window's losses, an epoch's metric sums, each batch-norm layer's statistics).
_BUFFERS: dict[tuple[torch.dtype, torch.device, int], torch.Tensor] = {}


def buffer(dtype: torch.dtype, device: torch.device, numel: int) -> torch.Tensor:
    """The process-lifetime communication buffer for ``numel`` elements of ``dtype``."""
    key = (dtype, device, numel)
    if key not in _BUFFERS:
        _BUFFERS[key] = torch.empty(numel, dtype=dtype, device=device)
    return _BUFFERS[key]


def all_reduce_sum(tensors: Sequence[torch.Tensor]) -> None:
    """Sum each of ``tensors`` across the workers, in place (exactly the element-wise sums
    ``dist.all_reduce`` makes of each tensor alone): one all-reduce per dtype and device,
    on a process-lifetime buffer."""
    groups: dict[tuple[torch.dtype, torch.device], list[torch.Tensor]] = {}
    for t in tensors:
        groups.setdefault((t.dtype, t.device), []).append(t)
    for (dtype, device), group in groups.items():
        buf = buffer(dtype, device, sum(t.numel() for t in group))
        torch.cat([t.reshape(-1) for t in group], out=buf)
        dist.all_reduce(buf)
        offset = 0
        for t in group:
            t.copy_(buf[offset : offset + t.numel()].view(t.shape))
            offset += t.numel()


def settle(timeout: float = 10.0) -> bool:
    """Wait (releasing the GIL) until gloo's worker threads have dropped their references to
    every buffer, at most ``timeout`` seconds; whether they did. Call it before the interpreter
    shuts down (the torch engine's exit handler does)."""
    deadline = time.monotonic() + timeout
    for key in list(_BUFFERS):
        # references: the dict's and getrefcount's argument; a third is a C++ holder's
        while sys.getrefcount(_BUFFERS[key]) > 2:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.001)
    return True
