"""precision="float16" on every backend: float16 compute, float32 master weights and one
dynamic loss-scaling rule (polyframe/loss_scale.py), so the scale trajectory and the skipped
steps are those of the numpy reference (numpy_float16) on every backend."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import polyframe as pf
from polyframe.loss_scale import GOOD_STEPS, SCALE, update

from . import numpy_float16 as ref
from .numpy_mlp import loss_and_grads, mlp_spec

#: Grows every 20 good steps from 2**15, so 200 digits steps both grow and skip.
DIGITS_RULE = pf.LossScale(initial=2.0**15, growth_interval=20)
DIGITS_ROWS, BATCH, EPOCHS = 1280, 32, 5  # 40 batches an epoch, 200 steps
#: Where a backend's float16 Dense rounds unlike XLA-on-TensorFlow (numpy_float16's docstring).
ROUNDING = {"torch": ref.Rounding(fused_bias=True)}


class _PerStep(pf.callbacks.Callback):
    """Each step's loss, loss-scale state and (optionally) parameters."""

    wants_batch_logs = True

    def __init__(self, params: bool = False) -> None:
        self.losses: list[float] = []
        self.scales: list[float] = []
        self.good: list[int] = []
        self.weights: list[dict[str, np.ndarray]] = []
        self._with_params = params

    def on_train_batch_end(self, step: int, logs: dict | None = None) -> None:
        state = self.trainer.steps.loss_scale_state()
        self.losses.append(float(logs["loss"]))
        self.scales.append(float(state[SCALE]))
        self.good.append(int(state[GOOD_STEPS]))
        if self._with_params:
            self.trainer.steps.sync()
            self.weights.append(self.trainer.model.params())


def _skipped(initial: float, scales: list[float]) -> list[int]:
    """1-based steps after which the scale went down (the skipped ones)."""
    before = [initial, *scales[:-1]]
    return [i + 1 for i, (a, b) in enumerate(zip(before, scales, strict=True)) if b < a]


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    (x, y), _ = pf.data.load("digits")
    return x.reshape(len(x), -1)[:DIGITS_ROWS], y[:DIGITS_ROWS]


@pytest.fixture(scope="module")
def references(digits: tuple[np.ndarray, np.ndarray]) -> dict:
    """The numpy runs, computed on first use: {Rounding: (losses, skipped, scales)}."""
    x, y = digits
    batches = [(x[i : i + BATCH], y[i : i + BATCH]) for i in range(0, len(x), BATCH)] * EPOCHS

    class Lazy(dict):
        def __missing__(self, rounding: ref.Rounding) -> tuple:
            self[rounding] = ref.train_reference(
                ref.mlp_spec(), 0, batches, pf.optim.Adam(2e-3), DIGITS_RULE, rounding
            )
            return self[rounding]

    return Lazy()


@pytest.fixture(scope="module")
def digits_runs(digits: tuple[np.ndarray, np.ndarray]) -> dict:
    """Each backend's float16 digits run, trained on first use: {backend: (trainer, _PerStep)}
    (shared by the reference test and the cross-backend one)."""

    class Lazy(dict):
        def __missing__(self, backend: str) -> tuple:
            trainer = pf.Trainer(
                pf.build(ref.mlp_spec(), backend=backend, seed=0),
                optimizer=pf.optim.Adam(2e-3),
                metrics=[],
                precision="float16",
                loss_scale=DIGITS_RULE,
            )
            rec = _PerStep()
            trainer.fit(*digits, batch_size=BATCH, epochs=EPOCHS, shuffle=False, callbacks=[rec])
            self[backend] = trainer, rec
            return self[backend]

    return Lazy()


