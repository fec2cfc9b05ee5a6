"""Mid-epoch checkpoints (``ModelCheckpoint(every_n_steps=K)``, ``--every-steps K``): resuming
inside an epoch continues its batch order and random streams, bitwise on the same backend."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import polyframe as pf
from polyframe.backend import default_backend
from polyframe.cli import _parser
from polyframe.cli_checkpoint import checkpointing
from tests.checkpoint.helpers import cnn_spec, digits, fit

# digits(192) in batches of 32: 6 optimizer steps per epoch; every 5 steps does not divide it
MID = "epoch-000001-step-000000010"  # global step 10: 4 steps into the second epoch


def test_mid_epoch_resume_is_bitwise(backend: str, tmp_path: Path) -> None:
    """2 epochs straight == the same run resumed, in a fresh model and trainer, from the
    checkpoint taken 4 steps into epoch 2 (with dropout: the random streams are restored)."""
    spec = cnn_spec(dropout=0.25)
    straight, _, h_straight = fit(backend, 2, spec)
    cb = pf.callbacks.ModelCheckpoint(tmp_path, every_n_steps=5, keep_last=None)
    saving, _, _ = fit(backend, 2, spec, callbacks=(cb,))
    names = [p.name for p in pf.checkpoint.list_checkpoints(tmp_path)]
    assert names == ["epoch-000000-step-000000005", "epoch-000001", MID, "epoch-000002"]
    training = pf.checkpoint.verify(tmp_path / MID)["training"]
    position = {k: training[k] for k in ("epoch", "step_in_epoch", "batch_in_epoch")}
    assert position == {"epoch": 1, "step_in_epoch": 4, "batch_in_epoch": 4}
    assert (training["global_step"], training["accum_steps"]) == (10, 1)
    assert training["history"]["loss"] == h_straight.history["loss"][:1]  # epoch 1 only

    resumed, trainer, h_resumed = fit(backend, 2, spec, resume_from=tmp_path / MID)
    assert (trainer.resume_info["epoch"], trainer.resume_info["step_in_epoch"]) == (1, 4)
    assert trainer.global_step == 12 and trainer.timing["steps"] == 2
    a, b, c = straight.params(), saving.params(), resumed.params()
    for k in a:
        np.testing.assert_array_equal(b[k], a[k], err_msg=f"{k}: saving changed the run")
        np.testing.assert_array_equal(c[k], a[k], err_msg=f"{k}: the resumed run differs")
    assert h_resumed.epoch == [0, 1]
    # the resumed epoch's logs cover the whole epoch: its sums so far were saved and restored
    assert h_resumed.history == h_straight.history
    assert sorted(training["train_sums"]) == ["count.correct", "loss", "samples"]


def test_every_steps_flag_and_bad_values(tmp_path: Path) -> None:
    args = _parser().parse_args(
        ["train", "--checkpoint-dir", str(tmp_path), "--every-steps", "7", "--every", "2"]
    )
    (cb,), resume_from = checkpointing(args, "torch", announce=False)
    assert (cb.every_n_steps, cb.every_n_epochs, resume_from) == (7, 2, None)
    args.every_steps = 0
    with pytest.raises(pf.PolyframeError, match="--every-steps must be a positive number of st"):
        checkpointing(args, "torch", announce=False)
    with pytest.raises(pf.ConfigError, match="every_n_steps must be a positive int or None, got 0"):
        pf.callbacks.ModelCheckpoint(tmp_path, every_n_steps=0)


def test_old_and_mid_epoch_names_sort_in_training_order(tmp_path: Path) -> None:
    for name in ("epoch-000010", "epoch-000002-step-000000015", "epoch-000002", "epoch-000003"):
        (tmp_path / name).mkdir()
    names = [p.name for p in pf.checkpoint.list_checkpoints(tmp_path)]
    assert names == ["epoch-000002", "epoch-000002-step-000000015", "epoch-000003", "epoch-000010"]


def _fit(backend: str, resume_from: Path | None = None, callbacks: tuple = (), **options):
    """2 epochs of the dropout CNN with trainer ``options`` (fused steps, accumulation)."""
    model = pf.build(cnn_spec(dropout=0.25), backend=backend, seed=0)
    trainer = pf.Trainer(model, optimizer=pf.optim.Adam(1e-2), **options)
    x, y = digits()
    trainer.fit(x, y, batch_size=32, epochs=2, seed=3, callbacks=callbacks, resume_from=resume_from)
    return model, trainer


def test_fused_steps_save_at_the_end_of_a_call_and_resume_bitwise(
    backend: str, tmp_path: Path
) -> None:
    """``steps_per_execution=4`` runs steps 1-4, 5-6 | 7-10, 11-12: step 5 falls inside a call,
    so it is saved at the call's end (6, the epoch's end: ``epoch-000001``); step 10 ends a
    call and is saved there. Resuming from it runs the same last call (steps 11-12)."""
    cb = pf.callbacks.ModelCheckpoint(tmp_path, every_n_steps=5, every_n_epochs=9, keep_last=None)
    saving, _ = _fit(backend, callbacks=(cb,), steps_per_execution=4)
    assert [p.name for p in cb.saved] == ["epoch-000001", MID, "epoch-000002"]
    resumed, trainer = _fit(backend, resume_from=tmp_path / MID, steps_per_execution=4)
    assert trainer.global_step == 12 and trainer.timing["steps"] == 2
    a, b = saving.params(), resumed.params()
    for k in a:
        np.testing.assert_array_equal(b[k], a[k], err_msg=f"{k}: the resumed run differs")


def test_accumulation_saves_on_optimizer_steps_and_resumes_bitwise(tmp_path: Path) -> None:
    """``accum_steps=2``: 3 optimizer steps of 2 batches per epoch; step 4 is 1 step (2 batches)
    into the second epoch. A resume with another ``accum_steps`` is refused."""
    backend = default_backend()
    cb = pf.callbacks.ModelCheckpoint(tmp_path, every_n_steps=2, every_n_epochs=9, keep_last=None)
    saving, _ = _fit(backend, callbacks=(cb,), accum_steps=2)
    mid = tmp_path / "epoch-000001-step-000000004"
    assert [p.name for p in cb.saved] == ["epoch-000000-step-000000002", mid.name, "epoch-000002"]
    training = pf.checkpoint.verify(mid)["training"]
    assert (training["step_in_epoch"], training["batch_in_epoch"]) == (1, 2)
    resumed, trainer = _fit(backend, resume_from=mid, accum_steps=2)
    assert trainer.global_step == 6 and trainer.timing["steps"] == 2
    a, b = saving.params(), resumed.params()
    for k in a:
        np.testing.assert_array_equal(b[k], a[k], err_msg=f"{k}: the resumed run differs")
    with pytest.raises(pf.CheckpointError, match=r"accum_steps=2, but this trainer has accum_"):
        _fit(backend, resume_from=mid)


def test_attention_dropout_stream_resumes_bitwise(backend: str, tmp_path: Path) -> None:
    """Attention-weight dropout draws from a stream nested inside the attention layer (Keras:
    the MultiHeadAttention's own Dropout; Flax: a fork of the model's dropout stream); the
    checkpoint carries it, so a mid-epoch resume is bitwise too."""
    L = pf.layers
    spec = pf.Sequential(
        [
            L.Input((5, 6)),
            L.MultiHeadAttention(4, head_dim=3, dropout=0.3),
            L.GlobalAvgPool1D(),
            L.Dense(2),
        ]
    )
    x = np.random.default_rng(0).normal(size=(32, 5, 6)).astype(np.float32)
    y = np.arange(32) % 2

    def run(callbacks: tuple = (), resume_from: Path | None = None) -> dict:
        model = pf.build(spec, backend=backend, seed=0)
        trainer = pf.Trainer(model, optimizer=pf.optim.Adam(1e-2), metrics=[])
        trainer.fit(
            x,
            y,
            batch_size=8,
            epochs=2,
            seed=3,
            callbacks=callbacks,
            resume_from=resume_from,
            verbose=0,
        )
        return model.params()

    straight = run()
    run((pf.callbacks.ModelCheckpoint(tmp_path, every_n_steps=3, keep_last=None),))
    mid = tmp_path / "epoch-000000-step-000000003"
    assert pf.checkpoint.read(mid).rng  # the dropout stream is saved
    resumed = run(resume_from=mid)
    for k in straight:
        np.testing.assert_array_equal(resumed[k], straight[k], err_msg=k)
