"""Sums across the workers through communication buffers that live as long as the process.

Why not ``dist.all_reduce`` on the caller's tensors: gloo's worker thread drops its
reference to a finished all-reduce's tensors a moment *after* the caller's ``wait()``
returns. When Python has dropped such a tensor by then (a temporary), the last reference is
gloo's, and releasing it runs the tensor's Python deallocator on the gloo thread, which must
take the GIL. If the interpreter has begun shutting down meanwhile, the thread is made to
exit inside C++ and the process aborts: "terminate called without an active exception",
SIGABRT. Seen once in a full CI run, then reproduced 2 times in ~70 runs of the 2-host
localhost job under load; the core dump's aborting thread was
``ProcessGroupGloo::runLoop`` -> ``~AsyncAllreduceWork`` -> ``TensorImpl::decref_pyobject``
-> ``take_gil`` -> ``pthread_exit`` while the main thread was in ``Py_FinalizeEx``.

A buffer that a module global references is released by Python only during interpreter
shutdown, after torch has stopped handing Python objects back (it leaks them instead), so
gloo never needs the GIL for it. The tensors are copied in and out (small: losses, metric
counts, batch-norm statistics), one all-reduce per dtype instead of one per tensor.
"""

from __future__ import annotations

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