def test_float16_digits_200_steps_follow_the_numpy_reference(
    backend: str, digits_runs: dict, references: dict
) -> None:
    want_losses, want_skipped, want_scales = references[ROUNDING.get(backend, ref.Rounding())]
    assert len(want_skipped) >= 3 and max(want_scales) > DIGITS_RULE.initial  # skips and growth
    trainer, rec = digits_runs[backend]
    got = np.array(rec.losses)
    rel = np.abs(got - want_losses) / want_losses
    print(
        f"{backend}: skipped {_skipped(DIGITS_RULE.initial, rec.scales)}, final scale "
        f"{rec.scales[-1]:g}; relative loss difference: worst step {rel.max():.2e} "
        f"(step {int(rel.argmax()) + 1}), first 100 steps {rel[:100].max():.2e}"
    )
    assert _skipped(DIGITS_RULE.initial, rec.scales) == want_skipped
    assert rec.scales == want_scales
    # The reference rounds where the backend's float16 kernels round; what is left is the
    # float32 optimizer (the reference's is float64): a last-bit difference in a master weight
    # can change its float16 copy by one rounding (1e-3 relative), so the runs drift apart by
    # a fraction of that over 200 steps (measured worst: 7.5e-4 torch, 5.5e-4 TF, 4.8e-4 JAX).
    assert rel.max() < 1e-3
    state = trainer.steps.optimizer_state()
    assert int(state["step"]) == 200 - len(want_skipped)  # Adam's counter skips them too
    assert all(v.dtype == np.float32 for v in trainer.model.params().values())


def test_float16_digits_200_steps_agree_across_backends(
    backend_a: str, backend_b: str, digits_runs: dict
) -> None:
    """Two backends' runs against each other: the same skipped steps and scales, every step's
    loss within 1e-3 relative (measured worst: 9.2e-4 torch against TensorFlow and JAX, whose
    Dense rounds matmul and bias separately where torch's addmm rounds once; 6.6e-4 TF-JAX)."""
    a, b = digits_runs[backend_a][1], digits_runs[backend_b][1]
    assert _skipped(DIGITS_RULE.initial, a.scales) == _skipped(DIGITS_RULE.initial, b.scales)
    assert a.scales == b.scales
    la, lb = np.array(a.losses), np.array(b.losses)
    rel = np.abs(la - lb) / lb
    print(f"{backend_a} vs {backend_b}: worst step {rel.max():.2e} (step {rel.argmax() + 1})")
    assert rel.max() < 1e-3


def test_float16_overflow_skips_the_step_and_halves_the_scale(backend: str) -> None:
    """A sample weight of 1e6 on step 3's batch overflows float16 in the backward pass."""
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(48, 12)).astype(np.float32), rng.integers(0, 5, 48)
    w = np.ones(48, np.float32)
    w[16:24] = 1e6  # the third batch of 8
    rule = pf.LossScale(initial=1024.0, growth_interval=2)
    trainer = pf.Trainer(
        pf.build(mlp_spec(), backend=backend, seed=2),
        optimizer=pf.optim.Adam(0.01),
        metrics=[],
        precision="float16",
        loss_scale=rule,
    )
    rec = _PerStep(params=True)
    trainer.fit(x, y, sample_weight=w, batch_size=8, epochs=1, shuffle=False, callbacks=[rec])
    scale, good, want_scales, want_good = rule.initial, 0, [], []
    for step in range(1, 7):
        scale, good = update(scale, good, step != 3, rule)
        want_scales.append(scale)
        want_good.append(good)
    assert rec.scales == want_scales == [1024.0, 2048.0, 1024.0, 1024.0, 2048.0, 2048.0]
    assert rec.good == want_good
    before, skipped, after = rec.weights[1], rec.weights[2], rec.weights[3]
    assert all(np.array_equal(before[k], skipped[k]) for k in before)  # no update at step 3
    assert not np.array_equal(skipped["dense_0.kernel"], after["dense_0.kernel"])
    assert int(trainer.steps.optimizer_state()["step"]) == 5
    assert all(np.isfinite(v).all() for v in trainer.model.params().values())


