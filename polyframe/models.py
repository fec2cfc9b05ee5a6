"""Model zoo: functions that return specs. Each spec knows its ``input_shape``/``input_dtype``."""

from __future__ import annotations

from polyframe import layers as L
from polyframe.errors import SpecError
from polyframe.models_media import audio_classifier, encoder_blocks, text_classifier
from polyframe.spec.graph import Graph
from polyframe.spec.sequential import Sequential
from polyframe.spec.symbolic import Source


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


def _conv_bn(x: Source, filters: int, kernel: int, strides: int, name: str) -> Source:
    """Conv2D (no bias: the batch norm after it has one) -> BatchNorm."""
    h = L.Conv2D(
        filters,
        kernel,
        strides=strides,
        padding="same",
        use_bias=False,
        kernel_init="he_normal",
        name=f"{name}_conv",
    )(x)
    return L.BatchNorm(name=f"{name}_bn")(h)


def _basic_block(x: Source, filters: int, strides: int, name: str) -> Source:
    """conv3x3-BN-relu-conv3x3-BN, plus the shortcut, then relu. The shortcut is the identity,
    or a strided 1x1 conv + BN where the shape changes (projection, option B)."""
    h = L.Activation("relu", name=f"{name}_relu1")(_conv_bn(x, filters, 3, strides, f"{name}_a"))
    h = _conv_bn(h, filters, 3, 1, f"{name}_b")
    shortcut = x
    if strides != 1 or x.shape[-1] != filters:
        shortcut = _conv_bn(x, filters, 1, strides, f"{name}_proj")
    return L.Activation("relu", name=f"{name}_relu2")(L.Add(name=f"{name}_add")([h, shortcut]))


def resnet20(
    input_shape: tuple[int, int, int] = (32, 32, 3), classes: int = 10, width: int = 16
) -> Graph:
    """CIFAR ResNet-20 (He et al. 2016, section 4.2): a 3x3 conv, then three stages of three
    basic blocks with ``width``, 2x and 4x filters (the second and third start with stride 2),
    global average pooling and Dense logits; batch norm after every conv. About 0.27 M
    parameters at the default width."""
    x = L.Input(tuple(input_shape), name="image")
    h = L.Activation("relu", name="stem_relu")(_conv_bn(x, width, 3, 1, "stem"))
    for stage, filters in enumerate((width, 2 * width, 4 * width), start=1):
        for block in range(1, 4):
            strides = 2 if stage > 1 and block == 1 else 1
            h = _basic_block(h, filters, strides, f"stage{stage}_block{block}")
    h = L.GlobalAvgPool2D(name="pool")(h)
    return Graph(inputs=x, outputs=L.Dense(classes, name="logits")(h), name="resnet20")


def transformer_classifier(
    seq_len: int = 64,
    vocab_size: int = 10_000,
    classes: int = 2,
    dim: int = 64,
    heads: int = 4,
    ff_dim: int = 128,
    depth: int = 2,
    norm: str = "pre",
    positions: str = "learned",
    dropout: float = 0.0,
) -> Sequential:
    """Token ids ``(seq_len,)`` int32 -> class logits: Embedding + positional embedding
    (``positions`` 'learned' or 'sinusoidal'), ``depth`` Transformer encoder blocks (``norm``
    'pre' or 'post'), a final LayerNorm for pre-norm, mean over time, Dense logits."""
    if norm not in ("pre", "post"):
        raise SpecError(f"transformer_classifier: norm must be 'pre' or 'post', got {norm!r}")
    layers: list[L.Layer] = [
        L.Input((seq_len,), dtype="int32"),
        L.Embedding(vocab_size, dim, name="tokens"),
        L.PositionalEmbedding(seq_len, mode=positions, name="positions"),
    ]
    layers += encoder_blocks(depth, heads, ff_dim, norm == "pre", dropout)
    if norm == "pre":
        layers.append(L.LayerNorm(name="final_norm"))
    layers += [L.GlobalAvgPool1D(name="pool"), L.Dense(classes, name="logits")]
    return Sequential(layers, name="transformer_classifier")


def rnn_classifier(
    seq_len: int = 64,
    vocab_size: int = 10_000,
    classes: int = 2,
    dim: int = 64,
    units: int = 64,
    cell: str = "lstm",
) -> Sequential:
    """Token ids ``(seq_len,)`` int32 -> class logits: Embedding, one LSTM or GRU (``cell``)
    whose last state feeds a Dense layer."""
    kinds = {"lstm": L.LSTM, "gru": L.GRU}
    if cell not in kinds:
        raise SpecError(f"rnn_classifier: cell must be 'lstm' or 'gru', got {cell!r}")
    return Sequential(
        [
            L.Input((seq_len,), dtype="int32"),
            L.Embedding(vocab_size, dim, name="tokens"),
            kinds[cell](units, name=cell),
            L.Dense(classes, name="logits"),
        ],
        name=f"{cell}_classifier",
    )


def audio_cnn(
    input_shape: tuple[int, int] = (98, 40), classes: int = 12, width: int = 64
) -> Sequential:
    """Keyword spotting over ``(T, features)`` frames (default: 1 s of 10 ms log-mel frames,
    40 bands; 12 classes as in Speech Commands): three Conv1D-BatchNorm-relu blocks (the first
    two max-pooled), mean over time, Dense logits."""
    layers: list[L.Layer] = [L.Input(tuple(input_shape))]
    for i, filters in enumerate((width, 2 * width, 2 * width), start=1):
        layers += [
            L.Conv1D(filters, 3, padding="same", use_bias=False, name=f"conv{i}"),
            L.BatchNorm(name=f"bn{i}"),
            L.Activation("relu", name=f"relu{i}"),
        ]
        if i < 3:
            layers.append(L.MaxPool1D(2, name=f"pool{i}"))
    layers += [L.GlobalAvgPool1D(name="gap"), L.Dense(classes, name="logits")]
    return Sequential(layers, name="audio_cnn")


#: Zoo models by name, for the CLI's ``--model``.
ZOO = {
    "mlp": mlp,
    "cifar_cnn": cifar_cnn,
    "resnet20": resnet20,
    "transformer_classifier": transformer_classifier,
    "rnn_classifier": rnn_classifier,
    "audio_cnn": audio_cnn,
    "text_classifier": text_classifier,
    "audio_classifier": audio_classifier,
}
