"""Model zoo: functions that return specs. Each spec knows its ``input_shape``/``input_dtype``."""

from __future__ import annotations

from polyframe import layers as L
from polyframe.spec.sequential import Sequential


def mlp(
    input_shape: tuple[int, ...] = (8, 8, 1),
    hidden: tuple[int, ...] = (128,),
    classes: int = 10,
    activation: str = "relu",
    dropout: float = 0.0,
) -> Sequential:
    """Flatten -> Dense(hidden..., activation) -> Dense(classes) logits. The default is the
    model ``polyframe train`` fits on digits."""
    layers: list[L.Layer] = [L.Input(tuple(input_shape)), L.Flatten()]
    for units in hidden:
        layers.append(L.Dense(units, activation=activation))
        if dropout:
            layers.append(L.Dropout(dropout))
    layers.append(L.Dense(classes))
    return Sequential(layers, name="mlp")


def cifar_cnn(input_shape: tuple[int, int, int] = (32, 32, 3), classes: int = 10) -> Sequential:
    """The classic conv32-pool-conv64-pool-fc120-fc84-fc10 CNN."""
    return Sequential(
        [
            L.Input(tuple(input_shape)),
            L.Conv2D(32, 3, padding="same", activation="relu"),
            L.MaxPool2D(2),
            L.Conv2D(64, 3, padding="same", activation="relu"),
            L.MaxPool2D(2),
            L.Flatten(),
            L.Dense(120, activation="relu"),
            L.Dense(84, activation="relu"),
            L.Dense(classes),
        ],
        name="cifar_cnn",
    )


#: Zoo models by name, for the CLI's ``--model``.
ZOO = {"mlp": mlp, "cifar_cnn": cifar_cnn}
