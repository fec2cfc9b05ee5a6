"""The suites' models in plain torch.nn (NCHW, as torch users write them), loaded with
polyframe's canonical initial weights converted to torch's layout here."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def _linear(layer: nn.Linear, kernel: np.ndarray, bias: np.ndarray) -> None:
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(kernel.T)))  # [in,out]->[out,in]
        layer.bias.copy_(torch.from_numpy(bias))


def _conv(layer: nn.Conv2d, kernel: np.ndarray, bias: np.ndarray) -> None:
    with torch.no_grad():  # [kh, kw, in, out] -> [out, in, kh, kw]
        layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))))
        layer.bias.copy_(torch.from_numpy(bias))


def mlp(p: dict[str, np.ndarray]) -> nn.Module:
    """784-512-512-10 with ReLU."""
    model = nn.Sequential(
        nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)
    )
    for i, layer in enumerate((model[0], model[2], model[4])):
        _linear(layer, p[f"dense_{i}.kernel"], p[f"dense_{i}.bias"])
    return model


def cnn(p: dict[str, np.ndarray]) -> nn.Module:
    """conv32-pool-conv64-pool-fc120-fc84-fc10 on NCHW (3, 32, 32) images."""
    model = nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 8 * 8, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )  # fmt: skip
    _conv(model[0], p["conv2d_0.kernel"], p["conv2d_0.bias"])
    _conv(model[3], p["conv2d_1.kernel"], p["conv2d_1.bias"])
    # canonical rows are in (h, w, c) order; torch flattens NCHW as (c, h, w)
    k0 = p["dense_0.kernel"].reshape(8, 8, 64, 120).transpose(2, 0, 1, 3).reshape(4096, 120)
    _linear(model[7], k0, p["dense_0.bias"])
    _linear(model[9], p["dense_1.kernel"], p["dense_1.bias"])
    _linear(model[11], p["dense_2.kernel"], p["dense_2.bias"])
    return model


MODELS = {"mlp": mlp, "cnn": cnn}
