"""The text and speech zoo models on every backend, small: forward against the numpy
reference (token ids with padding; raw audio through the log-mel layer)."""

from __future__ import annotations

import numpy as np
import pytest

import polyframe as pf
from polyframe.reference import forward

MODELS = {
    "text_classifier": lambda: pf.models.text_classifier(10, 40, 3, dim=8, heads=2, ff_dim=16),
    "audio_classifier": lambda: pf.models.audio_classifier(
        400, 1000, classes=4, num_mels=8, frame_length=64, frame_step=32, width=4
    ),
}


def _batch(spec, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if spec.input_dtype == "int32":
        ids = rng.integers(1, 40, size=(3, *spec.input_shape)).astype(np.int32)
        ids[0, 6:] = 0  # padding at the end, as the tokenizer writes it
        ids[1, 2:] = 0
        return ids
    return (0.3 * rng.normal(size=(3, *spec.input_shape))).astype(np.float32)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_media_zoo_model_matches_reference(name: str, backend: str) -> None:
    spec = MODELS[name]()
    assert pf.loads_spec(spec.to_yaml()) == spec
    model = pf.build(spec, backend=backend, seed=0)
    x = _batch(spec, 1)
    want = forward(spec, pf.init_params(spec, 0), x)
    got = model(x)
    assert got.shape == want.shape == (3, spec.output_shape[-1])
    assert np.max(np.abs(got - want)) <= 1e-4 * max(1.0, float(np.max(np.abs(want))))
