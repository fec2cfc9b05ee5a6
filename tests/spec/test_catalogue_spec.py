"""Catalogue specs without any framework: shape inference, parameter layouts, validation errors
that name the layer, multi-input shapes and the YAML round trip."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import polyframe as pf

L = pf.layers


def _shapes(input_shape: tuple[int, ...], *layers: pf.layers.Layer) -> list[tuple[int, ...]]:
    return [n.output_shape for n in pf.Sequential([L.Input(input_shape), *layers]).nodes]


@pytest.mark.parametrize(
    ("input_shape", "layer", "want"),
    [
        ((10, 3), L.Conv1D(4, 3), (8, 4)),
        ((10, 3), L.Conv1D(4, 3, strides=2, padding="same"), (5, 4)),
        ((9, 4), L.Conv1D(6, 3, dilation=2, groups=2), (5, 6)),
        ((6, 6, 3), L.DepthwiseConv2D(3, depth_multiplier=2), (4, 4, 6)),
        ((4, 5, 2), L.Conv2DTranspose(3, 3, strides=2), (9, 11, 3)),
        ((4, 5, 2), L.Conv2DTranspose(3, 3, strides=2, padding="same"), (8, 10, 3)),
        ((9, 3), L.MaxPool1D(2), (4, 3)),
        ((9, 3), L.AvgPool1D(2, padding="same"), (5, 3)),
        ((9, 3), L.GlobalAvgPool1D(), (3,)),
        ((9, 3), L.GlobalMaxPool1D(), (3,)),
        ((4, 5, 3), L.GlobalMaxPool2D(), (3,)),
        ((5, 6), L.LayerNorm(), (5, 6)),
        ((5, 6), L.GroupNorm(3), (5, 6)),
        ((5, 6), L.RMSNorm(), (5, 6)),
        ((7,), L.Embedding(20, 4), (7, 4)),
        ((7, 4), L.PositionalEmbedding(7), (7, 4)),
        ((7, 3), L.LSTM(5), (5,)),
        ((7, 3), L.GRU(5, return_sequences=True), (7, 5)),
        ((7, 8), L.MultiHeadAttention(2), (7, 8)),
        ((7, 8), L.MultiHeadAttention(3, head_dim=5, dropout=0.1), (7, 8)),
        ((7, 3), L.Bidirectional(L.LSTM(5)), (10,)),
        ((7, 3), L.Bidirectional(L.GRU(5, return_sequences=True), merge_mode="sum"), (7, 5)),
        ((7, 8), L.TransformerEncoderBlock(4, 16), (7, 8)),
        ((4, 6), L.Reshape((3, -1)), (3, 8)),
        ((2, 3, 4), L.Permute((3, 1, 2)), (4, 2, 3)),
        ((5,), L.Identity(), (5,)),
        ((2, 3, 1), L.Upsample2D((2, 3)), (4, 9, 1)),
    ],
)
def test_output_shapes(input_shape: tuple, layer: pf.layers.Layer, want: tuple) -> None:
    assert _shapes(input_shape, layer) == [want]


def test_canonical_parameter_layouts() -> None:
    spec = pf.Sequential(
        [
            L.Input((6,), dtype="int32"),
            L.Embedding(20, 8, name="emb"),
            L.PositionalEmbedding(6, name="pos"),
            L.LSTM(5, return_sequences=True, name="lstm"),
            L.GRU(4, return_sequences=True, name="gru"),
            L.Conv1D(6, 3, groups=2, name="conv"),
            L.Dense(8, name="proj"),
            L.MultiHeadAttention(2, name="mha"),
            L.TransformerEncoderBlock(2, 16, name="block"),
        ]
    )
    ps = {k: v.shape for k, v in spec.param_specs().items()}
    assert ps["emb.embedding"] == (20, 8) and ps["pos.embedding"] == (6, 8)
    assert ps["lstm.kernel"] == (8, 20) and ps["lstm.recurrent_kernel"] == (5, 20)
    assert ps["lstm.bias"] == (20,) and "lstm.recurrent_bias" not in ps
    assert ps["gru.kernel"] == (5, 12) and ps["gru.recurrent_bias"] == (12,)
    assert ps["conv.kernel"] == (3, 2, 6)
    assert ps["mha.query_kernel"] == (8, 8) and ps["mha.output_bias"] == (8,)
    assert ps["block.mha.key_kernel"] == (8, 8) and ps["block.ffn1.kernel"] == (8, 16)
    assert ps["block.norm2.beta"] == (8,)
    assert spec.param_specs()["lstm.recurrent_kernel"].init == "orthogonal"


def test_sinusoidal_positions_have_no_parameters_and_the_standard_table() -> None:
    layer = L.PositionalEmbedding(16, mode="sinusoidal")
    assert layer.param_specs((4, 6)) == {}
    from polyframe.spec.embedding import sinusoidal_table

    table = sinusoidal_table(16, 6)
    assert table.shape == (16, 6)
    assert table[3, 0] == pytest.approx(np.sin(3.0)) and table[3, 1] == pytest.approx(np.cos(3.0))
    assert table[5, 4] == pytest.approx(np.sin(5.0 / 10000 ** (4 / 6)))


def test_orthogonal_initializer_is_orthogonal() -> None:
    spec = pf.Sequential([L.Input((3, 2)), L.LSTM(4)])
    r = pf.init_params(spec, 0)["lstm_0.recurrent_kernel"].astype(np.float64)  # [4, 16]
    np.testing.assert_allclose(r @ r.T, np.eye(4), atol=1e-6)


def test_multi_input_attention_shapes() -> None:
    """Graph nodes pass a tuple of shapes: [query, context(, key_mask)]."""
    mha = L.MultiHeadAttention(2, padding_idx=0)
    assert mha.output_shape(((4, 8), (6, 5), (6,))) == (4, 8)
    ps = mha.param_specs(((4, 8), (6, 5), (6,)))
    assert ps["key_kernel"].shape == (5, 8) and ps["query_kernel"].shape == (8, 8)
    block = L.TransformerEncoderBlock(2, 16, padding_idx=0)
    assert block.output_shape(((4, 8), (4,))) == (4, 8)


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        (
            [L.Input((12,), dtype="int32"), L.Embedding(50, 8), L.PositionalEmbedding(8)],
            r"layers\[2\] 'positional_embedding_0' \(PositionalEmbedding\): the sequence is 12 "
            r"steps long but max_length is 8; raise max_length to at least 12",
        ),
        (
            [L.Input((5, 3)), L.Conv1D(4, 7)],
            r"layers\[1\] 'conv1d_0' \(Conv1D\): kernel_size 7 .* longer than its input length 5",
        ),
        (
            [L.Input((5, 3)), L.Conv1D(4, 3, groups=2)],
            r"\(Conv1D\): input channels \(3\) must be divisible by groups \(2\)",
        ),
        (
            [L.Input((5, 6)), L.MultiHeadAttention(4, name="att")],
            r"layers\[1\] 'att' \(MultiHeadAttention\): the embedding size 6 must be divisible by "
            r"num_heads \(4\)",
        ),
        (
            [L.Input((5, 6)), L.MultiHeadAttention(2, padding_idx=0)],
            r"\(MultiHeadAttention\): padding_idx needs the context's token ids",
        ),
        (
            [L.Input((5, 6)), L.TransformerEncoderBlock(4, 8)],
            r"\(TransformerEncoderBlock\): the embedding size 6 must be divisible",
        ),
        ([L.Input((5, 6)), L.GroupNorm(4)], r"input channels \(6\) must be divisible by groups"),
        ([L.Input((4, 6)), L.Reshape((5, -1))], r"\(Reshape\): cannot reshape \(4, 6\)"),
        ([L.Input((4, 6)), L.Permute((1, 2, 3))], r"\(Permute\): dims \(1, 2, 3\) permute 3"),
        (
            [L.Input((4, 6)), L.LSTM(3, return_sequences=True), L.LSTM(2), L.LSTM(2)],
            r"layers\[3\] 'lstm_2' \(LSTM\): expects a \(T, features\) input, got shape \(2,\)",
        ),
        ([L.Input((4, 6)), L.Upsample2D(2)], r"\(Upsample2D\): expects a \(H, W, C\) input"),
        (
            [L.Input((4, 6, 2)), L.DepthwiseConv2D(5)],
            r"\(DepthwiseConv2D\): kernel_size \(5, 5\) .* larger than its input",
        ),
    ],
)
def test_invalid_specs_name_the_layer(layers: list, message: str) -> None:
    with pytest.raises(pf.SpecError, match=message):
        pf.Sequential(layers)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: L.PositionalEmbedding(8, mode="rotary"), "mode must be one of"),
        (lambda: L.Embedding(0, 4), "input_dim must be a positive int"),
        (lambda: L.LayerNorm(epsilon=0), "epsilon must be > 0"),
        (lambda: L.Reshape((-1, -1)), "at most one -1"),
        (lambda: L.Permute((0, 1)), r"permutation of 1..n"),
        (lambda: L.Upsample2D(2, interpolation="cubic"), "interpolation must be one of"),
        (lambda: L.MultiHeadAttention(2, padding_idx=-1), "padding_idx must be None or an int"),
        (lambda: L.TransformerEncoderBlock(2, 8, dropout=1.0), r"dropout must be in \[0, 1\)"),
        (lambda: L.LSTM(0), "units must be a positive int"),
        (lambda: L.MultiHeadAttention(2, dropout=1.0), r"dropout must be in \[0, 1\)"),
        (lambda: L.MultiHeadAttention(2, head_dim=0), "head_dim must be a positive int"),
        (lambda: L.Bidirectional(L.Dense(3)), "Bidirectional: wraps an LSTM or GRU"),
        (lambda: L.Bidirectional(L.LSTM(3), merge_mode="max"), "merge_mode must be one of"),
        (lambda: L.Conv1D(4, 3, strides=2, dilation=2), "together with dilation"),
    ],
)
def test_invalid_arguments(make, message: str) -> None:
    with pytest.raises(pf.SpecError, match=message):
        make()


def test_yaml_round_trip_of_every_catalogue_layer() -> None:
    spec = pf.Sequential(
        [
            L.Input((12,), dtype="int32"),
            L.Embedding(30, 8),
            L.PositionalEmbedding(16, mode="sinusoidal"),
            L.TransformerEncoderBlock(2, 16, norm_first=True, causal=True, activation="gelu"),
            L.MultiHeadAttention(2, causal=True),
            L.LayerNorm(epsilon=1e-6),
            L.Conv1D(8, 3, padding="same", groups=2),
            L.MaxPool1D(2),
            L.AvgPool1D(3, strides=1, padding="same"),
            L.GroupNorm(4),
            L.RMSNorm(),
            L.MultiHeadAttention(3, head_dim=5, dropout=0.25),
            L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode="mul"),
            L.Bidirectional(L.GRU(3, return_sequences=True)),
            L.GRU(4, return_sequences=True),
            L.Reshape((4, 3, 2)),
            L.Permute((2, 1, 3)),
            L.Upsample2D(2, interpolation="bilinear"),
            L.Conv2DTranspose(3, 3, strides=2, padding="same"),
            L.DepthwiseConv2D(3, depth_multiplier=2),
            L.GlobalMaxPool2D(),
            L.Identity(),
        ]
    )
    text = spec.to_yaml()
    assert "kind: TransformerEncoderBlock" in text
    assert "layer: {kind: LSTM, version: 1, units: 3, return_sequences: true}" in text
    back = pf.loads_spec(text)
    assert back == spec
    assert back.output_shape == spec.output_shape == (6,)
    assert pf.loads_spec(spec.to_json(), "json") == spec


def test_catalogue_and_reference_import_no_framework() -> None:
    """Building catalogue specs and running their numpy reference loads no framework."""
    code = (
        "import sys, numpy as np, polyframe as pf; L = pf.layers; "
        "s = pf.Sequential([L.Input((6,), dtype='int32'), L.Embedding(9, 4), "
        "L.PositionalEmbedding(6), L.TransformerEncoderBlock(2, 8), L.LSTM(3)]); "
        "y = pf.reference.forward(s, pf.init_params(s), np.zeros((2, 6), np.int32)); "
        "print(y.shape, [m for m in ('torch', 'tensorflow', 'keras', 'jax', 'flax') "
        "if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "(2, 3) []"


def test_attention_head_dim_and_bidirectional_parameter_layouts() -> None:
    """head_dim D: q/k/v ``[E, heads * D]``, output ``[heads * D, E]``; Bidirectional: the
    wrapped layer's parameters under ``forward.`` / ``backward.``."""
    spec = pf.Sequential(
        [
            L.Input((5, 8)),
            L.MultiHeadAttention(3, head_dim=5, name="mha"),
            L.Bidirectional(L.LSTM(4, return_sequences=True), name="bi"),
        ]
    )
    shapes = {k: v.shape for k, v in spec.param_specs().items()}
    assert shapes["mha.query_kernel"] == shapes["mha.value_kernel"] == (8, 15)
    assert shapes["mha.output_kernel"] == (15, 8)
    assert shapes["mha.query_bias"] == (15,) and shapes["mha.output_bias"] == (8,)
    assert [k for k in shapes if k.startswith("bi.")] == [
        f"bi.{d}.{p}"
        for d in ("forward", "backward")
        for p in ("kernel", "recurrent_kernel", "bias")
    ]
    assert shapes["bi.backward.kernel"] == (8, 16) and spec.output_shape == (5, 8)
    with pytest.raises(pf.SpecError, match="divisible by num_heads .* or set head_dim"):
        pf.Sequential([L.Input((5, 8)), L.MultiHeadAttention(3)])
