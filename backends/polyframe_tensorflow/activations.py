"""Canonical activation names -> Keras activations (exact erf GELU for ``gelu``)."""

from __future__ import annotations

from typing import Any, Callable

from polyframe.spec.activations import OPS_ACTIVATIONS
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


def _ops_activation(name: str) -> Callable[[Any], Any]:
    """A Keras-serializable activation applying the ``pf.ops`` function ``name``."""
    from polyframe_tensorflow.ops import NAMESPACE

    fn = getattr(NAMESPACE, name)

    def act(x: Any) -> Any:
        return fn(x)

    act.__name__ = act.__qualname__ = f"pf_{name}"
    return keras.saving.register_keras_serializable(package="polyframe", name=f"pf_{name}")(act)


_ACTIVATIONS.update({name: _ops_activation(name) for name in OPS_ACTIVATIONS})


def keras_activation(name: str) -> str | Callable[[Any], Any]:
    """The Keras activation (a name or a registered function) for a canonical name."""
    return _ACTIVATIONS[name]
