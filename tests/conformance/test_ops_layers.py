"""Catalogue layers written once in pf.ops (ZeroPadding1D/2D, Cropping1D/2D, UpSampling1D,
SwiGLU, GEGLU, RotaryEmbedding, CausalConv1D, SeparableConv2D): one pf.testing.check_layer
case per (layer, backend), and each layer's reference against an independent definition
(built-in layers with their own references, or the published formula)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import polyframe as pf

L = pf.layers
CASES = {
    "zero_padding1d": (L.ZeroPadding1D((1, 2)), (4, 3)),
    "zero_padding2d": (L.ZeroPadding2D(((1, 0), (0, 2))), (3, 3, 2)),
    "cropping1d": (L.Cropping1D((1, 2)), (6, 2)),
    "cropping2d": (L.Cropping2D(((1, 0), (1, 1))), (4, 4, 2)),
    "upsampling1d": (L.UpSampling1D(3), (3, 2)),
    "swiglu": (L.SwiGLU(6), (3, 4)),
    "geglu_units": (L.GEGLU(5, units=3), (4,)),
    "rotary": (L.RotaryEmbedding(), (5, 4)),
    "causal_conv1d": (L.CausalConv1D(3, 3, dilation=2, activation="tanh"), (6, 2)),
    "separable": (
        L.SeparableConv2D(3, (2, 3), strides=2, depth_multiplier=2, padding="same"),
        (5, 5, 2),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_ops_layer_conforms(case: str, backend: str) -> None:
    layer, shape = CASES[case]
    report = pf.testing.check_layer(layer, shape, backends=[backend])
    assert report.ok and report.backends == [backend]
    grads = [c for c in report.checks if c.name.startswith("gradient")]
    assert grads  # input gradient at least
    assert max(c.error for c in grads) <= 1e-4


def _ref(layers: list, shape: tuple[int, ...], params: dict, x: np.ndarray) -> np.ndarray:
    spec = pf.Sequential([L.Input(shape), *layers])
    return pf.reference.forward(spec, params, x, out_dtype=np.float64)


RNG = np.random.default_rng(0)


def test_causal_conv_is_left_padded_conv1d() -> None:
    x = RNG.normal(size=(2, 7, 3))
    kernel, bias = RNG.normal(size=(3, 3, 4)), RNG.normal(size=(4,))
    p = {"c.kernel": kernel, "c.bias": bias}
    got = _ref([L.CausalConv1D(4, 3, dilation=2, name="c")], (7, 3), p, x)
    want = _ref([L.ZeroPadding1D((4, 0)), L.Conv1D(4, 3, dilation=2, name="c")], (7, 3), p, x)
    np.testing.assert_allclose(got, want, atol=1e-12)
    x2 = x.copy()
    x2[:, 5:] += 1.0  # the future does not leak into the past
    later = _ref([L.CausalConv1D(4, 3, dilation=2, name="c")], (7, 3), p, x2)
    np.testing.assert_allclose(later[:, :5], got[:, :5], atol=1e-12)


def test_separable_is_depthwise_then_pointwise() -> None:
    x = RNG.normal(size=(2, 5, 5, 2))
    dk, pk, b = RNG.normal(size=(2, 3, 2, 3)), RNG.normal(size=(6, 4)), RNG.normal(size=(4,))
    sep = L.SeparableConv2D(4, (2, 3), strides=2, padding="same", depth_multiplier=3, name="s")
    got = _ref([sep], (5, 5, 2), {"s.depthwise_kernel": dk, "s.pointwise_kernel": pk,
                                  "s.bias": b}, x)  # fmt: skip
    two = [L.DepthwiseConv2D((2, 3), depth_multiplier=3, strides=2, padding="same",
                             use_bias=False, name="d"), L.Conv2D(4, 1, name="p")]  # fmt: skip
    want = _ref(two, (5, 5, 2), {"d.kernel": dk.reshape(2, 3, 1, 6),
                                 "p.kernel": pk.reshape(1, 1, 6, 4), "p.bias": b}, x)  # fmt: skip
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_rotary_and_swiglu_follow_their_formulas() -> None:
    x = RNG.normal(size=(2, 5, 6))
    got = _ref([L.RotaryEmbedding(base=100.0)], (5, 6), {}, x)
    t = np.arange(5)[:, None] * 100.0 ** (-np.arange(3) * 2 / 6)[None, :]
    x1, x2 = x[..., :3], x[..., 3:]
    want = np.concatenate([x1 * np.cos(t) - x2 * np.sin(t), x2 * np.cos(t) + x1 * np.sin(t)], -1)
    np.testing.assert_allclose(got, want, atol=1e-12)
    # position 0 is unrotated; the norm of each pair is kept
    np.testing.assert_allclose(got[:, 0], x[:, 0], atol=1e-12)
    np.testing.assert_allclose(got[..., :3] ** 2 + got[..., 3:] ** 2, x1**2 + x2**2, atol=1e-12)
    g, u, d = RNG.normal(size=(6, 8)), RNG.normal(size=(6, 8)), RNG.normal(size=(8, 6))
    got = _ref([L.SwiGLU(8, name="f")], (5, 6),
               {"f.gate_kernel": g, "f.up_kernel": u, "f.down_kernel": d}, x)  # fmt: skip
    a = x @ g
    np.testing.assert_allclose(got, (a / (1 + np.exp(-a)) * (x @ u)) @ d, atol=1e-10)
    erf = np.vectorize(math.erf)
    got = _ref([L.GEGLU(8, name="f")], (5, 6),
               {"f.gate_kernel": g, "f.up_kernel": u, "f.down_kernel": d}, x)  # fmt: skip
    np.testing.assert_allclose(got, (0.5 * a * (1 + erf(a / math.sqrt(2))) * (x @ u)) @ d,
                               atol=1e-10)  # fmt: skip


def test_shape_layers_follow_numpy() -> None:
    x = RNG.normal(size=(2, 4, 3))
    np.testing.assert_array_equal(_ref([L.UpSampling1D(2)], (4, 3), {}, x), np.repeat(x, 2, 1))
    np.testing.assert_array_equal(_ref([L.Cropping1D((1, 2))], (4, 3), {}, x), x[:, 1:2])
    np.testing.assert_array_equal(
        _ref([L.ZeroPadding1D(1)], (4, 3), {}, x), np.pad(x, ((0, 0), (1, 1), (0, 0)))
    )
    with pytest.raises(
        pf.SpecError, match="\\(Cropping1D\\): cropping \\(2, 2\\) leaves no step of 4"
    ):
        pf.Sequential([L.Input((4, 3)), L.Cropping1D(2)])
    with pytest.raises(pf.SpecError, match="\\(RotaryEmbedding\\): needs an even feature size D"):
        pf.Sequential([L.Input((4, 3)), L.RotaryEmbedding()])
