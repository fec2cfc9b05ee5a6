"""The suites' models in Keras 3 layers (any Keras backend), loaded with polyframe's canonical
initial weights (Keras' layouts are the canonical ones; attention kernels are reshapes)."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np


def mlp(p: dict[str, np.ndarray]) -> keras.Model:
    """Dense layers with ReLU between them, widths from the kernels (784-512-512-10 for the
    mlp suite, smaller for the overhead curve)."""
    names = [f"dense_{i}" for i in range(len(p)) if f"dense_{i}.kernel" in p]
    layers: list[Any] = [keras.Input((p[f"{names[0]}.kernel"].shape[0],))]
    for i, name in enumerate(names):
        relu = "relu" if i < len(names) - 1 else None
        layers.append(keras.layers.Dense(p[f"{name}.kernel"].shape[1], activation=relu))
    model = keras.Sequential(layers)
    model.set_weights([p[f"{name}.{k}"] for name in names for k in ("kernel", "bias")])
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


def _load(model: keras.Model, p: dict[str, np.ndarray], parts: dict[str, tuple[str, ...]]) -> None:
    """Each named layer's weights, in Keras' order, from ``p['<layer>.<part>']``."""
    for name, names in parts.items():
        model.get_layer(name).set_weights([p[f"{name}.{k}"] for k in names])


_BN = ("gamma", "beta", "moving_mean", "moving_var")


def resnet(p: dict[str, np.ndarray]) -> keras.Model:
    """CIFAR ResNet-20 on NHWC (32, 32, 3) images: conv-BN-relu stem, three stages of three
    basic blocks (16, 32, 64 filters; stages 2 and 3 start with stride 2 and a 1x1 conv + BN
    projection shortcut), global average pooling, Dense logits. Convs have no bias; batch norm
    runs with polyframe's ``momentum=0.9, epsilon=1e-5`` (Keras defaults: 0.99, 1e-3)."""
    layers = keras.layers
    parts: dict[str, tuple[str, ...]] = {}

    def conv_bn(
        x: keras.KerasTensor, filters: int, kernel: int, strides: int, name: str
    ) -> keras.KerasTensor:
        parts[f"{name}_conv"], parts[f"{name}_bn"] = ("kernel",), _BN
        h = layers.Conv2D(
            filters, kernel, strides, padding="same", use_bias=False, name=f"{name}_conv"
        )(x)
        return layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=f"{name}_bn")(h)

    image = keras.Input((32, 32, 3))
    h = layers.ReLU()(conv_bn(image, 16, 3, 1, "stem"))
    for stage, filters in enumerate((16, 32, 64), start=1):
        for block in range(1, 4):
            name = f"stage{stage}_block{block}"
            strides = 2 if stage > 1 and block == 1 else 1
            shortcut = h
            if strides != 1 or h.shape[-1] != filters:
                shortcut = conv_bn(h, filters, 1, strides, f"{name}_proj")
            r = layers.ReLU()(conv_bn(h, filters, 3, strides, f"{name}_a"))
            r = conv_bn(r, filters, 3, 1, f"{name}_b")
            h = layers.ReLU()(layers.Add()([r, shortcut]))
    h = layers.GlobalAveragePooling2D()(h)
    logits = layers.Dense(10, name="logits")(h)
    parts["logits"] = ("kernel", "bias")
    model = keras.Model(image, logits, name="resnet20")
    _load(model, p, parts)
    return model


def lstm(p: dict[str, np.ndarray]) -> keras.Model:
    """LSTM(128) over (50, 40) frames, its last state into Dense(10). Keras' LSTM weights
    (gates i, f, c, o; one bias) are the canonical ones."""
    model = keras.Sequential(
        [keras.Input((50, 40)), keras.layers.LSTM(128), keras.layers.Dense(10)]
    )
    model.set_weights(
        [p[f"lstm_0.{k}"] for k in ("kernel", "recurrent_kernel", "bias")]
        + [p[f"dense_0.{k}"] for k in ("kernel", "bias")]
    )
    return model


