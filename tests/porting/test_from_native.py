"""``pf.from_native``: models written natively (torch nn.Sequential and a custom forward, Keras
Sequential and functional with a residual, Flax NNX MLP and CNN) become a spec whose outputs
match the native model's on every backend; an uncovered module is named in one line."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pytest

import polyframe as pf


def _torch_sequential_cnn() -> tuple[Any, np.ndarray]:
    import torch
    from torch import nn

    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3), nn.ReLU(), nn.Dropout(0.25), nn.Flatten(), nn.Linear(24, 8),
        nn.ReLU(), nn.Linear(8, 3),
    )  # fmt: skip
    with torch.no_grad():
        net[1].running_mean.normal_()
        net[1].running_var.uniform_(0.5, 2.0)
        net[1].weight.normal_()
        net[1].bias.normal_()
    return net, torch.randn(3, 3, 8, 8)


def _torch_custom_forward() -> tuple[Any, np.ndarray]:
    import torch
    import torch.nn.functional as F
    from torch import nn

    class Residual(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Conv2d(3, 4, 3, padding=1)
            self.conv = nn.Conv2d(4, 4, 3, padding=1)
            self.fc = nn.Linear(4 * 6 * 6, 5)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = F.relu(self.stem(x))
            h = F.relu(self.conv(h) + h)
            return self.fc(torch.flatten(h, 1))

    torch.manual_seed(1)
    return Residual(), torch.randn(3, 3, 6, 6)


def _randomize_keras(net: Any) -> Any:
    rng = np.random.default_rng(0)
    for v in net.weights:
        value = rng.normal(0, 0.3, v.shape).astype("float32")
        v.assign(np.abs(value) + 0.5 if "variance" in v.path else value)
    return net


def _keras_sequential() -> tuple[Any, np.ndarray]:
    import keras

    kl = keras.layers
    net = keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            kl.Conv2D(4, 3, padding="same", activation="relu"),
            kl.BatchNormalization(),
            kl.MaxPooling2D(),
            kl.Flatten(),
            kl.Dropout(0.2),
            kl.Dense(6, activation="tanh"),
            kl.Dense(3),
        ]
    )
    x = np.random.default_rng(1).normal(size=(3, 8, 8, 3)).astype("float32")
    return _randomize_keras(net), x


def _keras_functional_residual() -> tuple[Any, np.ndarray]:
    import keras

    kl = keras.layers
    x = keras.Input((6, 6, 3))
    h = kl.Conv2D(3, 3, padding="same", activation="relu")(x)
    h = kl.Add()([h, x])
    y = kl.Dense(4)(kl.GlobalAveragePooling2D()(h))
    data = np.random.default_rng(2).normal(size=(3, 6, 6, 3)).astype("float32")
    return _randomize_keras(keras.Model(x, y)), data


def _flax_mlp() -> tuple[Any, np.ndarray]:
    import jax
    from flax import nnx

    r = nnx.Rngs(0)
    net = nnx.Sequential(nnx.Linear(6, 8, rngs=r), jax.nn.tanh, nnx.Linear(8, 2, rngs=r))
    return net, np.random.default_rng(3).normal(size=(3, 6)).astype("float32")


def _flax_cnn() -> tuple[Any, np.ndarray]:
    import jax
    from flax import nnx

    r = nnx.Rngs(0)
    net = nnx.Sequential(
        nnx.Conv(3, 4, (3, 3), rngs=r),
        nnx.BatchNorm(4, rngs=r),
        jax.nn.relu,
        functools.partial(nnx.max_pool, window_shape=(2, 2), strides=(2, 2)),
        lambda h: h.reshape(h.shape[0], -1),
        nnx.Linear(64, 3, rngs=r),
    )
    net.layers[1].mean[...] = jax.numpy.linspace(-1, 1, 4)
    net.layers[1].var[...] = jax.numpy.linspace(0.5, 2, 4)
    return net, np.random.default_rng(4).normal(size=(3, 8, 8, 3)).astype("float32")


MODELS = {
    "torch-sequential-cnn": ("torch", _torch_sequential_cnn),
    "torch-custom-forward": ("torch", _torch_custom_forward),
    "keras-sequential": ("keras", _keras_sequential),
    "keras-functional-residual": ("keras", _keras_functional_residual),
    "flax-mlp": ("flax", _flax_mlp),
    "flax-cnn": ("flax", _flax_cnn),
}


@pytest.fixture(scope="module", params=list(MODELS))
def ported(request: pytest.FixtureRequest) -> tuple[str, Any]:
    package, make = MODELS[request.param]
    pytest.importorskip(package)
    module, x = make()
    return request.param, pf.from_native(module, x, backends=[])


def test_from_native_matches_on_every_backend(ported: tuple[str, Any], backend: str) -> None:
    name, p = ported
    diff = float(np.abs(p.build(backend)(p.x) - p.native_output).max())
    print(f"{name} on {backend}: max |diff| {diff:.2e} (reference {p.max_diff['reference']:.2e})")
    assert p.max_diff["reference"] <= 1e-5
    assert diff <= 1e-5


def test_from_native_spec_structure() -> None:
    """The custom forward's residual addition and flatten are in the captured graph."""
    pytest.importorskip("torch")
    module, x = _torch_custom_forward()
    p = pf.from_native(module, x, backends=[])
    kinds = [n.layer.kind for n in p.spec.nodes]
    assert kinds == ["Conv2D", "Activation", "Conv2D", "Add", "Activation", "Flatten", "Dense"]
    assert p.spec.input_shape == (6, 6, 3)


def test_unsupported_torch_module_is_named() -> None:
    torch = pytest.importorskip("torch")
    net = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.PReLU())
    with pytest.raises(pf.BackendError) as err:
        pf.from_native(net, torch.randn(2, 4), backends=[])
    line = str(err.value)
    assert "\n" not in line
    assert line.startswith(
        "Sequential.forward, node '_1' (module '1'): torch module '1' (PReLU) is not covered"
    )


def test_unsupported_keras_layer_is_named() -> None:
    keras = pytest.importorskip("keras")
    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.PReLU()])
    with pytest.raises(pf.BackendError) as err:
        pf.from_native(net, np.zeros((1, 4), "float32"), backends=[])
    assert "\n" not in str(err.value)
    assert "layer 'p_re_lu': Keras layer 'p_re_lu' (PReLU) is not covered" in str(err.value)


def test_unsupported_flax_function_is_named() -> None:
    pytest.importorskip("flax")
    import jax
    from flax import nnx

    net = nnx.Sequential(nnx.Linear(6, 8, rngs=nnx.Rngs(0)), jax.nn.silu)
    with pytest.raises(pf.BackendError) as err:
        pf.from_native(net, np.ones((2, 6), "float32"), backends=[])
    assert str(err.value).startswith("nnx.Sequential layers[1]: the function silu is not covered")
