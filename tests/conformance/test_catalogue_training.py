"""Training with catalogue layers through pf.Trainer on every backend: integer token inputs,
one SGD step against the reference gradient, batch-norm statistics after a step, falling loss."""

from __future__ import annotations

import numpy as np
import pytest

import polyframe as pf
from polyframe.testing.finite_differences import _central

L = pf.layers


def _ce_loss(
    spec: pf.Sequential, params: dict, x: np.ndarray, y: np.ndarray, training: bool = False
) -> float:
    logits = pf.reference.forward(spec, params, x, training=training, out_dtype=np.float64)
    logits = logits - logits.max(axis=1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(y)), y].mean())


STEP_CASES = {
    "tokens_gru": pf.Sequential(
        [L.Input((5,), dtype="int32"), L.Embedding(7, 4), L.GRU(3), L.Dense(2)]
    ),
    "sequence_lstm_layernorm": pf.Sequential(
        [
            L.Input((4, 3)),
            L.LSTM(4, return_sequences=True),
            L.LayerNorm(),
            L.GlobalMaxPool1D(),
            L.Dense(2),
        ]
    ),
    "sequence_bidirectional_lstm": pf.Sequential(
        [L.Input((4, 3)), L.Bidirectional(L.LSTM(3), merge_mode="sum"), L.Dense(2)]
    ),
    "sequence_attention_head_dim": pf.Sequential(
        [
            L.Input((4, 6)),
            L.MultiHeadAttention(4, head_dim=2),
            L.GlobalAvgPool1D(),
            L.Dense(2),
        ]
    ),
    "tokens_encoder": pf.Sequential(
        [
            L.Input((4,), dtype="int32"),
            L.Embedding(7, 4),
            L.PositionalEmbedding(4),
            L.TransformerEncoderBlock(2, 6, norm_first=True),
            L.GlobalAvgPool1D(),
            L.Dense(2),
        ]
    ),
}


@pytest.mark.parametrize("case", sorted(STEP_CASES))
def test_one_sgd_step_matches_reference_gradient(case: str, backend: str) -> None:
    """After one full-batch SGD step every parameter equals ``p - lr * dL/dp`` with dL/dp from
    float64 finite differences of the reference cross-entropy."""
    spec, lr = STEP_CASES[case], 0.5
    rng = np.random.default_rng(0)
    shape = (6, *spec.input_shape)
    if spec.input_dtype == "int32":
        x = rng.integers(0, 7, shape).astype(np.int32)
    else:
        x = rng.normal(size=shape).astype(np.float32)
    y = rng.integers(0, 2, 6)
    model = pf.build(spec, backend=backend, seed=2)
    start = model.params()
    p64 = {k: v.astype(np.float64) for k, v in start.items()}
    expected = {k: p64[k] - lr * _central(lambda: _ce_loss(spec, p64, x, y), p64[k]) for k in p64}
    trainer = pf.Trainer(model, optimizer=pf.optim.SGD(lr), metrics=[])
    trainer.fit(x, y, batch_size=6, epochs=1, shuffle=False)
    after = model.params()
    for name, want in expected.items():
        moved = np.max(np.abs(want - p64[name]))
        assert np.max(np.abs(after[name] - want)) <= 1e-4 * max(moved, 1e-3), name


def test_batchnorm_statistics_after_a_training_step(backend: str) -> None:
    """Running statistics after one step on a Conv1D sequence model equal the reference's."""
    spec = pf.Sequential(
        [
            L.Input((6, 3)),
            L.Conv1D(4, 3, padding="same"),
            L.BatchNorm(momentum=0.8),
            L.GlobalAvgPool1D(),
            L.Dense(2),
        ]
    )
    rng = np.random.default_rng(1)
    x = (rng.normal(size=(8, 6, 3)) * 2 + 0.5).astype(np.float32)
    model = pf.build(spec, backend=backend, seed=0)
    state: dict[str, np.ndarray] = {}
    pf.reference.forward(spec, model.params(), x, training=True, state_out=state)
    pf.Trainer(model, optimizer=pf.optim.SGD(0.1)).fit(
        x, np.arange(8) % 2, batch_size=8, epochs=1, shuffle=False
    )
    params = model.params()
    assert sorted(state) == ["batch_norm_0.moving_mean", "batch_norm_0.moving_var"]
    for name, value in state.items():
        assert np.max(np.abs(params[name] - value)) <= 1e-6, name


