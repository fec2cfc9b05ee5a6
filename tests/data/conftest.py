"""Fixtures of the data tests: small MNIST files in the IDX format torchvision reads."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

#: The four files torchvision.datasets.MNIST reads from ``root/MNIST/raw``.
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def write_idx(path: Path, array: np.ndarray) -> None:
    """An IDX file: 0, 0, type 0x08 (unsigned byte), ndim, big-endian int32 dims, then data."""
    head = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(
        f">{array.ndim}i", *array.shape
    )
    path.write_bytes(head + np.ascontiguousarray(array, np.uint8).tobytes())


def write_mnist(root: Path, n_train: int = 40, n_test: int = 16, seed: int = 0) -> dict:
    """Random MNIST-shaped files under ``root/MNIST/raw``; returns the arrays written."""
    rng = np.random.default_rng(seed)
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for split, n in (("train", n_train), ("test", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        images[0, 0, 0], images[0, 0, 1] = 0, 255  # the full range is present
        labels = (np.arange(n) % 10).astype(np.uint8)
        write_idx(raw / FILES[split][0], images)
        write_idx(raw / FILES[split][1], labels)
        arrays[split] = (images, labels)
    return arrays


@pytest.fixture
def mnist_root(tmp_path: Path) -> tuple[Path, dict]:
    """A torchvision ``root`` holding small MNIST IDX files, and the arrays in them."""
    return tmp_path, write_mnist(tmp_path)
