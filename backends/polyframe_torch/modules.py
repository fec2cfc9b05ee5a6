"""Small torch modules the built-in lowerings use: layout permutes, activations, and torch
layers extended with TF/XLA 'same' padding and a fused activation.

Each extends the torch class it computes with (``isinstance(m, torch.nn.Conv2d)`` holds), so
torch tools see ordinary torch layers with ordinary ``weight``/``bias`` parameters.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from polyframe.spec.activations import OPS_ACTIVATIONS
from polyframe_torch import bf16_grads, f16_grads

Pad4 = tuple[int, int, int, int]  # F.pad order: (left, right, top, bottom)


class ToChannelsFirst(nn.Module):
    """(N, ..., C) -> (N, C, ...): a view, no copy (NHWC memory is torch's channels_last)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.movedim(-1, 1)


class ToChannelsLast(nn.Module):
    """(N, C, ...) -> (N, ..., C): a view, no copy."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.movedim(1, -1)


def activation(name: str, channel_dim: int = -1) -> nn.Module:
    """The torch module of a canonical activation (softmax over ``channel_dim``)."""
    if name == "identity":
        return nn.Identity()
    if name == "relu":
        return nn.ReLU()
    if name == "gelu":
        return nn.GELU(approximate="none")
    if name == "gelu_tanh":
        return nn.GELU(approximate="tanh")
    if name == "tanh":
        return nn.Tanh()
    if name == "sigmoid":
        return nn.Sigmoid()
    if name == "softmax":
        return nn.Softmax(dim=channel_dim)
    if name == "log_softmax":
        return nn.LogSoftmax(dim=channel_dim)
    if name in OPS_ACTIVATIONS:
        return OpsActivation(name)
    raise ValueError(f"unknown activation {name!r}")


class OpsActivation(nn.Module):
    """An activation defined in ``pf.ops``, applied with torch's kernel for it."""

    def __init__(self, name: str) -> None:
        super().__init__()
        from polyframe_torch.ops import NAMESPACE

        self.name = name
        self.fn = getattr(NAMESPACE, name)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)

    def extra_repr(self) -> str:
        return self.name


class Linear(nn.Linear):
    """``nn.Linear`` followed by an activation (``act``, parameter-free)."""

    float32_weight_grads = True  # under bfloat16 autocast (bf16_grads.linear)

    def __init__(self, in_features: int, out_features: int, bias: bool, act: str) -> None:
        super().__init__(in_features, out_features, bias=bias)
        self.act = activation(act, -1)
        self.identity = act == "identity"  # no activation module call (~1 us per step each)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = bf16_grads.linear(x, self.weight, self.bias)
        return y if self.identity else self.act(y)


class Conv2d(nn.Conv2d):
    """``nn.Conv2d`` (NCHW) with optional explicit asymmetric zero padding and an activation."""

    def __init__(self, *args, pad: Pad4 | None = None, act: str = "identity", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.pad = pad
        self.act = activation(act, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pad is not None:
            x = F.pad(x, self.pad)
        if f16_grads.active(x):  # float16: gradients summed in float32 (f16_grads)
            return self.act(f16_grads.conv(self._conv_forward, x, self.weight, self.bias))
        return self.act(self._conv_forward(x, self.weight, self.bias))

    def extra_repr(self) -> str:
        return super().extra_repr() + (f", pad={self.pad}" if self.pad else "")


class MaxPool2d(nn.MaxPool2d):
    """``nn.MaxPool2d`` (NCHW) with optional explicit asymmetric -inf padding."""

    def __init__(self, *args, pad: Pad4 | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.pad = pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pad is not None:
            x = F.pad(x, self.pad, value=float("-inf"))
        return super().forward(x)

    def extra_repr(self) -> str:
        return super().extra_repr() + (f", pad={self.pad}" if self.pad else "")


class AvgPool2d(nn.AvgPool2d):
    """``nn.AvgPool2d`` (NCHW). With ``count`` (an (H', W') map of real cells per window) the
    input is zero-padded by ``pad`` and window sums are divided by ``count``: padded cells are
    left out of the mean (TF rule) even where the padding is asymmetric."""

    def __init__(
        self, *args, pad: Pad4 | None = None, count: torch.Tensor | None = None, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.pad = pad
        self.register_buffer("count", count, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.count is None:
            return super().forward(x)
        x = F.pad(x, self.pad) if self.pad is not None else x
        total = F.avg_pool2d(x, self.kernel_size, self.stride, 0, divisor_override=1)
        return total / self.count

    def extra_repr(self) -> str:
        return super().extra_repr() + (f", pad={self.pad}" if self.pad else "")


class GlobalAvgPool2d(nn.Module):
    """Mean over H and W of an NCHW batch: (N, C, H, W) -> (N, C)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3))
