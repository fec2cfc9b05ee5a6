"""Layer and model cases shared by the conformance tests: (id, spec, input batch shape)."""

from __future__ import annotations

import polyframe as pf

L = pf.layers


def _seq(input_shape: tuple[int, ...], *layers: pf.layers.Layer) -> pf.Sequential:
    return pf.Sequential([L.Input(input_shape), *layers])


#: One case per layer configuration the conformance suite checks against numpy.
LAYER_CASES: dict[str, tuple[pf.Sequential, tuple[int, ...]]] = {
    "dense": (_seq((7,), L.Dense(5)), (4, 7)),
    "dense_no_bias": (_seq((7,), L.Dense(5, use_bias=False)), (4, 7)),
    "dense_on_sequence": (_seq((3, 6), L.Dense(4)), (2, 3, 6)),
    **{
        f"activation_{a}": (_seq((9,), L.Dense(6, activation=a)), (5, 9))
        for a in ("identity", "relu", "gelu", "gelu_tanh", "tanh", "sigmoid", "softmax")
    },
    "activation_layer": (_seq((4, 4, 3), L.Activation("gelu")), (2, 4, 4, 3)),
    "flatten": (_seq((3, 4, 2), L.Flatten(), L.Dense(3)), (2, 3, 4, 2)),
    "dropout_inference": (_seq((6,), L.Dropout(0.5), L.Dense(2)), (3, 6)),
    "conv_valid": (_seq((9, 8, 3), L.Conv2D(4, 3)), (2, 9, 8, 3)),
    "conv_same": (_seq((8, 8, 3), L.Conv2D(4, 3, padding="same", activation="relu")), (2, 8, 8, 3)),
    "conv_same_stride2_even": (
        _seq((8, 8, 3), L.Conv2D(4, 3, strides=2, padding="same")),
        (2, 8, 8, 3),
    ),
    "conv_same_stride2_odd": (
        _seq((9, 7, 2), L.Conv2D(3, (3, 2), strides=2, padding="same")),
        (2, 9, 7, 2),
    ),
    "conv_valid_stride2": (_seq((9, 9, 2), L.Conv2D(3, 3, strides=2)), (2, 9, 9, 2)),
    "conv_same_kernel4_stride3": (
        _seq((10, 11, 2), L.Conv2D(3, 4, strides=3, padding="same")),
        (2, 10, 11, 2),
    ),
    "conv_dilation2": (_seq((10, 10, 2), L.Conv2D(3, 3, dilation=2)), (2, 10, 10, 2)),
    "conv_dilation2_same": (
        _seq((9, 9, 2), L.Conv2D(3, 3, dilation=2, padding="same")),
        (2, 9, 9, 2),
    ),
    "conv_groups2": (_seq((6, 6, 4), L.Conv2D(6, 3, groups=2, padding="same")), (2, 6, 6, 4)),
    "conv_depthwise": (_seq((6, 6, 4), L.Conv2D(4, 3, groups=4)), (2, 6, 6, 4)),
    "conv_no_bias": (_seq((6, 6, 2), L.Conv2D(3, 1, use_bias=False)), (2, 6, 6, 2)),
    "maxpool_valid": (_seq((8, 8, 3), L.MaxPool2D(2)), (2, 8, 8, 3)),
    "maxpool_same_odd": (_seq((7, 9, 3), L.MaxPool2D(2, padding="same")), (2, 7, 9, 3)),
    "maxpool_3_stride2_same": (
        _seq((8, 8, 2), L.MaxPool2D(3, strides=2, padding="same")),
        (2, 8, 8, 2),
    ),
    "maxpool_stride1": (_seq((6, 6, 2), L.MaxPool2D(3, strides=1)), (2, 6, 6, 2)),
    "avgpool_valid": (_seq((8, 8, 3), L.AvgPool2D(2)), (2, 8, 8, 3)),
    "avgpool_same_odd": (_seq((7, 9, 3), L.AvgPool2D(2, padding="same")), (2, 7, 9, 3)),
    "avgpool_3_stride1_same": (
        _seq((6, 6, 2), L.AvgPool2D(3, strides=1, padding="same")),
        (2, 6, 6, 2),
    ),
    "global_avgpool": (_seq((5, 6, 3), L.GlobalAvgPool2D()), (2, 5, 6, 3)),
    "batchnorm_image": (_seq((4, 4, 3), L.BatchNorm()), (8, 4, 4, 3)),
    "batchnorm_dense": (_seq((5,), L.BatchNorm(momentum=0.8, epsilon=1e-3)), (16, 5)),
    "batchnorm_no_affine": (_seq((5,), L.BatchNorm(center=False, scale=False)), (16, 5)),
    "batchnorm_image_no_affine": (
        _seq((4, 4, 3), L.BatchNorm(momentum=0.8, center=False, scale=False)),
        (8, 4, 4, 3),
    ),
}

#: Whole models: every layer kind in one network.
MODEL_CASES: dict[str, tuple[pf.Sequential, tuple[int, ...]]] = {
    "digits_mlp": (pf.models.mlp(), (16, 8, 8, 1)),
    "cnn_bn": (
        _seq(
            (12, 12, 3),
            L.Conv2D(8, 3, padding="same"),
            L.BatchNorm(),
            L.Activation("relu"),
            L.MaxPool2D(2),
            L.Conv2D(8, 3, strides=2, padding="same", activation="gelu"),
            L.AvgPool2D(2, padding="same"),
            L.Flatten(),
            L.Dropout(0.2),
            L.Dense(16, activation="tanh"),
            L.Dense(10),
        ),
        (4, 12, 12, 3),
    ),
    "cnn_gap": (
        _seq((10, 10, 1), L.Conv2D(6, 3, activation="relu"), L.GlobalAvgPool2D(), L.Dense(3)),
        (4, 10, 10, 1),
    ),
    "cifar_cnn": (pf.models.cifar_cnn(), (2, 32, 32, 3)),
}
