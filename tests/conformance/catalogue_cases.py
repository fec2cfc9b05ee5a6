"""Tiny single-layer cases of the layer catalogue: (spec, batch shape). Small enough that the
float64 finite-difference gradients of the numpy reference are cheap."""

from __future__ import annotations

import numpy as np

import polyframe as pf

L = pf.layers
VOCAB = 11


def _seq(input_shape: tuple[int, ...], *layers: pf.layers.Layer, dtype: str = "float32"):
    return pf.Sequential([L.Input(input_shape, dtype=dtype), *layers])


CATALOGUE_CASES: dict[str, tuple[pf.Sequential, tuple[int, ...]]] = {
    "conv1d_valid": (_seq((7, 3), L.Conv1D(4, 3)), (2, 7, 3)),
    "conv1d_same_stride2": (
        _seq((8, 3), L.Conv1D(4, 3, strides=2, padding="same", activation="tanh")),
        (2, 8, 3),
    ),
    "conv1d_dilation_groups": (
        _seq((7, 4), L.Conv1D(4, 3, dilation=2, groups=2, padding="same")),
        (2, 7, 4),
    ),
    "conv2d_groups": (
        _seq((5, 5, 4), L.Conv2D(6, 3, groups=2, strides=2, padding="same")),
        (2, 5, 5, 4),
    ),
    "depthwise_same": (
        _seq((5, 5, 3), L.DepthwiseConv2D(3, depth_multiplier=2, padding="same")),
        (2, 5, 5, 3),
    ),
    "depthwise_stride2": (_seq((6, 5, 2), L.DepthwiseConv2D((3, 2), strides=2)), (2, 6, 5, 2)),
    "conv_transpose_valid": (_seq((3, 4, 2), L.Conv2DTranspose(3, 3, strides=2)), (2, 3, 4, 2)),
    "conv_transpose_same": (
        _seq((3, 4, 2), L.Conv2DTranspose(3, 3, strides=2, padding="same")),
        (2, 3, 4, 2),
    ),
    "conv_transpose_same_kernel_lt_stride": (
        _seq(
            (3, 3, 2),
            L.Conv2DTranspose(2, (2, 3), strides=(3, 2), padding="same", activation="tanh"),
        ),
        (2, 3, 3, 2),
    ),
    "maxpool1d_valid": (_seq((8, 3), L.MaxPool1D(2)), (2, 8, 3)),
    "maxpool1d_same_odd": (_seq((7, 3), L.MaxPool1D(2, padding="same")), (2, 7, 3)),
    "avgpool1d_valid": (_seq((8, 3), L.AvgPool1D(3, strides=2)), (2, 8, 3)),
    "avgpool1d_same": (_seq((8, 3), L.AvgPool1D(3, strides=2, padding="same")), (2, 8, 3)),
    "global_avgpool1d": (_seq((6, 3), L.GlobalAvgPool1D()), (2, 6, 3)),
    "global_maxpool1d": (_seq((6, 3), L.GlobalMaxPool1D()), (2, 6, 3)),
    "global_maxpool2d": (_seq((4, 3, 3), L.GlobalMaxPool2D()), (2, 4, 3, 3)),
    "layer_norm": (_seq((4, 6), L.LayerNorm()), (2, 4, 6)),
    "layer_norm_eps_no_center": (_seq((5,), L.LayerNorm(epsilon=1e-3, center=False)), (3, 5)),
    "group_norm_sequence": (_seq((4, 6), L.GroupNorm(3)), (2, 4, 6)),
    "group_norm_image": (_seq((3, 3, 4), L.GroupNorm(2, scale=False)), (2, 3, 3, 4)),
    "group_norm_vector": (_seq((6,), L.GroupNorm(2)), (3, 6)),
    "rms_norm": (_seq((4, 6), L.RMSNorm()), (2, 4, 6)),
    "rms_norm_no_scale": (_seq((5,), L.RMSNorm(epsilon=1e-5, scale=False)), (3, 5)),
    "embedding": (_seq((5,), L.Embedding(VOCAB, 4), dtype="int32"), (2, 5)),
    "positional_learned": (_seq((5, 4), L.PositionalEmbedding(7)), (2, 5, 4)),
    "positional_sinusoidal_odd_dim": (
        _seq((6, 5), L.PositionalEmbedding(9, mode="sinusoidal")),
        (2, 6, 5),
    ),
    "tokens_embedding_positions": (
        _seq(
            (5,),
            L.Embedding(VOCAB, 4),
            L.PositionalEmbedding(5, mode="sinusoidal"),
            dtype="int32",
        ),
        (2, 5),
    ),
    "lstm_last": (_seq((4, 3), L.LSTM(3)), (2, 4, 3)),
    "lstm_sequences": (_seq((4, 3), L.LSTM(3, return_sequences=True)), (2, 4, 3)),
    "gru_last": (_seq((4, 3), L.GRU(3)), (2, 4, 3)),
    "gru_sequences": (_seq((4, 3), L.GRU(3, return_sequences=True)), (2, 4, 3)),
    "bidirectional_lstm_last": (_seq((4, 3), L.Bidirectional(L.LSTM(3))), (2, 4, 3)),
    "bidirectional_gru_sequences_ave": (
        _seq((4, 3), L.Bidirectional(L.GRU(3, return_sequences=True), merge_mode="ave")),
        (2, 4, 3),
    ),
    "bidirectional_lstm_sequences_mul": (
        _seq((4, 3), L.Bidirectional(L.LSTM(2, return_sequences=True), merge_mode="mul")),
        (2, 4, 3),
    ),
    "mha_self": (_seq((4, 6), L.MultiHeadAttention(2)), (2, 4, 6)),
    "mha_head_dim_dropout": (
        _seq((4, 6), L.MultiHeadAttention(4, head_dim=3, causal=True, dropout=0.3)),
        (2, 4, 6),
    ),
    "mha_causal": (_seq((4, 6), L.MultiHeadAttention(3, causal=True)), (2, 4, 6)),
    "mha_no_bias": (_seq((4, 6), L.MultiHeadAttention(2, use_bias=False)), (2, 4, 6)),
    "encoder_post_norm": (_seq((4, 6), L.TransformerEncoderBlock(2, 8)), (2, 4, 6)),
    "encoder_pre_norm_causal_gelu": (
        _seq(
            (4, 6),
            L.TransformerEncoderBlock(2, 8, norm_first=True, causal=True, activation="gelu"),
        ),
        (2, 4, 6),
    ),
    "reshape": (_seq((4, 6), L.Reshape((2, -1, 3))), (2, 4, 6)),
    "permute": (_seq((2, 3, 4), L.Permute((3, 1, 2))), (2, 2, 3, 4)),
    "identity": (_seq((5,), L.Identity()), (3, 5)),
    "upsample_nearest": (_seq((2, 3, 2), L.Upsample2D((2, 3))), (2, 2, 3, 2)),
    "upsample_bilinear": (_seq((3, 2, 2), L.Upsample2D(2, interpolation="bilinear")), (2, 3, 2, 2)),
}


def case_input(spec: pf.Sequential, shape: tuple[int, ...], seed: int = 1) -> np.ndarray:
    """A deterministic input batch: token ids for integer models, N(0, 1) floats otherwise."""
    rng = np.random.default_rng(seed)
    if spec.input_dtype.startswith("int"):
        return rng.integers(0, VOCAB, shape).astype(spec.input_dtype)
    return rng.normal(size=shape).astype(np.float32)
