"""The suites' models in plain flax.nnx, loaded with polyframe's canonical initial weights
(Flax's layouts are the canonical ones: Dense kernel [in, out], Conv kernel [kh, kw, in, out])."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from flax import nnx


def _load(layer: nnx.Module, kernel: np.ndarray, bias: np.ndarray) -> None:
    layer.kernel[...] = jnp.asarray(kernel)
    layer.bias[...] = jnp.asarray(bias)


class MLP(nnx.Module):
    """784-512-512-10 with ReLU."""

    def __init__(self, rngs: nnx.Rngs) -> None:
        self.l0 = nnx.Linear(784, 512, rngs=rngs)
        self.l1 = nnx.Linear(512, 512, rngs=rngs)
        self.l2 = nnx.Linear(512, 10, rngs=rngs)

    def __call__(self, x: jnp.ndarray) -> jnp.ndarray:
        return self.l2(nnx.relu(self.l1(nnx.relu(self.l0(x)))))


class CNN(nnx.Module):
    """conv32-pool-conv64-pool-fc120-fc84-fc10 on NHWC (32, 32, 3) images."""

    def __init__(self, rngs: nnx.Rngs) -> None:
        self.c0 = nnx.Conv(3, 32, (3, 3), padding="SAME", rngs=rngs)
        self.c1 = nnx.Conv(32, 64, (3, 3), padding="SAME", rngs=rngs)
        self.d0 = nnx.Linear(64 * 8 * 8, 120, rngs=rngs)
        self.d1 = nnx.Linear(120, 84, rngs=rngs)
        self.d2 = nnx.Linear(84, 10, rngs=rngs)

    def __call__(self, x: jnp.ndarray) -> jnp.ndarray:
        x = nnx.max_pool(nnx.relu(self.c0(x)), (2, 2), strides=(2, 2))
        x = nnx.max_pool(nnx.relu(self.c1(x)), (2, 2), strides=(2, 2))
        x = x.reshape(x.shape[0], -1)
        return self.d2(nnx.relu(self.d1(nnx.relu(self.d0(x)))))


def mlp(p: dict[str, np.ndarray]) -> MLP:
    model = MLP(nnx.Rngs(0))
    for i, layer in enumerate((model.l0, model.l1, model.l2)):
        _load(layer, p[f"dense_{i}.kernel"], p[f"dense_{i}.bias"])
    return model


def cnn(p: dict[str, np.ndarray]) -> CNN:
    model = CNN(nnx.Rngs(0))
    _load(model.c0, p["conv2d_0.kernel"], p["conv2d_0.bias"])
    _load(model.c1, p["conv2d_1.kernel"], p["conv2d_1.bias"])
    for i, layer in enumerate((model.d0, model.d1, model.d2)):
        _load(layer, p[f"dense_{i}.kernel"], p[f"dense_{i}.bias"])
    return model


MODELS = {"mlp": mlp, "cnn": cnn}