def test_float16_skipped_first_step_leaves_sgd_momentum_clean(backend: str) -> None:
    """The very first step overflows: SGD's momentum buffer must start at the next step (torch's
    fused SGD left it uninitialized, so float16 uses the foreach optimizers)."""
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(16, 12)).astype(np.float32), rng.integers(0, 5, 16)
    w = np.where(np.arange(16) < 8, 1e6, 1.0).astype(np.float32)
    model = pf.build(mlp_spec(), backend=backend, seed=2)
    start = model.params()
    trainer = pf.Trainer(
        model, optimizer=pf.optim.SGD(0.1, momentum=0.9), metrics=[], precision="float16"
    )
    trainer.fit(x, y, sample_weight=w, batch_size=8, epochs=1, shuffle=False)
    _, grads = loss_and_grads(start, x[8:], y[8:])  # the one applied step: plain SGD
    want = {k: start[k] - 0.1 * grads[k] for k in start}
    got = model.params()
    assert _scale(trainer) == (2.0**14, 1)
    assert max(float(np.abs(got[k] - want[k]).max()) for k in want) < 2e-3


def test_float16_accumulation_scales_like_one_big_batch(backend: str) -> None:
    """2 micro-batches of 8 per step: the float16 backward sees the loss times the scale only
    (torch weighed it by the micro-batch size as well, overflowing 8 times sooner)."""
    rng = np.random.default_rng(5)
    x, y = (rng.normal(size=(32, 12)) * 3).astype(np.float32), rng.integers(0, 5, 32)
    runs = {}
    for accum, batch in ((1, 16), (2, 8)):
        runs[accum] = pf.Trainer(
            pf.build(mlp_spec(), backend=backend, seed=2),
            optimizer=pf.optim.Adam(0.01),
            metrics=[],
            precision="float16",
            accum_steps=accum,
        )
        runs[accum].fit(x, y, batch_size=batch, epochs=1, shuffle=False)
    assert _scale(runs[2]) == _scale(runs[1]) == (2.0**15, 2)  # no step skipped
    a, b = runs[1].model.params(), runs[2].model.params()
    assert max(float(np.linalg.norm(a[k] - b[k]) / np.linalg.norm(a[k])) for k in a) < 1e-2


def _scale(trainer: pf.Trainer) -> tuple[float, int] | None:
    state = trainer.steps.loss_scale_state()
    return (float(state[SCALE]), int(state[GOOD_STEPS])) if state else None


def _fit16(backend: str, epochs: int, precision: str = "float16", **kw) -> pf.Trainer:
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(48, 12)).astype(np.float32), rng.integers(0, 5, 48)
    trainer = pf.Trainer(
        pf.build(mlp_spec(), backend=backend, seed=3),
        optimizer=pf.optim.Adam(0.01),
        metrics=[],
        precision=precision,
        loss_scale=pf.LossScale(initial=2.0**14, growth_interval=4),
    )
    trainer.fit(x, y, batch_size=8, epochs=epochs, shuffle=False, **kw)
    return trainer


def test_float16_resume_restores_the_loss_scale(backend: str, tmp_path: Path) -> None:
    """3 epochs straight == 2 epochs, checkpoint, resume, 1 more: the same scale, count of
    good steps and weights; float32 and float16 checkpoints load into each other."""
    straight = _fit16(backend, 3)
    ckpt = pf.callbacks.ModelCheckpoint(tmp_path / "f16")
    first = _fit16(backend, 2, callbacks=[ckpt])
    assert _scale(first) != (2.0**14, 0)  # it moved
    resumed = _fit16(backend, 3, resume_from=tmp_path / "f16")
    assert _scale(resumed) == _scale(straight) != _scale(first)
    a, b = straight.model.params(), resumed.model.params()
    assert max(float(np.abs(a[k] - b[k]).max()) for k in a) < 1e-6
    # float16 checkpoint -> float32 trainer: the scale is dropped
    as32 = _fit16(backend, 3, precision="float32", resume_from=tmp_path / "f16")
    assert _scale(as32) is None and as32.global_step == 18
    # float32 checkpoint -> float16 trainer: the scale starts from the rule's initial value
    _fit16(
        backend, 2, precision="float32", callbacks=[pf.callbacks.ModelCheckpoint(tmp_path / "f32")]
    )
    from32 = _fit16(backend, 2, resume_from=tmp_path / "f32")
    assert from32.global_step == 12
    assert _scale(from32) == (2.0**14, 0)


