"""What the text and audio sources share: class-folder trees, label names, seeded hold-out.

A class-folder tree is the layout of ``keras.utils.text_dataset_from_directory`` /
``audio_dataset_from_directory`` and of Hugging Face "audiofolder": ``ROOT/<class>/<file>``.
When ``ROOT`` holds ``train/`` and ``test/`` trees, those are the splits; otherwise a seeded
``test_fraction`` of the examples is held out.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Sequence

import numpy as np

from polyframe.errors import DataError


def path_of(name: str, prefix: str) -> str:
    """``"prefix:PATH"`` -> ``PATH`` (which may itself hold ``:``)."""
    path = name.split(":", 1)[1] if ":" in name else ""
    if not path:
        raise DataError(f"expected {prefix}:PATH, got {name!r}")
    return os.path.expanduser(path)


def class_index(names: Sequence[str], labels: Sequence[str] | None, where: str) -> dict[str, int]:
    """Label name -> id: the order of ``labels`` when given (an unknown name is an error), else
    the sorted names found (the Keras convention)."""
    if labels is None:
        return {n: i for i, n in enumerate(sorted(set(names)))}
    if isinstance(labels, str):  # "ham,spam" from a NAME?labels=ham,spam option
        labels = [s.strip() for s in labels.split(",")]
    index = {str(n): i for i, n in enumerate(labels)}
    for n in names:
        if n not in index:
            raise DataError(
                f"{where}: unknown label {n!r}; expected one of {list(index)} "
                "(the labels option), or leave labels unset to take every label found"
            )
    return index


def class_files(root: str, ext: str) -> list[tuple[str, str]]:
    """``(class name, file path)`` of every ``*ext`` file in ``root/<class>/``, sorted."""
    if not os.path.isdir(root):
        raise DataError(f"no directory {root!r}; expected ROOT/<class>/*{ext} files")
    classes = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    if not classes:
        raise DataError(
            f"{root!r} has no class folders; expected ROOT/<class>/*{ext} "
            "(one sub-directory per label)"
        )
    out = [
        (c, os.path.join(root, c, f))
        for c in classes
        for f in sorted(os.listdir(os.path.join(root, c)))
        if f.lower().endswith(ext)
    ]
    if not out:
        raise DataError(f"no {ext} files in the class folders of {root!r} ({', '.join(classes)})")
    return out


def holdout(n: int, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded ``(train indices, test indices)``: ``round(n * test_fraction)`` held out."""
    if not 0.0 < test_fraction < 1.0:
        raise DataError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    order = np.random.default_rng(seed).permutation(n)
    k = int(round(n * test_fraction))
    if k == 0 or k == n:
        raise DataError(f"{n} examples cannot be split with test_fraction={test_fraction}")
    return np.sort(order[k:]), np.sort(order[:k])


def split_result(
    data: tuple[tuple[Any, np.ndarray], tuple[Any, np.ndarray]], split: str | None, what: str
) -> Any:
    """Both splits, or the one ``split`` names ('train' or 'test')."""
    if split is None:
        return data
    if split not in ("train", "test"):
        raise DataError(f"{what} has the splits 'train' and 'test', not {split!r}")
    return data[0] if split == "train" else data[1]


def tree_splits(
    root: str,
    ext: str,
    read: Callable[[list[str]], Any],
    labels: Sequence[str] | None,
    test_fraction: float,
    seed: int,
) -> tuple[tuple[Any, np.ndarray], tuple[Any, np.ndarray]]:
    """Read a class-folder tree (with ``train/`` + ``test/`` or a seeded hold-out) into
    ``((x_train, y_train), (x_test, y_test))``; ``read(paths)`` turns files into features."""
    official = all(os.path.isdir(os.path.join(root, s)) for s in ("train", "test"))
    parts = (
        [class_files(os.path.join(root, s), ext) for s in ("train", "test")]
        if official
        else [class_files(root, ext)]
    )
    index = class_index([c for part in parts for c, _ in part], labels, root)
    arrays = [
        (read([p for _, p in part]), np.array([index[c] for c, _ in part], np.int64))
        for part in parts
    ]
    if official:
        return arrays[0], arrays[1]
    x, y = arrays[0]
    tr, te = holdout(len(y), test_fraction, seed)
    return (x[tr], y[tr]), (x[te], y[te])
