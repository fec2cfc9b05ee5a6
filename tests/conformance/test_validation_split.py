"""``fit(..., validation_split=f)`` with Keras semantics: the last ``ceil``-split fraction of the
arrays, taken before shuffling, is the validation data. Host-side logic: one backend."""

from __future__ import annotations

import numpy as np
import pytest

import polyframe as pf
from tests.conftest import BACKENDS

ONE = BACKENDS[:1]


def _data() -> tuple[np.ndarray, np.ndarray]:
    (x, y), _ = pf.data.load("digits")
    return x[:50], y[:50]


def _fit(backend: str, **kwargs) -> dict:
    trainer = pf.Trainer(pf.build(pf.models.mlp(hidden=(16,)), backend=backend, seed=0))
    return trainer.fit(batch_size=16, epochs=2, **kwargs).history


@pytest.mark.parametrize("be", ONE)
def test_split_is_the_last_fraction_as_in_keras(be: str) -> None:
    x, y = _data()
    at = 40  # keras: int(ceil(50 * (1 - 0.2)))
    split = _fit(be, x=x, y=y, validation_split=0.2)
    explicit = _fit(be, x=x[:at], y=y[:at], validation_data=(x[at:], y[at:]))
    assert split["val_loss"] == explicit["val_loss"] and split["loss"] == explicit["loss"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"validation_split": 1.5}, r"validation_split must be in \(0, 1\), got 1.5"),
        ({"validation_split": 0.2, "validation_data": "v"}, "not both"),
        ({"validation_split": 0.001}, "leaves an empty training or validation set"),
    ],
)
def test_bad_validation_split_is_one_clear_error(kwargs: dict, message: str) -> None:
    x, y = _data()
    trainer = pf.Trainer.__new__(pf.Trainer)  # the checks run before anything is built
    with pytest.raises(pf.DataError, match=message):
        pf.Trainer.fit(trainer, x, y, epochs=1, **kwargs)
