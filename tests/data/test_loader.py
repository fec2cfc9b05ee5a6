"""The Loader: seeded order, batching, drop_remainder, prefetch, datasets of every kind."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

import polyframe as pf


def _data(n: int = 50) -> tuple[np.ndarray, np.ndarray]:
    x = np.random.default_rng(0).random((n, 6, 6, 1), dtype=np.float32)
    return x, (np.arange(n) % 10).astype(np.int64)


def _batches(loader: pf.data.Loader, epoch: int = 0) -> list[tuple[bytes, bytes]]:
    return [(xb.tobytes(), yb.tobytes()) for xb, yb in loader.epoch(epoch)]


def test_same_seed_gives_byte_identical_batches() -> None:
    x, y = _data()
    a = _batches(pf.data.Loader(x, y, batch_size=8, seed=7))
    b = _batches(pf.data.Loader(x.copy(), y.copy(), batch_size=8, seed=7))
    assert a == b and len(a) == 7


def test_other_epoch_or_seed_gives_another_order() -> None:
    x, y = _data()
    loader = pf.data.Loader(x, y, batch_size=50, seed=7)
    e0, e1 = (next(iter(loader.epoch(e)))[1] for e in (0, 1))
    other = next(iter(pf.data.Loader(x, y, batch_size=50, seed=8).epoch(0)))[1]
    assert sorted(e0) == sorted(e1) == sorted(y)  # a permutation, every example once
    assert not np.array_equal(e0, e1) and not np.array_equal(e0, other)
    np.testing.assert_array_equal(e0, y[np.random.default_rng([7, 0]).permutation(50)])


def test_shuffle_off_is_file_order_for_every_epoch() -> None:
    x, y = _data(10)
    for epoch in (0, 3):
        got = [yb for _, yb in pf.data.Loader(x, y, 4, shuffle=False).epoch(epoch)]
        assert [b.tolist() for b in got] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_drop_remainder_and_iter_advances_epochs() -> None:
    x, y = _data(10)
    loader = pf.data.Loader(x, y, 4, seed=1, drop_remainder=True)
    assert len(loader) == 2 and [len(b) for _, b in loader.epoch(0)] == [4, 4]
    first, second = [yb for _, yb in loader], [yb for _, yb in loader]
    assert [b.tolist() for b in first] == [b.tolist() for _, b in loader.epoch(0)]
    assert [b.tolist() for b in second] == [b.tolist() for _, b in loader.epoch(1)]
    with pytest.raises(pf.DataError, match="no batches: 10 examples, batch_size 16"):
        pf.data.Loader(x, y, 16, drop_remainder=True)


def test_prefetch_gives_the_same_batches() -> None:
    x, y = _data(200)
    aug = [pf.data.RandomCrop(padding=2), pf.data.RandomFlip()]
    plain = pf.data.Loader(x, y, 16, seed=3, transforms=aug)
    ahead = pf.data.Loader(x, y, 16, seed=3, transforms=aug, prefetch=3)
    for epoch in (0, 1):
        assert _batches(plain, epoch) == _batches(ahead, epoch)


def test_prefetch_propagates_errors_and_shuts_down() -> None:
    x, y = _data(64)

    def fail_on_third(xb, yb, rng, calls=[0]):  # noqa: B006 - a call counter
        calls[0] += 1
        if calls[0] == 3:
            raise ZeroDivisionError("bad batch 2")
        return xb, yb

    got = []
    with pytest.raises(ZeroDivisionError, match="bad batch 2"):
        for xb, _ in pf.data.Loader(x, y, 8, transforms=[fail_on_third], prefetch=2).epoch(0):
            got.append(xb)
    assert len(got) == 2
    before = threading.active_count()
    it = pf.data.Loader(x, y, 1, prefetch=2).epoch(0)
    next(it)
    assert threading.active_count() == before + 1
    it.close()  # the consumer stops early: the producer thread must end
    deadline = time.monotonic() + 2
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before


def test_map_style_dataset_torch() -> None:
    torch = pytest.importorskip("torch")
    x, y = _data(20)

    class Pairs(torch.utils.data.Dataset):
        def __len__(self) -> int:
            return 20

        def __getitem__(self, i: int):
            return torch.from_numpy(x[i]), int(y[i])

    loader = pf.data.Loader(Pairs(), batch_size=6, seed=2)
    ref = pf.data.Loader(x, y, batch_size=6, seed=2)
    for (xa, ya), (xb, yb) in zip(loader.epoch(1), ref.epoch(1), strict=True):
        assert xa.dtype == np.float32 and ya.dtype == np.int64
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)


def test_generator_and_npz_datasets(tmp_path: Path) -> None:
    x, y = _data(12)
    gen = pf.data.from_generator(lambda: ((x[i], y[i]) for i in range(12)), num_classes=10)
    np.testing.assert_array_equal(gen.x, x)
    assert len(pf.data.from_generator(iter(x), limit=5)) == 5
    np.savez(tmp_path / "d.npz", x=x, y=y)
    ds = pf.data.from_npz(tmp_path / "d.npz")
    a = _batches(pf.data.Loader(ds, batch_size=5, seed=4))
    assert a == _batches(pf.data.Loader(x, y, batch_size=5, seed=4))
    with pytest.raises(pf.DataError, match="has no array 'labels'"):
        pf.data.from_npz(tmp_path / "d.npz", y_key="labels")
    with pytest.raises(pf.DataError, match=r"different shapes: item 0 is \(3,\), item 1 is \(4,\)"):
        pf.data.from_generator([np.zeros(3), np.zeros(4)])


def test_trainer_fits_from_a_loader() -> None:
    from polyframe.backend import list_backends

    if "torch" not in list_backends():
        pytest.skip("the torch backend is not installed")
    (x, y), (xt, yt) = pf.data.load("digits")
    model = pf.build(pf.models.mlp(), backend="torch", seed=0)
    trainer = pf.Trainer(model, optimizer=pf.optim.Adam(2e-3))
    loader = pf.data.Loader(x, y, batch_size=32, seed=0, prefetch=2, num_classes=10)
    history = trainer.fit(loader, epochs=3)
    assert len(history.epoch) == 3 and trainer.timing["steps"] == 3 * len(loader)
    assert trainer.evaluate(xt, yt)["accuracy"] > 0.85
    with pytest.raises(pf.DataError, match="Loader's x batches are float64"):
        trainer.fit(pf.data.Loader(x.astype(np.float64), y))
    with pytest.raises(pf.DataError, match="must be None"):
        trainer.fit(loader, y)
