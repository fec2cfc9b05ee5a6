"""Model zoo: functions that return specs. Each spec knows its ``input_shape``/``input_dtype``."""

from __future__ import annotations

from polyframe import layers as L
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


#: Zoo models by name, for the CLI's ``--model``.
ZOO = {"mlp": mlp, "cifar_cnn": cifar_cnn, "resnet20": resnet20}
