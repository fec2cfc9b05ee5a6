"""Canonical activation names -> Keras activations (exact erf GELU for ``gelu``)."""

from __future__ import annotations

from typing import Any, Callable

from polyframe_tensorflow._env import keras


@keras.saving.register_keras_serializable(package="polyframe")
def gelu_exact(x: Any) -> Any:
    """GELU in its exact form, ``0.5 x (1 + erf(x / sqrt 2))``."""
    return keras.activations.gelu(x, approximate=False)


@keras.saving.register_keras_serializable(package="polyframe")
def gelu_tanh(x: Any) -> Any:
    """GELU with the tanh approximation."""
    return keras.activations.gelu(x, approximate=True)


@keras.saving.register_keras_serializable(package="polyframe")
def softmax_last(x: Any) -> Any:
    """Softmax over the last axis."""
    return keras.activations.softmax(x, axis=-1)


_ACTIVATIONS: dict[str, str | Callable[[Any], Any]] = {
    "identity": "linear",
    "relu": "relu",
    "gelu": gelu_exact,
    "gelu_tanh": gelu_tanh,
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "softmax": softmax_last,
}


def keras_activation(name: str) -> str | Callable[[Any], Any]:
    """The Keras activation (a name or a registered function) for a canonical name."""
    return _ACTIVATIONS[name]
