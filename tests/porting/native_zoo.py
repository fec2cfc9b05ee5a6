"""Small native models written with each framework alone (no polyframe), with random non-zero
weights everywhere (biases and batch-norm statistics too), and the polyframe spec each one is.

``ZOO[(framework, model)]`` is a :class:`Native`: ``make(seed)`` builds the native model,
``forward(net, x)`` runs it on channels-last numpy input, ``save``/``load`` write and read its
own weight file, ``spec`` is the matching polyframe spec and ``shape`` one example's input.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

import polyframe as pf

L = pf.layers
SUFFIX = {"torch": ".pt", "keras": ".weights.h5", "flax": ".msgpack"}
BACKEND = {"torch": "torch", "keras": "tensorflow", "flax": "jax"}


@dataclass(frozen=True)
class Native:
    make: Callable[[int], Any]
    forward: Callable[[Any, np.ndarray], np.ndarray]
    save: Callable[[Any, Path], None]
    load: Callable[[Any, Path], None]
    spec: Any
    shape: tuple[int, ...]


def _cnn_spec() -> Any:
    return pf.Sequential(
        [
            L.Input((8, 8, 3)),
            L.Conv2D(4, 3, activation="relu"),
            L.Conv2D(6, 3, activation="relu"),
            L.MaxPool2D(2),
            L.Dropout(0.25),
            L.Flatten(),
            L.Dense(16, activation="relu"),
            L.Dense(10),
        ]
    )


def _bn_spec(eps: float) -> Any:
    return pf.Sequential(
        [
            L.Input((6, 6, 3)),
            L.Conv2D(5, 3),
            L.BatchNorm(epsilon=eps),
            L.Activation("relu"),
            L.Flatten(),
            L.Dense(4),
        ]
    )


LSTM_SPEC = pf.Sequential([L.Input((5, 4)), L.LSTM(6), L.Dense(3)])
ATTN_SPEC = pf.Sequential([L.Input((5, 8)), L.MultiHeadAttention(2), L.Flatten(), L.Dense(3)])


# -- torch -------------------------------------------------------------------------------
def _torch(kind: str) -> Native:
    import torch
    from torch import nn

    class Attn(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
            self.fc = nn.Linear(40, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = self.attn(x, x, x, need_weights=False)[0]
            return self.fc(h.flatten(1))

    class Lstm(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(4, 6, batch_first=True)
            self.fc = nn.Linear(6, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(self.lstm(x)[0][:, -1])

    def make(seed: int) -> nn.Module:
        torch.manual_seed(seed)
        if kind == "cnn":
            net = nn.Sequential(
                nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 6, 3), nn.ReLU(), nn.MaxPool2d(2),
                nn.Dropout(0.25), nn.Flatten(), nn.Linear(24, 16), nn.ReLU(), nn.Linear(16, 10),
            )  # fmt: skip
        elif kind == "bn":
            net = nn.Sequential(
                nn.Conv2d(3, 5, 3), nn.BatchNorm2d(5), nn.ReLU(), nn.Flatten(), nn.Linear(80, 4)
            )
        else:
            net = Lstm() if kind == "lstm" else Attn()
        with torch.no_grad():
            for name, t in net.state_dict().items():
                if t.is_floating_point():
                    t.copy_(torch.randn(t.shape) * 0.3 + (1.0 if "running_var" in name else 0.0))
                    if "running_var" in name:
                        t.abs_()
        return net.eval()

    def forward(net: Any, x: np.ndarray) -> np.ndarray:
        t = torch.from_numpy(x)
        if t.ndim == 4:
            t = t.permute(0, 3, 1, 2)
        with torch.no_grad():
            return net(t).numpy()

    spec = {"cnn": _cnn_spec(), "bn": _bn_spec(1e-5), "lstm": LSTM_SPEC, "attn": ATTN_SPEC}[kind]
    return Native(
        make,
        forward,
        lambda net, p: torch.save(net.state_dict(), p),
        lambda net, p: net.load_state_dict(torch.load(p, weights_only=True)),
        spec,
        spec.input_shape,
    )


# -- Keras -------------------------------------------------------------------------------
def _keras(kind: str) -> Native:
    import keras

    def make(seed: int) -> Any:
        keras.utils.set_random_seed(seed)
        layers = keras.layers
        if kind == "cnn":
            net = keras.Sequential(
                [
                    keras.Input((8, 8, 3)),
                    layers.Conv2D(4, 3, activation="relu"),
                    layers.Conv2D(6, 3, activation="relu"),
                    layers.MaxPooling2D(2),
                    layers.Dropout(0.25),
                    layers.Flatten(),
                    layers.Dense(16, activation="relu"),
                    layers.Dense(10),
                ]
            )
        elif kind == "bn":
            net = keras.Sequential(
                [
                    keras.Input((6, 6, 3)),
                    layers.Conv2D(5, 3),
                    layers.BatchNormalization(),
                    layers.Activation("relu"),
                    layers.Flatten(),
                    layers.Dense(4),
                ]
            )
        elif kind == "lstm":
            net = keras.Sequential([keras.Input((5, 4)), layers.LSTM(6), layers.Dense(3)])
        else:
            x = keras.Input((5, 8))
            h = layers.MultiHeadAttention(2, 4)(x, x)
            net = keras.Model(x, layers.Dense(3)(layers.Flatten()(h)))
        rng = np.random.default_rng(seed)
        for v in net.weights:
            value = rng.normal(0, 0.3, v.shape).astype("float32")
            v.assign(np.abs(value) + 0.5 if "variance" in v.path else value)
        return net

    spec = {"cnn": _cnn_spec(), "bn": _bn_spec(1e-3), "lstm": LSTM_SPEC, "attn": ATTN_SPEC}[kind]
    return Native(
        make,
        lambda net, x: np.asarray(net(x, training=False)),
        lambda net, p: net.save_weights(str(p)),
        lambda net, p: net.load_weights(str(p)),
        spec,
        spec.input_shape,
    )


# -- Flax NNX ----------------------------------------------------------------------------
def _flax(kind: str) -> Native:
    import jax
    from flax import nnx, serialization

    class Cnn(nnx.Module):
        def __init__(self, rngs: nnx.Rngs) -> None:
            self.conv1 = nnx.Conv(3, 4, (3, 3), padding="VALID", rngs=rngs)
            self.conv2 = nnx.Conv(4, 6, (3, 3), padding="VALID", rngs=rngs)
            self.fc1 = nnx.Linear(24, 16, rngs=rngs)
            self.fc2 = nnx.Linear(16, 10, rngs=rngs)

        def __call__(self, x: jax.Array) -> jax.Array:
            h = jax.nn.relu(self.conv2(jax.nn.relu(self.conv1(x))))
            h = nnx.max_pool(h, (2, 2), strides=(2, 2))
            return self.fc2(jax.nn.relu(self.fc1(h.reshape(h.shape[0], -1))))

    class Bn(nnx.Module):
        def __init__(self, rngs: nnx.Rngs) -> None:
            self.conv = nnx.Conv(3, 5, (3, 3), padding="VALID", rngs=rngs)
            self.norm = nnx.BatchNorm(5, use_running_average=True, rngs=rngs)
            self.out = nnx.Linear(80, 4, rngs=rngs)

        def __call__(self, x: jax.Array) -> jax.Array:
            h = jax.nn.relu(self.norm(self.conv(x)))
            return self.out(h.reshape(h.shape[0], -1))

    class Lstm(nnx.Module):
        def __init__(self, rngs: nnx.Rngs) -> None:
            self.rnn = nnx.RNN(nnx.OptimizedLSTMCell(4, 6, rngs=rngs))
            self.out = nnx.Linear(6, 3, rngs=rngs)

        def __call__(self, x: jax.Array) -> jax.Array:
            return self.out(self.rnn(x)[:, -1])

    class Attn(nnx.Module):
        def __init__(self, rngs: nnx.Rngs) -> None:
            self.attn = nnx.MultiHeadAttention(2, 8, decode=False, rngs=rngs)
            self.out = nnx.Linear(40, 3, rngs=rngs)

        def __call__(self, x: jax.Array) -> jax.Array:
            h = self.attn(x)
            return self.out(h.reshape(h.shape[0], -1))

    cls = {"cnn": Cnn, "bn": Bn, "lstm": Lstm, "attn": Attn}[kind]

    def make(seed: int) -> Any:
        net = cls(nnx.Rngs(seed))
        rng = np.random.default_rng(seed)
        state = nnx.state(net, nnx.Not(nnx.RngState))
        pure = nnx.to_pure_dict(state)
        pure = jax.tree_util.tree_map_with_path(
            lambda path, v: (
                np.abs(rng.normal(0, 0.3, v.shape)) + 0.5
                if "var" in str(path[-1])
                else rng.normal(0, 0.3, v.shape)
            ).astype("float32"),
            pure,
        )
        nnx.replace_by_pure_dict(state, pure)
        nnx.update(net, state)
        return net

    def save(net: Any, path: Path) -> None:
        pure = nnx.to_pure_dict(nnx.state(net, nnx.Not(nnx.RngState)))
        path.write_bytes(serialization.msgpack_serialize(jax.tree.map(np.asarray, pure)))

    def load(net: Any, path: Path) -> None:
        state = nnx.state(net, nnx.Not(nnx.RngState))
        nnx.replace_by_pure_dict(state, serialization.msgpack_restore(path.read_bytes()))
        nnx.update(net, state)

    spec = {"cnn": _cnn_spec(), "bn": _bn_spec(1e-5), "lstm": LSTM_SPEC, "attn": ATTN_SPEC}[kind]
    return Native(make, lambda net, x: np.asarray(net(x)), save, load, spec, spec.input_shape)


def native(framework: str, kind: str) -> Native:
    """The native model ``kind`` (cnn, bn, lstm, attn) written with ``framework``."""
    return {"torch": _torch, "keras": _keras, "flax": _flax}[framework](kind)
