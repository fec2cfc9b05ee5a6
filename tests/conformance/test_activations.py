"""The activations defined once in pf.ops (silu/swish, leaky_relu, elu, selu, softplus,
softsign, mish, hard_sigmoid, hard_swish, log_softmax): one case per (activation, backend)
through pf.testing.check_layer -- forward vs the float64 reference, gradients vs finite
differences, initial weights and round trips -- inside a Dense layer."""

from __future__ import annotations

import numpy as np
import pytest

import polyframe as pf
from polyframe.spec.activations import OPS_ACTIVATIONS

L = pf.layers


@pytest.mark.parametrize("name", OPS_ACTIVATIONS)
def test_activation_conforms(name: str, backend: str) -> None:
    report = pf.testing.check_layer(L.Dense(5, activation=name), (4,), backends=[backend])
    assert report.ok and report.backends == [backend]
    forward = next(c for c in report.checks if c.name == "forward")
    assert forward.error <= 1e-5


def test_log_softmax_after_conv_is_over_channels(backend: str) -> None:
    """log_softmax after a convolution normalizes the channel axis (torch runs conv layers
    channels-first: the axis must follow)."""
    spec = pf.Sequential([L.Input((4, 4, 2)), L.Conv2D(3, 3, padding="same"),
                          L.Activation("log_softmax")])  # fmt: skip
    model = pf.build(spec, backend=backend, seed=1)
    x = np.random.default_rng(0).normal(size=(2, 4, 4, 2)).astype(np.float32)
    got = model(x)
    want = pf.reference.forward(spec, pf.init_params(spec, 1), x)
    assert np.max(np.abs(got - want)) <= 1e-5
    np.testing.assert_allclose(np.exp(got).sum(axis=-1), 1.0, atol=1e-5)


def test_unknown_activation_lists_the_new_ones() -> None:
    with pytest.raises(pf.SpecError, match="unknown activation 'swishh'; allowed: .*hard_swish"):
        L.Dense(3, activation="swishh")
