"""Trajectory parity: 100 training steps (cosine schedule, gradient clipping on, float32,
no dropout) give the same per-step losses as a float64 numpy run of the same training, on
every backend, for SGD with momentum, Adam and AdamW. One case per (optimizer, backend)."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import polyframe as pf

from .numpy_mlp import mlp_spec, train_reference

SEED, BATCH, EPOCHS, CLIP = 3, 32, 10, 0.5
OPTIMIZERS = {
    "sgd_momentum": pf.optim.SGD(0.2, momentum=0.9),
    "adam": pf.optim.Adam(0.02),
    "adamw": pf.optim.AdamW(0.02, weight_decay=0.1),
}


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(320, 12)).astype(np.float32)
    y = np.argmax(x[:, :5] + 0.5 * x[:, 5:10], axis=1).astype(np.int64)
    return x, y


def _loader() -> pf.data.Loader:
    return pf.data.Loader(*_data(), batch_size=BATCH, shuffle=True, seed=SEED)


class StepLosses(pf.callbacks.Callback):
    """Records every step's loss (per-step logs)."""

    wants_batch_logs = True

    def __init__(self) -> None:
        self.losses: list[float] = []

    def on_train_batch_end(self, step: int, logs: dict | None = None) -> None:
        self.losses.append(logs["loss"])


@functools.cache
def reference(opt: str) -> tuple[np.ndarray, int]:
    """The numpy run, computed once per optimizer in the session."""
    loader = _loader()
    schedule = pf.schedules.Cosine(total_steps=EPOCHS * len(loader))
    base = OPTIMIZERS[opt].lr
    return train_reference(
        mlp_spec(), SEED, loader, EPOCHS, OPTIMIZERS[opt], lambda s: schedule.lr(s, base), CLIP
    )


@pytest.mark.parametrize("opt", list(OPTIMIZERS))
def test_per_step_losses_match_numpy(opt: str, backend: str) -> None:
    ref, clipped = reference(opt)
    assert len(ref) == 100
    assert 5 <= clipped < 100, f"clipping should act on some steps, acted on {clipped}"
    trainer = pf.Trainer(
        pf.build(mlp_spec(), backend=backend, seed=SEED),
        optimizer=OPTIMIZERS[opt],
        metrics=[],
        schedule="cosine",  # total_steps filled in by fit: 10 epochs x 10 steps
        clip_norm=CLIP,
    )
    rec = StepLosses()
    trainer.fit(_loader(), epochs=EPOCHS, callbacks=[rec])
    got = np.array(rec.losses)
    rel = np.abs(got - ref) / np.abs(ref)
    print(
        f"{opt} on {backend}: worst relative deviation {rel.max():.2e} at step {rel.argmax()} "
        f"(loss {ref[0]:.4f} -> {ref[-1]:.4f}; {clipped} steps clipped)"
    )
    assert got.shape == (100,)
    assert ref[-1] < 0.6 * ref[0]  # it trains
    assert rel.max() < 1e-4
