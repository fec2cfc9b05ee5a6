"""Input dtypes, as docs/guide.md states them: float64/float16 convert to the model's float32
(Keras does the same); integers for a float model, and floats for token ids, are DataErrors."""

from __future__ import annotations

import numpy as np
import pytest

import polyframe as pf
from polyframe.model import check_inputs


def test_float64_and_float16_convert_to_float32() -> None:
    spec = pf.models.mlp()
    for dtype in (np.float64, np.float16):
        x = np.full((2, 8, 8, 1), 0.5, dtype)
        out = check_inputs(spec, x)
        assert out.dtype == np.float32 and np.array_equal(out, x.astype(np.float32))


def test_integers_for_a_float_model_are_refused() -> None:
    with pytest.raises(pf.DataError, match="dtype int64, but the model expects floating-point"):
        check_inputs(pf.models.mlp(), np.zeros((2, 8, 8, 1), np.int64))


def test_floats_for_token_ids_are_refused() -> None:
    spec = pf.models.transformer_classifier()
    shape = (2, *spec.input_shape)
    with pytest.raises(pf.DataError, match="dtype float32, but the model expects integer"):
        check_inputs(spec, np.zeros(shape, np.float32))
