"""The ``torchvision:MNIST|FashionMNIST|CIFAR10[:SPLIT]`` source, read through
``torchvision.datasets``. torchvision (and so torch) is imported only when this source is used.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from polyframe.data.sources_tfds import one_line, parse_name
from polyframe.data.validate import as_images, check_labels
from polyframe.errors import DataError
from polyframe.import_order import check_torchvision_importable

#: The data sets this source knows, with their number of classes.
DATASETS = {"MNIST": 10, "FashionMNIST": 10, "CIFAR10": 10}
#: Default ``root`` when none is given.
DEFAULT_ROOT = os.path.join("~", ".cache", "polyframe", "torchvision")


def _import_datasets() -> Any:
    check_torchvision_importable()
    try:
        import torchvision.datasets as tvd
    except ImportError:
        raise DataError(
            "the torchvision: source needs torchvision; install it with "
            "pip install 'polyframe[torchvision]'"
        ) from None
    return tvd


def _folder(cls: Any, root: str) -> str:
    """Where torchvision looks for the files of ``cls`` under ``root``."""
    if cls.__name__ == "CIFAR10":
        return os.path.join(root, cls.base_folder)
    return os.path.join(root, cls.__name__, "raw")


def _read(cls: Any, name: str, root: str, train: bool, download: bool) -> tuple[Any, Any]:
    try:
        ds = cls(root=root, train=train, download=download)
    except RuntimeError as exc:
        if download or "not found" not in str(exc):
            raise DataError(
                f"could not fetch or read torchvision {name} in {root!r}: {one_line(exc)}"
            ) from None
        raise DataError(
            f"torchvision data set {name} is not in {_folder(cls, root)!r} and downloading is "
            f"off; fetch it with download=True (CLI: --download), or pass root=/--data-dir "
            f"pointing at a folder that holds it"
        ) from None
    except Exception as exc:  # noqa: BLE001 - network errors while downloading, as one line
        raise DataError(
            f"could not download torchvision {name} into {root!r}: {one_line(exc)}"
        ) from None
    x, y = ds.data, ds.targets
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x), np.asarray(
        y.numpy() if hasattr(y, "numpy") else y
    )


def load_torchvision(
    name: str, data_dir: str | None = None, download: bool = False, root: str | None = None
) -> Any:
    """``torchvision:MNIST`` -> ``((x_train, y_train), (x_test, y_test))``;
    ``torchvision:MNIST:test`` -> ``(x, y)``. Images float32 (N, H, W, C) in [0, 1], labels
    int64. ``root`` (or ``data_dir``) is torchvision's ``root``."""
    dataset, split = parse_name(name, "torchvision")
    if dataset not in DATASETS:
        raise DataError(f"unknown torchvision data set {dataset!r}; known: {', '.join(DATASETS)}")
    if split not in (None, "train", "test"):
        raise DataError(f"torchvision {dataset} has the splits 'train' and 'test', not {split!r}")
    if root is not None and data_dir is not None and root != data_dir:
        raise DataError(f"pass root or data_dir, not both ({root!r} vs {data_dir!r})")
    root = os.path.expanduser(os.fspath(root or data_dir or DEFAULT_ROOT))
    cls = getattr(_import_datasets(), dataset)

    def one(train: bool) -> tuple[np.ndarray, np.ndarray]:
        x, y = _read(cls, dataset, root, train, download)
        return as_images(x, f"torchvision {dataset} images"), check_labels(y, DATASETS[dataset])

    if split is not None:
        return one(split == "train")
    return one(True), one(False)
