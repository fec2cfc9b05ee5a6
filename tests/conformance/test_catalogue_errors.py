"""Bad token input on every backend: a clear DataError naming the Embedding layer."""

from __future__ import annotations

import numpy as np
import pytest

import polyframe as pf

L = pf.layers


@pytest.fixture
def model(backend: str) -> pf.Model:
    spec = pf.Sequential(
        [
            L.Input((6,), dtype="int32"),
            L.Embedding(10, 4, name="tokens"),
            L.GlobalAvgPool1D(),
            L.Dense(2),
        ]
    )
    return pf.build(spec, backend=backend)


def test_token_id_above_vocabulary(model: pf.Model) -> None:
    x = np.zeros((3, 6), np.int32)
    x[1, 4] = 12
    with pytest.raises(
        pf.DataError,
        match=r"layers\[1\] 'tokens' \(Embedding\): token ids must be in \[0, 10\) "
        r"\(input_dim\), found 12 at index \[1, 4\]",
    ):
        model(x)


def test_negative_token_id_in_fit(model: pf.Model) -> None:
    x = np.ones((4, 6), np.int64)
    x[3, 0] = -1
    with pytest.raises(
        pf.DataError, match=r"fit x: layers\[1\] 'tokens'.*found -1 at index \[3, 0\]"
    ):
        pf.Trainer(model).fit(x, np.zeros(4, np.int64))


def test_float_tokens_rejected(model: pf.Model) -> None:
    with pytest.raises(pf.DataError, match="expects integer input"):
        model(np.zeros((2, 6), np.float32))


def test_valid_tokens_give_finite_logits(model: pf.Model) -> None:
    x = np.arange(12, dtype=np.int32).reshape(2, 6) % 10
    out = model(x)
    assert out.shape == (2, 2) and np.all(np.isfinite(out))
