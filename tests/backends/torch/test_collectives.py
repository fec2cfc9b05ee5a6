"""The torch engine's sums across workers hand gloo only process-lifetime buffers (never the
caller's tensors, which a worker may drop before gloo does: see
``polyframe_torch.collectives``), and put each tensor's sum back in place."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")

from polyframe_torch import collectives  # noqa: E402


@pytest.fixture
def one_process_group() -> Iterator[None]:
    """A 1-process gloo group in this process (as ``TorchEngine.setup`` makes without a
    launcher), left again afterwards."""
    if dist.is_initialized():
        pytest.skip("a process group is already initialized in this process")
    dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    try:
        yield
    finally:
        dist.destroy_process_group()


def test_all_reduce_sum_hands_gloo_only_process_lifetime_buffers(
    one_process_group: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    handed: list = []
    real = dist.all_reduce

    def spy(tensor, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        """The real all-reduce, then as if a second worker had contributed the same rows."""
        handed.append(tensor)
        work = real(tensor, *args, **kwargs)
        tensor.mul_(2)
        return work

    monkeypatch.setattr(collectives.dist, "all_reduce", spy)
    loss = torch.tensor([1.25, -2.5], dtype=torch.float64)
    counts = torch.tensor([[3, 4], [5, 6]], dtype=torch.int64)
    samples = torch.tensor(7, dtype=torch.int64)
    view = torch.arange(12, dtype=torch.float64).reshape(3, 4)[:, 1]  # not contiguous
    tensors = [loss, counts, samples, view]
    before = [t.clone() for t in tensors]

    collectives.all_reduce_sum(tensors)
    collectives.all_reduce_sum(tensors)  # again: the same buffers

    assert [t.dtype for t in handed] == [torch.float64, torch.int64] * 2
    assert [t.numel() for t in handed] == [5, 5] * 2
    buffers = list(collectives._BUFFERS.values())
    assert all(any(t is b for b in buffers) for t in handed)
    assert handed[0] is handed[2] and handed[1] is handed[3]
    for t, b in zip(tensors, before, strict=True):  # summed twice over 2 "workers"
        assert t.shape == b.shape and t.dtype == b.dtype
        assert torch.equal(t, b * 4)


def test_settle_waits_until_the_buffers_other_holders_let_go() -> None:
    """A view stands in for gloo's work (both hold the buffer from C++): settle returns only
    after another thread has dropped it, and gives up (False) while it is held."""
    import threading
    import time

    held = [collectives.buffer(torch.float32, torch.device("cpu"), 3)[:1]]
    assert collectives.settle(timeout=0.05) is False
    dropped = threading.Event()

    def drop() -> None:
        time.sleep(0.1)
        held.clear()
        dropped.set()

    thread = threading.Thread(target=drop)
    thread.start()
    assert collectives.settle(timeout=60) is True  # (a failure: gives up after 60 s)
    assert dropped.is_set()
    thread.join()
