"""The model zoo on every backend: builds, matches the numpy reference (and so the other
backends) on the same input and seed, trains with falling loss, round-trips through YAML."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

import polyframe as pf
from polyframe.reference import forward

#: name -> (full-size spec for the forward check, small spec for the training check)
ZOO: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
    "resnet20": (
        lambda: pf.models.resnet20(),
        lambda: pf.models.resnet20((8, 8, 3), classes=4, width=4),
    ),
    "transformer_classifier": (
        lambda: pf.models.transformer_classifier(),
        lambda: pf.models.transformer_classifier(16, 50, 3, dim=16, heads=2, ff_dim=32),
    ),
    "transformer_postnorm_sinusoidal": (
        lambda: pf.models.transformer_classifier(norm="post", positions="sinusoidal"),
        lambda: pf.models.transformer_classifier(
            16, 50, 3, dim=16, heads=2, ff_dim=32, norm="post", positions="sinusoidal"
        ),
    ),
    "rnn_classifier_lstm": (
        lambda: pf.models.rnn_classifier(),
        lambda: pf.models.rnn_classifier(16, 50, 3, dim=8, units=16),
    ),
    "rnn_classifier_gru": (
        lambda: pf.models.rnn_classifier(cell="gru"),
        lambda: pf.models.rnn_classifier(16, 50, 3, dim=8, units=16, cell="gru"),
    ),
    "audio_cnn": (
        lambda: pf.models.audio_cnn(),
        lambda: pf.models.audio_cnn((32, 10), classes=4, width=8),
    ),
}
TOL = 1e-4


def _batch(spec: Any, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = (n, *spec.input_shape)
    if spec.input_dtype.startswith("int"):
        return rng.integers(0, 50, size=shape).astype(spec.input_dtype)
    return rng.normal(size=shape).astype(spec.input_dtype)


@pytest.mark.parametrize("name", sorted(ZOO))
def test_zoo_spec_declares_its_input_and_round_trips(name: str) -> None:
    spec = ZOO[name][0]()
    assert isinstance(spec.input_shape, tuple) and all(isinstance(d, int) for d in spec.input_shape)
    assert spec.input_dtype in ("float32", "int32")
    back = pf.loads_spec(spec.to_yaml())
    assert back == spec
    assert back.param_specs() == spec.param_specs()


def test_resnet20_has_the_paper_size() -> None:
    spec = pf.models.resnet20()
    trainable = sum(int(np.prod(p.shape)) for p in spec.param_specs().values() if p.trainable)
    convs = [n for n in spec.nodes if n.layer.kind == "Conv2D" and "proj" not in n.name]
    assert len(convs) + 1 == 20  # 19 convs on the main path + the Dense layer
    assert trainable == 272_474
    assert [n.output_shape for n in spec.nodes if n.name.endswith("block1_add")] == [
        (32, 32, 16),
        (16, 16, 32),
        (8, 8, 64),
    ]


@pytest.mark.parametrize("name", sorted(ZOO))
def test_zoo_model_matches_reference(name: str, backend: str) -> None:
    spec = ZOO[name][0]()
    model = pf.build(spec, backend=backend, seed=0)
    x = _batch(spec, 2, seed=1)
    want = forward(spec, pf.init_params(spec, 0), x)
    got = model(x)
    assert got.shape == want.shape == (2, *spec.output_shape)
    print(f"{name} on {backend}: max |diff| {np.max(np.abs(got - want)):.2e}")
    assert np.max(np.abs(got - want)) <= TOL


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ZOO))
def test_zoo_model_trains(name: str, backend: str) -> None:
    spec = ZOO[name][1]()
    x = _batch(spec, 32, seed=2)
    # a learnable target: the last token's id, or the sign pattern of the first features
    classes = spec.output_shape[-1]
    if np.issubdtype(x.dtype, np.integer):
        y = x[:, -1] % classes
    else:
        y = (x.reshape(32, -1)[:, :classes] > 0).sum(axis=1) % classes
    model = pf.build(spec, backend=backend, seed=0)
    trainer = pf.Trainer(model, optimizer=pf.optim.Adam(1e-2))
    losses = trainer.fit(x, y, batch_size=8, epochs=6, seed=0).history["loss"]
    print(f"{name} on {backend}: loss {losses}")
    assert all(np.isfinite(losses))
    assert losses[-1] < 0.8 * losses[0]