class TokenAndPositionEmbedding(keras.layers.Layer):
    """Token embedding plus a learned position embedding, as in Keras' "text classification
    with Transformer" example."""

    def __init__(self, maxlen: int, vocab_size: int, embed_dim: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.token_emb = keras.layers.Embedding(vocab_size, embed_dim, name="tokens")
        self.pos_emb = keras.layers.Embedding(maxlen, embed_dim, name="positions")

    def call(self, x: Any) -> Any:
        positions = keras.ops.arange(0, keras.ops.shape(x)[-1], 1)
        return self.token_emb(x) + self.pos_emb(positions)


def transformer(p: dict[str, np.ndarray]) -> keras.Model:
    """Token ids (64,) in [0, 1000) -> token + learned position embeddings (dim 128), two
    pre-norm encoder blocks (4-head self-attention, then Dense 256 exact-GELU -> Dense 128,
    each added to its input; no mask, no dropout), a final LayerNorm, mean over time, Dense(10).
    LayerNorm ``epsilon=1e-5`` (Keras default 1e-3); the canonical ``[E, E]`` attention
    kernels are reshapes of Keras' ``[E, heads, head_dim]`` / ``[heads, head_dim, E]``.

    On the TensorFlow backend the embeddings' gradients are ``IndexedSlices`` and Keras' Adam
    updates only the rows (and moments) a batch touches, so from the second step training
    departs from the canonical dense Adam (that Keras on torch and jax run); the first step
    matches."""
    layers = keras.layers
    seq_len, dim, heads, ff_dim = 64, 128, 4, 256
    head_dim = dim // heads

    ids = keras.Input((seq_len,), dtype="int32")
    embed = TokenAndPositionEmbedding(seq_len, 1000, dim)
    h = embed(ids)
    blocks = []
    for _ in range(2):
        norm1 = layers.LayerNormalization(epsilon=1e-5)
        mha = layers.MultiHeadAttention(heads, head_dim)
        norm2 = layers.LayerNormalization(epsilon=1e-5)
        ffn1 = layers.Dense(ff_dim, activation="gelu")  # keras' gelu: exact (erf) by default
        ffn2 = layers.Dense(dim)
        a = norm1(h)
        h = layers.Add()([h, mha(a, a)])
        h = layers.Add()([h, ffn2(ffn1(norm2(h)))])
        blocks.append((norm1, mha, norm2, ffn1, ffn2))
    final_norm = layers.LayerNormalization(epsilon=1e-5)
    head = layers.Dense(10)
    logits = head(layers.GlobalAveragePooling1D()(final_norm(h)))
    model = keras.Model(ids, logits, name="transformer_classifier")

    embed.token_emb.set_weights([p["tokens.embedding"]])
    embed.pos_emb.set_weights([p["positions.embedding"]])
    for i, (norm1, mha, norm2, ffn1, ffn2) in enumerate(blocks, start=1):
        b = f"block{i}"
        weights = []
        for proj in ("query", "key", "value"):
            weights.append(p[f"{b}.mha.{proj}_kernel"].reshape(dim, heads, head_dim))
            weights.append(p[f"{b}.mha.{proj}_bias"].reshape(heads, head_dim))
        weights.append(p[f"{b}.mha.output_kernel"].reshape(heads, head_dim, dim))
        weights.append(p[f"{b}.mha.output_bias"])
        mha.set_weights(weights)
        for layer, name in ((norm1, "norm1"), (norm2, "norm2")):
            layer.set_weights([p[f"{b}.{name}.gamma"], p[f"{b}.{name}.beta"]])
        for layer, name in ((ffn1, "ffn1"), (ffn2, "ffn2")):
            layer.set_weights([p[f"{b}.{name}.kernel"], p[f"{b}.{name}.bias"]])
    final_norm.set_weights([p["final_norm.gamma"], p["final_norm.beta"]])
    head.set_weights([p["logits.kernel"], p["logits.bias"]])
    return model


MODELS = {"mlp": mlp, "cnn": cnn, "resnet": resnet, "lstm": lstm, "transformer": transformer}
