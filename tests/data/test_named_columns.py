"""Dicts of arrays (the inputs / targets of a model with several inputs or outputs): the
Loader batches them row-aligned, in the same order as plain arrays; the npz source reads
``x_train.<input>``-style names as dicts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import polyframe as pf


def test_loader_batches_dicts_like_arrays() -> None:
    a = np.arange(10, dtype=np.float32).reshape(10, 1)
    x = {"b": a * 2, "a": a}
    y = {"cls": np.arange(10) % 3, "reg": a + 0.5}
    plain = pf.data.Loader(a, np.arange(10), batch_size=4, seed=7)
    named = pf.data.Loader(x, y, batch_size=4, seed=7)
    for (xa, ya), (xb, yb) in zip(plain.epoch(1), named.epoch(1), strict=True):
        assert list(xb) == ["b", "a"] and list(yb) == ["cls", "reg"]  # the given key order
        np.testing.assert_array_equal(xb["a"], xa)
        np.testing.assert_array_equal(xb["b"], 2 * xa)
        np.testing.assert_array_equal(yb["cls"], ya % 3)
        np.testing.assert_array_equal(yb["reg"][:, 0], xa[:, 0] + 0.5)
    assert len(named) == 3
    with pytest.raises(
        pf.DataError, match=r"one row count, got \{\"x\['a'\]\": 10, \"x\['b'\]\": 9"
    ):
        pf.data.Loader({"a": a, "b": a[:9]}, None)


def test_npz_source_reads_named_arrays(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    arrays = {
        "x_train.a": rng.normal(size=(8, 3)), "x_train.b": rng.normal(size=(8, 2)),
        "y_train.cls": np.arange(8) % 2, "y_train.reg": rng.normal(size=(8, 1)),
        "x_test.a": rng.normal(size=(4, 3)), "x_test.b": rng.normal(size=(4, 2)),
        "y_test.cls": np.arange(4) % 2, "y_test.reg": rng.normal(size=(4, 1)),
    }  # fmt: skip
    np.savez(tmp_path / "d.npz", **arrays)
    (x, y), (xt, yt) = pf.data.load_train_test(f"npz:{tmp_path / 'd.npz'}")
    assert sorted(x) == ["a", "b"] and sorted(yt) == ["cls", "reg"]
    np.testing.assert_array_equal(y["reg"], arrays["y_train.reg"])
    assert xt["b"].shape == (4, 2)
    np.savez(tmp_path / "bad.npz", **{"x_train.a": np.zeros((3, 1)), "y_train.c": np.zeros(2)})
    with pytest.raises(pf.DataError, match=r"expected x_train\.\*, y_train\.\*, x_test\.\*"):
        pf.data.load_train_test(f"npz:{tmp_path / 'bad.npz'}")
