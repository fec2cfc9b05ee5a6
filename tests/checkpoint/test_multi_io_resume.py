"""A two-input, two-output Graph checkpoints and resumes bitwise on the same backend; the
manifest records its per-output losses and weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import polyframe as pf
from tests.conformance.numpy_two_heads import two_heads_data, two_heads_spec


def _fit(backend: str, epochs: int, callbacks: tuple = (), resume_from: Path | None = None):
    model = pf.build(two_heads_spec(), backend=backend, seed=0)
    trainer = pf.Trainer(
        model,
        optimizer=pf.optim.Adam(1e-2),
        loss={"cls": "cross_entropy", "reg": "huber"},
        loss_weights={"cls": 1.0, "reg": 2.0},
        metrics={"cls": ["accuracy"]},
    )
    x, y = two_heads_data()
    history = trainer.fit(
        x, y, batch_size=16, epochs=epochs, seed=3, callbacks=callbacks, resume_from=resume_from
    )
    return model, trainer, history


def test_two_heads_resume_is_bitwise(backend: str, tmp_path: Path) -> None:
    straight, _, h_straight = _fit(backend, 3)
    _fit(backend, 1, callbacks=(pf.callbacks.ModelCheckpoint(tmp_path),))
    training = pf.checkpoint.verify(tmp_path / "epoch-000001")["training"]
    assert training["outputs"] == {
        "loss": {"cls": "cross_entropy", "reg": "huber"},
        "loss_weights": {"cls": 1.0, "reg": 2.0},
    }
    assert training["metrics"] == ["cls_accuracy"]
    resumed, trainer, h_resumed = _fit(backend, 3, resume_from=tmp_path)
    assert trainer.resume_info["epoch"] == 1
    a, b = straight.params(), resumed.params()
    assert [k for k in a if not np.array_equal(a[k], b[k])] == []
    for key in ("loss", "cls_loss", "reg_loss", "cls_accuracy"):
        assert h_resumed.history[key] == h_straight.history[key], key
