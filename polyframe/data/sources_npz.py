"""The ``npz:PATH[:SPLIT]`` source: arrays saved with ``np.savez``.

The file holds ``x_train, y_train, x_test, y_test`` (the Keras ``mnist.npz`` layout) or
``x, y`` (one split). For a model with several inputs or outputs the arrays are named
``x_train.<input>``, ``y_train.<output>``, ``x_test.<input>``, ``y_test.<output>`` (or
``x.<input>``, ``y.<output>``) and load as dicts by name; they are kept as they are (the
Trainer checks each against its input or its output's loss). Integer image arrays are scaled to float32 [0, 1] and get a channel axis
when they are ``(N, H, W)``; float features are kept as they are; labels become int64.
"""

from __future__ import annotations

import os
import zipfile
from typing import Any

import numpy as np

from polyframe.data.validate import as_images, check_finite, check_labels, check_same_length
from polyframe.errors import DataError


def _features(x: np.ndarray, what: str) -> np.ndarray:
    if np.issubdtype(x.dtype, np.integer) and x.ndim in (3, 4):
        return as_images(x, what)
    check_finite(x, what)
    return x


def _split(f: Any, xk: str, yk: str, path: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = f[xk], f[yk]
    check_same_length(x, y)
    return _features(x, f"{path} {xk}"), check_labels(y)


def load_npz(name: str, data_dir: str | None = None, download: bool = False) -> Any:
    """``npz:PATH`` -> ``((x_train, y_train), (x_test, y_test))`` or ``(x, y)``;
    ``npz:PATH:train`` / ``:test`` picks one split. A relative PATH is looked up in
    ``data_dir`` when given."""
    rest = name.split(":", 1)[1] if ":" in name else ""
    path, split = rest, None
    if rest.endswith((":train", ":test")):
        path, split = rest.rsplit(":", 1)
    if not path:
        raise DataError(f"expected npz:PATH[:train|test], got {name!r}")
    if data_dir is not None and not os.path.isabs(path):
        path = os.path.join(os.fspath(data_dir), path)
    if not os.path.isfile(path):
        raise DataError(
            f"no .npz file at {path!r}; an npz: source is a local file, there is nothing to "
            f"download{' (download=True does not apply)' if download else ''}"
        )
    try:
        return _read_npz(path, split)
    except DataError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise DataError(
            f"{path!r} is not a readable .npz file of arrays ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}); write it with np.savez"
        ) from None


def _read_npz(path: str, split: str | None) -> Any:
    """The arrays of ``path`` (no pickles: object arrays are refused)."""
    loaded = np.load(path, allow_pickle=False)
    if not hasattr(loaded, "files"):
        raise DataError(f"{path!r} is a single .npy array, not an .npz file; use np.savez")
    with loaded as f:
        keys = set(f.files)
        if any("." in k for k in keys):  # named inputs / targets: x_train.<input>, ...
            return _read_named(f, path, split)
        if {"x_train", "y_train", "x_test", "y_test"} <= keys:
            train = _split(f, "x_train", "y_train", path)
            test = _split(f, "x_test", "y_test", path)
            return (train, test) if split is None else (train if split == "train" else test)
        if {"x", "y"} <= keys and split is None:
            return _split(f, "x", "y", path)
    raise DataError(
        f"{path!r} holds {sorted(keys)}; expected x_train, y_train, x_test, y_test "
        "(or x, y without a split)"
    )


def _read_named(f: Any, path: str, split: str | None) -> Any:
    """Dicts by input / output name from ``x_train.<name>``-style keys."""
    groups: dict[str, dict[str, np.ndarray]] = {}
    for key in f.files:
        group, _, name = key.partition(".")
        if not name:
            raise DataError(
                f"{path!r} mixes plain and named arrays ({key!r}); name every array "
                "x_train.<input>, y_train.<output>, x_test.<input>, y_test.<output>"
            )
        groups.setdefault(group, {})[name] = f[key]
    for name, arrays in groups.items():
        sizes = {k: len(v) for k, v in arrays.items()}
        if len(set(sizes.values())) > 1:
            raise DataError(f"{path!r}: the {name}.* arrays have different lengths {sizes}")

    def pair(xk: str, yk: str) -> tuple[dict, dict]:
        x, y = groups[xk], groups[yk]
        check_same_length(next(iter(x.values())), next(iter(y.values())))
        return x, y

    if {"x_train", "y_train", "x_test", "y_test"} <= set(groups):
        train, test = pair("x_train", "y_train"), pair("x_test", "y_test")
        return (train, test) if split is None else (train if split == "train" else test)
    if {"x", "y"} <= set(groups) and split is None:
        return pair("x", "y")
    raise DataError(
        f"{path!r} holds the named groups {sorted(groups)}; expected x_train.*, y_train.*, "
        "x_test.*, y_test.* (or x.*, y.* without a split)"
    )
