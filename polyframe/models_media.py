"""Zoo models for text and speech: a token-id transformer classifier with a padding mask, and
a raw-audio classifier (log-mel layer + small 1-D CNN). Registered in ``polyframe.models.ZOO``."""

from __future__ import annotations

from polyframe import layers as L
from polyframe.spec.graph import Graph
from polyframe.spec.sequential import Sequential


def encoder_blocks(
    depth: int,
    heads: int,
    ff_dim: int,
    norm_first: bool,
    dropout: float,
    padding_idx: int | None = None,
) -> list[L.TransformerEncoderBlock]:
    """``depth`` gelu Transformer encoder blocks named ``block1``... (the zoo's text models)."""
    return [
        L.TransformerEncoderBlock(
            heads,
            ff_dim,
            norm_first=norm_first,
            activation="gelu",
            padding_idx=padding_idx,
            dropout=dropout,
            name=f"block{i + 1}",
        )
        for i in range(depth)
    ]


def text_classifier(
    seq_len: int = 64,
    vocab_size: int = 2000,
    classes: int = 2,
    dim: int = 32,
    heads: int = 2,
    ff_dim: int = 64,
    depth: int = 1,
    dropout: float = 0.0,
) -> Graph:
    """Token ids ``(seq_len,)`` int32 (0 = padding, as ``pf.data.Tokenizer`` writes them) ->
    class logits: Embedding + learned positions, ``depth`` pre-norm Transformer encoder blocks
    that do not attend to padding (``padding_idx=0`` on the ids), LayerNorm, mean over time,
    Dense logits."""
    ids = L.Input((seq_len,), dtype="int32", name="ids")
    h = L.Embedding(vocab_size, dim, name="tokens")(ids)
    h = L.PositionalEmbedding(seq_len, name="positions")(h)
    for block in encoder_blocks(depth, heads, ff_dim, True, dropout, padding_idx=0):
        h = block([h, ids])
    h = L.LayerNorm(name="final_norm")(h)
    h = L.GlobalAvgPool1D(name="pool")(h)
    return Graph(inputs=ids, outputs=L.Dense(classes, name="logits")(h), name="text_classifier")


def audio_classifier(
    samples: int = 8000,
    sample_rate: int = 8000,
    classes: int = 10,
    num_mels: int = 40,
    frame_length: int = 256,
    frame_step: int = 128,
    width: int = 32,
    log_offset: float = 0.1,
) -> Sequential:
    """Raw audio ``(samples,)`` float32 -> class logits: log-mel spectrogram (a layer, so the
    exported model takes raw audio), BatchNorm over mel bands, three Conv1D-BatchNorm-relu
    blocks over time (the first two max-pooled), mean over time, Dense logits. ``log_offset``
    floors the log: bins far below it carry float32 FFT round-off that differs between
    frameworks, so a floor well above that noise keeps the backends' features (and training
    runs) the same."""
    layers: list[L.Layer] = [
        L.Input((samples,), name="audio"),
        L.MelSpectrogram(
            sample_rate=sample_rate,
            frame_length=frame_length,
            frame_step=frame_step,
            num_mels=num_mels,
            fmin=20.0,
            log_offset=log_offset,
            name="log_mel",
        ),
        L.BatchNorm(name="mel_norm"),
    ]
    for i, filters in enumerate((width, 2 * width, 2 * width), start=1):
        layers += [
            L.Conv1D(filters, 3, padding="same", use_bias=False, name=f"conv{i}"),
            L.BatchNorm(name=f"bn{i}"),
            L.Activation("relu", name=f"relu{i}"),
        ]
        if i < 3:
            layers.append(L.MaxPool1D(2, name=f"pool{i}"))
    layers += [L.GlobalAvgPool1D(name="gap"), L.Dense(classes, name="logits")]
    return Sequential(layers, name="audio_classifier")