def test_float16_conv_gradients_are_summed_wide(backend: str) -> None:
    """Conv2D(1, 3) kernel and bias gradients of 2048 + 63 * 0.5 over the 64 positions of a
    10x10 image of ones: float16 values summed wide and rounded once (2080) on every backend. The
    frameworks' own float16 sums (XLA's bias reduce_sum, TensorFlow's bias and kernel
    gradients, torch's kernel gradient on CPU) kept 2048 or 2076, and such sums overflowed
    a CNN's steps that the other backends kept (polyframe_*/f16_grads.py)."""
    L = pf.layers
    spec = pf.Sequential(
        [L.Input((10, 10, 1)), L.Conv2D(1, 3), L.Flatten(), L.Dense(2)], name="conv_sums"
    )
    model = pf.build(spec, backend=backend, seed=0)
    dense = np.zeros((64, 2), np.float32)
    dense[:, 0] = -1.0 / 1024  # d loss*scale / d conv output: 0.5 at 63 positions ...
    dense[0, 0] = -4.0  # ... and 2048 at the first (dlogits * scale = (-512, 512))
    params = {k: np.zeros_like(v) for k, v in model.params().items()}
    model.load_params({**params, "dense_0.kernel": dense})
    trainer = pf.Trainer(
        model,
        optimizer=pf.optim.SGD(1.0),
        metrics=[],
        precision="float16",
        loss_scale=pf.LossScale(initial=1024.0),
    )
    trainer.fit(np.ones((1, 10, 10, 1), np.float32), np.zeros(1, np.int64), batch_size=1)
    got = model.params()
    assert float(got["conv2d_0.bias"][0]) * -1024 == 2080.0
    assert got["conv2d_0.kernel"].ravel().tolist() == [-2080.0 / 1024] * 9


@pytest.fixture(scope="module")
def cnn_runs(digits: tuple[np.ndarray, np.ndarray]) -> dict:
    """Each backend's float16 CNN run with ``accum_steps=2``, trained on first use:
    {backend: loss scale after each of its 32 steps}."""
    x, y = digits[0][:256].reshape(-1, 8, 8, 1), digits[1][:256]
    L = pf.layers
    spec = pf.Sequential(
        [L.Input((8, 8, 1)), L.Conv2D(4, 3, activation="relu"), L.Flatten(), L.Dense(10)],
        name="digits_cnn",
    )

    class Lazy(dict):
        def __missing__(self, backend: str) -> list[float]:
            trainer = pf.Trainer(
                pf.build(spec, backend=backend, seed=0),
                optimizer=pf.optim.Adam(1e-2),
                metrics=[],
                precision="float16",
                loss_scale=pf.LossScale(initial=2.0**15, growth_interval=3),
                accum_steps=2,
            )
            rec = _PerStep()
            trainer.fit(x, y, batch_size=8, epochs=2, shuffle=False, callbacks=[rec])
            self[backend] = rec.scales
            return self[backend]

    return Lazy()


def test_float16_cnn_accumulating_skips_the_same_steps_across_backends(
    backend_a: str, backend_b: str, cnn_runs: dict
) -> None:
    """Conv2D(4) on digits, micro-batches of 8, ``accum_steps=2``, 32 steps: the same skipped
    steps and scale trajectory. Before polyframe_jax.f16_grads, XLA's float16 conv-bias sum
    overflowed (partial sums past 65504, the float32 sum 64096) on step 17, which torch and
    TensorFlow kept (JAX: 11, 15, 17, 21, 25, 29; the others: 11, 15, 19, 20, 24, 29)."""
    a, b = cnn_runs[backend_a], cnn_runs[backend_b]
    skipped = _skipped(2.0**15, a)
    print(f"{backend_a} vs {backend_b}: skipped {skipped} and {_skipped(2.0**15, b)}")
    assert len(skipped) >= 3  # the run does overflow
    assert skipped == _skipped(2.0**15, b)
    assert a == b
