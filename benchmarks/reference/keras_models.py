"""The suites' models in Keras 3 layers (any Keras backend), loaded with polyframe's canonical
initial weights (Keras' layouts are the canonical ones)."""

from __future__ import annotations

import keras
import numpy as np


def mlp(p: dict[str, np.ndarray]) -> keras.Model:
    """784-512-512-10 with ReLU."""
    model = keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    model.set_weights([p[f"dense_{i}.{k}"] for i in range(3) for k in ("kernel", "bias")])
    return model


def cnn(p: dict[str, np.ndarray]) -> keras.Model:
    """conv32-pool-conv64-pool-fc120-fc84-fc10 on NHWC (32, 32, 3) images."""
    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(120, activation="relu"),
            layers.Dense(84, activation="relu"),
            layers.Dense(10),
        ]
    )
    names = ["conv2d_0", "conv2d_1", "dense_0", "dense_1", "dense_2"]
    model.set_weights([p[f"{n}.{k}"] for n in names for k in ("kernel", "bias")])
    return model


MODELS = {"mlp": mlp, "cnn": cnn}
