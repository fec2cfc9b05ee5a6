"""Magnitude pruning as a Trainer callback: schedules, masks identical on every backend,
accuracy after fine-tuning, structured pruning that shrinks the spec, resume."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import polyframe as pf
from polyframe.compress.sparsity import (
    ConstantSparsity,
    PolynomialDecay,
    magnitude_mask,
    sparsity_of,
)
from tests.compress.helpers import accuracy, digits, mlp_spec
from tests.conftest import BACKENDS

(X_TRAIN, Y_TRAIN), (X_TEST, Y_TEST) = digits()
_RUNS: dict[str, dict[str, Any]] = {}


def _compile(backend: str) -> bool | None:
    return False if backend == "torch" else None


def test_magnitude_masks_and_schedules() -> None:
    w = np.array([[0.5, -0.1], [0.2, -0.9], [0.05, 0.3]], np.float32)
    np.testing.assert_array_equal(magnitude_mask(w, 0.5, False), [[1, 0], [0, 1], [0, 1]])
    # structured: channel norms 0.54 and 0.95 -> the first output channel goes
    np.testing.assert_array_equal(magnitude_mask(w, 0.5, True), [[0, 1], [0, 1], [0, 1]])
    s = PolynomialDecay(0.0, 0.9, begin_step=10, end_step=110, power=3, frequency=10)
    assert s.sparsity(5) == 0.0 and s.sparsity(110) == pytest.approx(0.9)
    assert s.sparsity(60) == pytest.approx(0.9 - 0.9 * 0.5**3)
    assert s.sparsity(500) == pytest.approx(0.9)
    assert [t for t in range(130) if s.updates_at(t)] == [
        11,
        21,
        31,
        41,
        51,
        61,
        71,
        81,
        91,
        101,
        110,
    ]
    assert [t for t in range(1, 8) if ConstantSparsity(0.5, frequency=3).updates_at(t)] == [1, 4, 7]
    with pytest.raises(pf.ConfigError, match=r"final must be in \[0, 1\), got 1.5"):
        PolynomialDecay(0.0, 1.5, 0, 10)


def _pruned_mlp(backend: str, trained) -> dict[str, Any]:
    """Fine-tune the trained digits MLP to 90% sparsity (polynomial schedule over 4 of 7
    epochs), once per backend."""
    if backend not in _RUNS:
        model = trained(backend, "mlp")
        dense = accuracy(model(X_TEST), Y_TEST)
        prune = pf.compress.Pruning(PolynomialDecay(0.0, 0.9, 0, 92, frequency=5))
        trainer = pf.Trainer(model, pf.optim.Adam(lr=2e-3), compile=_compile(backend))
        trainer.fit(X_TRAIN, Y_TRAIN, batch_size=64, epochs=7, seed=1, callbacks=[prune])
        _RUNS[backend] = {"model": model, "masks": prune.masks, "dense": dense}
    return _RUNS[backend]


@pytest.mark.slow
def test_unstructured_90_percent_keeps_accuracy(backend: str, trained) -> None:
    run = _pruned_mlp(backend, trained)
    model, masks = run["model"], run["masks"]
    params = model.params()
    assert sparsity_of(params, model.spec) == pytest.approx(
        {"dense_0": 0.9, "dense_1": 0.9}, abs=1e-3
    )
    for key, mask in masks.items():
        assert np.all(params[key][mask == 0] == 0), key
    assert run["dense"] > 94
    assert accuracy(model(X_TEST), Y_TEST) >= run["dense"] - 1.0
    plain = pf.compress.strip(model, masks)
    np.testing.assert_array_equal(plain.params()["dense_0.kernel"], params["dense_0.kernel"])


@pytest.mark.slow
def test_masks_identical_on_every_backend(backend: str, trained) -> None:
    others = [b for b in BACKENDS if b != backend]
    if not others:
        pytest.skip("only one backend is installed: nothing to compare the masks with")
    ref = "torch" if backend != "torch" else others[0]
    mine, theirs = _pruned_mlp(backend, trained)["masks"], _pruned_mlp(ref, trained)["masks"]
    assert sorted(mine) == ["dense_0.kernel", "dense_1.kernel"]
    for key in mine:
        np.testing.assert_array_equal(mine[key], theirs[key], err_msg=f"{key}: {backend} vs {ref}")


@pytest.mark.slow
def test_structured_pruning_shrinks_the_spec(backend: str, trained) -> None:
    model = trained(backend, "cnn")
    dense_acc = accuracy(model(X_TEST), Y_TEST)
    prune = pf.compress.Pruning(
        PolynomialDecay(0.0, 0.5, 0, 46, frequency=5),
        structured=True,
        layers=["conv2d_0", "conv2d_1"],
    )
    trainer = pf.Trainer(model, pf.optim.Adam(lr=3e-3), compile=_compile(backend))
    trainer.fit(X_TRAIN, Y_TRAIN, batch_size=64, epochs=2, seed=1, callbacks=[prune])
    small = pf.compress.shrink(model)
    assert [n.layer.filters for n in small.spec.nodes if n.layer.kind == "Conv2D"] == [8, 16]
    before = sum(v.size for v in model.params().values())
    after = sum(v.size for v in small.params().values())
    assert (before, after) == (6090, 1898) and after <= before / 2
    np.testing.assert_allclose(small(X_TEST), model(X_TEST), rtol=1e-5, atol=1e-5)
    assert dense_acc > 94
    assert accuracy(small(X_TEST), Y_TEST) >= dense_acc - 1.5


class _Snapshot(pf.callbacks.Callback):
    def __init__(self, prune: Any) -> None:
        self.prune, self.by_epoch = prune, {}

    def on_train_begin(self, logs: Any = None) -> None:
        self.by_epoch["begin"] = {k: v.copy() for k, v in self.prune.masks.items()}

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.by_epoch[epoch] = {k: v.copy() for k, v in self.prune.masks.items()}


def test_resume_mid_schedule_keeps_masks(backend: str, tmp_path) -> None:
    schedule = PolynomialDecay(0.0, 0.8, 0, 30, frequency=4)  # 12 steps an epoch
    x, y = X_TRAIN[:384], Y_TRAIN[:384]

    def trainer_for() -> pf.Trainer:
        model = pf.build(mlp_spec(32), backend, seed=0)
        return pf.Trainer(model, pf.optim.Adam(lr=1e-3), compile=_compile(backend))

    prune = pf.compress.Pruning(schedule)
    snap = _Snapshot(prune)
    ckpt = pf.callbacks.ModelCheckpoint(tmp_path, keep_last=None)
    trainer_for().fit(x, y, batch_size=32, epochs=3, seed=0, callbacks=[prune, snap, ckpt])
    resumed = pf.compress.Pruning(schedule)
    snap2 = _Snapshot(resumed)
    trainer = trainer_for()
    trainer.fit(
        x, y, batch_size=32, epochs=2, seed=0, callbacks=[resumed, snap2],
        resume_from=tmp_path / "epoch-000001",
    )  # fmt: skip
    assert trainer.resume_info["global_step"] == 12
    # at the start of the resumed run the masks are the saved ones ...
    mid = snap.by_epoch[0]
    for key, mask in mid.items():
        np.testing.assert_array_equal(snap2.by_epoch["begin"][key], mask, err_msg=key)
    sparsity = {k: float(1 - v.mean()) for k, v in mid.items()}
    assert 0.3 < sparsity["dense_0.kernel"] < 0.8
    # ... and one more epoch on the same batches lands on the uninterrupted run's masks
    for key, mask in snap.by_epoch[1].items():
        np.testing.assert_array_equal(resumed.masks[key], mask, err_msg=key)


def test_pruning_bad_input(backend: str) -> None:
    model = pf.build(mlp_spec(16), backend)
    with pytest.raises(pf.ConfigError, match=r"'flatten_0' is a Flatten.*prunable kinds: Dense"):
        pf.Trainer(model).fit(
            X_TRAIN[:64], Y_TRAIN[:64], callbacks=[pf.compress.Pruning(0.5, layers=["flatten_0"])]
        )
    with pytest.raises(pf.ConfigError, match="cannot run with clip_norm"):
        pf.Trainer(model, clip_norm=1.0).fit(
            X_TRAIN[:64], Y_TRAIN[:64], callbacks=[pf.compress.Pruning(0.5)]
        )
