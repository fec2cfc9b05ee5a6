"""A small PyTorch CNN written the usual way (NCHW, ``torch.flatten`` after the convolutions,
a residual addition): what ``polyframe import-native docs/examples/native_cnn.py:make`` and
``polyframe diff docs/examples/native_cnn.py:make`` read. ``make()`` returns the module and an
example batch in torch's layout."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class SmallCNN(nn.Module):
    """conv -> residual conv -> max pool -> flatten -> Linear -> Linear."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(8 * 4 * 4, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.conv1(x))
        h = self.pool(F.relu(self.conv2(h) + h))
        return self.fc2(F.relu(self.fc1(torch.flatten(h, 1))))


def make() -> tuple[nn.Module, torch.Tensor]:
    """The module (seeded weights) and an example batch of 4 digits-sized images, NCHW."""
    torch.manual_seed(0)
    return SmallCNN().eval(), torch.randn(4, 1, 8, 8)
