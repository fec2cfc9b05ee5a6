"""Attention masks on every backend: causal, key padding from token ids, an explicit key mask,
and fully masked query rows, against the numpy reference. Rule: a query that sees no key has a
zero context, so MultiHeadAttention outputs ``output_bias`` there (never NaN)."""

from __future__ import annotations

import numpy as np
import pytest

import polyframe as pf
from polyframe.reference import reference_fn
from polyframe.reference.registry import Context

from .layer_harness import run_layer

L = pf.layers
TOL = 1e-5
PAD = 0
#: Token ids of the context: example 0 is padded at the end, example 1 at the start, and
#: example 2 is padding only (every query row of it is fully masked).
TOKENS = np.array([[5, 3, 7, PAD, PAD], [PAD, PAD, 4, 2, 9], [PAD] * 5], np.int64)


def _inputs(*shapes: tuple[int, ...]) -> list[np.ndarray]:
    rng = np.random.default_rng(11)
    return [rng.normal(size=s).astype(np.float32) for s in shapes]


def _params(layer: pf.layers.Layer, shapes: tuple) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(12)
    # random biases (not the zero init), so the output_bias rule is visible
    return {
        k: (rng.normal(size=ps.shape) * 0.5).astype(np.float32)
        for k, ps in layer.param_specs(shapes).items()
    }


CASES = {
    "cross_padding_tokens": (
        L.MultiHeadAttention(2, padding_idx=PAD),
        lambda: [*_inputs((3, 4, 6), (3, 5, 4)), TOKENS],
    ),
    "self_causal_and_padding": (
        L.MultiHeadAttention(3, causal=True, padding_idx=PAD),
        lambda: [*(2 * _inputs((3, 5, 6))), TOKENS],
    ),
    "cross_explicit_float_mask": (
        L.MultiHeadAttention(2),
        lambda: [*_inputs((3, 4, 6), (3, 5, 6)), (TOKENS != PAD).astype(np.float32)],
    ),
    "cross_causal_no_mask": (
        L.MultiHeadAttention(2, causal=True, use_bias=False),
        lambda: _inputs((3, 4, 6), (3, 5, 6)),
    ),
    "encoder_post_norm_padding": (
        L.TransformerEncoderBlock(2, 8, padding_idx=PAD),
        lambda: [*_inputs((3, 5, 6)), TOKENS],
    ),
    "encoder_pre_norm_causal_padding": (
        L.TransformerEncoderBlock(2, 8, norm_first=True, causal=True, padding_idx=PAD),
        lambda: [*_inputs((3, 5, 6)), TOKENS],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_masked_attention_matches_reference(case: str, backend: str) -> None:
    layer, make = CASES[case]
    inputs = make()
    shapes = tuple(tuple(a.shape[1:]) for a in inputs)
    params = _params(layer, shapes)
    local64 = {k: v.astype(np.float64) for k, v in params.items()}
    floats = [a.astype(np.float64) if a.dtype == np.float32 else a for a in inputs]
    want = reference_fn(type(layer))(layer, local64, floats, Context())
    got = run_layer(backend, layer, params, inputs)
    assert got.shape == want.shape == (3, *layer.output_shape(shapes))
    assert np.all(np.isfinite(got))
    assert np.max(np.abs(got - want)) <= TOL


@pytest.mark.parametrize("case", ["cross_padding_tokens", "self_causal_and_padding"])
def test_fully_masked_rows_output_the_bias(case: str, backend: str) -> None:
    """Example 2 has no visible key at all; with causal masking and left padding, example 1's
    first two queries see none either: those rows are exactly ``output_bias``."""
    layer, make = CASES[case]
    inputs = make()
    shapes = tuple(tuple(a.shape[1:]) for a in inputs)
    params = _params(layer, shapes)
    got = run_layer(backend, layer, params, inputs)
    bias = params["output_bias"]
    np.testing.assert_allclose(got[2], np.broadcast_to(bias, got[2].shape), atol=1e-6)
    if layer.causal:
        np.testing.assert_allclose(got[1, :2], np.broadcast_to(bias, (2, bias.size)), atol=1e-6)
        assert np.max(np.abs(got[1, 2:] - bias)) > 1e-2  # the others attend to something