@pytest.mark.parametrize("affine", [True, False], ids=["affine", "no_affine"])
def test_batchnorm_training_step_matches_reference_gradient(affine: bool, backend: str) -> None:
    """One SGD step through a training-mode BatchNorm (batch statistics) moves every trained
    parameter by ``lr * dL/dp``, dL/dp from float64 finite differences of the reference."""
    spec = pf.Sequential(
        [
            L.Input((3,)),
            L.Dense(4),
            L.BatchNorm(center=affine, scale=affine),
            L.Activation("tanh"),
            L.Dense(2),
        ]
    )
    rng = np.random.default_rng(3)
    x = (rng.normal(size=(8, 3)) * 2 + 1).astype(np.float32)
    y = np.arange(8) % 2
    model = pf.build(spec, backend=backend, seed=4)
    p64 = {k: v.astype(np.float64) for k, v in model.params().items()}
    trained = sorted(k for k in p64 if "moving" not in k)
    assert len(trained) == (6 if affine else 4), trained
    lr = 0.5
    loss = lambda: _ce_loss(spec, p64, x, y, training=True)  # noqa: E731
    expected = {k: p64[k] - lr * _central(loss, p64[k]) for k in trained}
    pf.Trainer(model, optimizer=pf.optim.SGD(lr), metrics=[]).fit(
        x, y, batch_size=8, epochs=1, shuffle=False
    )
    after = model.params()
    for name, want in expected.items():
        moved = np.max(np.abs(want - p64[name]))
        assert np.max(np.abs(after[name] - want)) <= 1e-4 * max(moved, 1e-3), name


def test_token_classifier_learns(backend: str) -> None:
    """Label = does token 1 occur in the sequence; an attention classifier learns it."""
    rng = np.random.default_rng(0)
    x = rng.integers(2, 12, (128, 8)).astype(np.int32)
    has = rng.random(128) < 0.5
    x[has, rng.integers(0, 8, has.sum())] = 1
    y = has.astype(np.int64)
    spec = pf.Sequential(
        [
            L.Input((8,), dtype="int32"),
            L.Embedding(12, 8),
            L.PositionalEmbedding(8),
            L.TransformerEncoderBlock(2, 16),
            L.GlobalMaxPool1D(),
            L.Dense(2),
        ]
    )
    trainer = pf.Trainer(pf.build(spec, backend=backend, seed=0), optimizer=pf.optim.Adam(0.01))
    history = trainer.fit(x, y, batch_size=32, epochs=15)
    losses = history.history["loss"]
    print(f"{backend}: token classifier loss {losses[0]:.3f} -> {losses[-1]:.3f}")
    assert losses[-1] < 0.5 * losses[0]
    assert trainer.evaluate(x, y)["accuracy"] >= 0.9


def test_attention_dropout_is_active_in_training_only(backend: str) -> None:
    """Attention-weight dropout (rate 0.5): inference is the reference; a training-mode call
    drops weights (outputs move) from the backend's seeded stream (the same seed gives the same
    masks), and its mean over 512 copies of one example is the inference output (inverted
    dropout keeps the expectation). The reference refuses training mode."""
    spec = pf.Sequential([L.Input((4, 6)), L.MultiHeadAttention(2, head_dim=4, dropout=0.5)])
    x = np.repeat(np.random.default_rng(0).normal(size=(1, 4, 6)).astype(np.float32), 512, 0)
    model = pf.build(spec, backend=backend, seed=1)
    want = pf.reference.forward(spec, model.params(), x[:1])
    assert np.max(np.abs(model(x[:1]) - want)) <= 1e-5
    train = model(x, training=True)
    again = pf.build(spec, backend=backend, seed=1)(x, training=True)
    np.testing.assert_array_equal(train, again)
    assert np.max(np.abs(train - want)) > 0.05
    scale = float(np.max(np.abs(want)))
    assert np.max(np.abs(train.mean(axis=0) - want[0])) <= 0.1 * scale
    with pytest.raises(pf.SpecError, match="no attention-dropout mask"):
        pf.reference.forward(spec, model.params(), x[:1], training=True)
