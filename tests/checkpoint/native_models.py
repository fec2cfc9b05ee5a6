"""Hand-written native models (no polyframe) of the digits MLP ``mlp(hidden=(16,))``, one per
framework, each saved in that framework's own weight format: what a user brings to import."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

Forward = Callable[[np.ndarray], np.ndarray]


def torch_mlp(path: Path) -> Forward:
    import torch

    torch.manual_seed(1)
    net = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(64, 16), torch.nn.ReLU(), torch.nn.Linear(16, 10)
    ).eval()
    torch.save(net.state_dict(), path.with_suffix(".pt"))

    def forward(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return net(torch.from_numpy(x)).numpy()

    return forward


def keras_mlp(path: Path) -> Forward:
    import keras

    keras.utils.set_random_seed(1)
    net = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    net.save_weights(str(path.with_suffix(".weights.h5")))
    return lambda x: np.asarray(net(x, training=False))


def flax_mlp(path: Path) -> Forward:
    import jax
    from flax import nnx, serialization

    class MLP(nnx.Module):
        def __init__(self, rngs: nnx.Rngs) -> None:
            self.hidden = nnx.Linear(64, 16, rngs=rngs)
            self.out = nnx.Linear(16, 10, rngs=rngs)

        def __call__(self, x: jax.Array) -> jax.Array:
            return self.out(jax.nn.relu(self.hidden(x.reshape(x.shape[0], -1))))

    net = MLP(nnx.Rngs(1))
    # non-zero biases, so a mix-up of kernel and bias could not go unnoticed
    net.hidden.bias[...] = jax.numpy.linspace(-0.5, 0.5, 16)
    pure = jax.tree.map(np.asarray, nnx.to_pure_dict(nnx.state(net)))
    path.with_suffix(".msgpack").write_bytes(serialization.msgpack_serialize(pure))
    return lambda x: np.asarray(net(x))


NATIVE = {
    "torch": (torch_mlp, ".pt"),
    "tensorflow": (keras_mlp, ".weights.h5"),
    "jax": (flax_mlp, ".msgpack"),
}
