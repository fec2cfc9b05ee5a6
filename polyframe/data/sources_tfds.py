"""The ``tfds:NAME[:SPLIT]`` source: image, text and audio classification sets of
tensorflow-datasets (text and audio: :mod:`polyframe.data.sources_tfds_media`).

tensorflow_datasets (and so TensorFlow) is imported only when this source is used.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from polyframe.data.sources_tfds_media import feature_kind, read_media
from polyframe.data.validate import as_images, check_labels
from polyframe.errors import DataError
from polyframe.import_order import guard_triton_import

#: Examples per tf.data batch when reading a split into memory.
_READ_BATCH = 8192


def parse_name(name: str, prefix: str) -> tuple[str, str | None]:
    """``"prefix:NAME[:SPLIT]"`` -> ``(NAME, SPLIT or None)``; a tfds split may hold ``:``
    itself (``train[:10%]``), so only the first two are separators."""
    parts = name.split(":", 2)
    if len(parts) < 2 or not parts[1]:
        raise DataError(f"expected {prefix}:NAME[:SPLIT], got {name!r}")
    return parts[1], (parts[2] if len(parts) == 3 and parts[2] else None)


def _import_tfds() -> Any:
    guard_triton_import()
    try:
        import tensorflow_datasets as tfds
    except ImportError:
        raise DataError(
            "the tfds: source needs tensorflow-datasets; install it with "
            "pip install 'polyframe[tfds]'"
        ) from None
    return tfds


def one_line(exc: BaseException, limit: int = 300) -> str:
    """An exception as one short line: its type and its message with the lines joined. A long
    message keeps its start and its end (where libraries put the cause, e.g. torchvision's
    ``Error downloading X:`` / ``Tried URL, got:`` / ``<urlopen error ...>``)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = " ".join(lines)
    if len(text) > limit:
        head, tail = lines[0][: limit // 2], lines[-1][-(limit // 2) :]
        text = head if len(lines) == 1 else f"{head} ... {tail}"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _missing(dataset: str, builder: Any, data_dir: str | None) -> DataError:
    root = data_dir or os.path.dirname(os.path.dirname(os.fspath(builder.data_dir)))
    return DataError(
        f"tfds data set {dataset!r} is not prepared in {os.fspath(builder.data_dir)!r} "
        f"(data_dir {root!r}) and downloading is off; fetch it with download=True "
        f"(CLI: --download), or run: tfds build {dataset} --data_dir {root}"
    )


def _read_split(
    tfds: Any, builder: Any, dataset: str, split: str, data_dir: str | None, length: int | None
) -> Any:
    keys = builder.info.supervised_keys or ("image", "label")
    try:
        ds = builder.as_dataset(split=split, shuffle_files=False)
    except AssertionError:  # tfds's way of saying "not downloaded and prepared"
        raise _missing(dataset, builder, data_dir) from None
    except (ValueError, KeyError) as exc:
        known = ", ".join(builder.info.splits) or "unknown"
        raise DataError(
            f"tfds data set {dataset!r} has no split {split!r} (splits: {known}): {one_line(exc)}"
        ) from None
    spec = ds.element_spec
    if not (isinstance(spec, dict) and all(isinstance(k, str) and k in spec for k in keys)):
        raise DataError(
            f"tfds data set {dataset!r} is not an (image, label) set: its features are "
            f"{sorted(spec) if isinstance(spec, dict) else spec}"
        )
    kind = feature_kind(builder.info.features[keys[0]])
    if kind != "image":
        classes = getattr(builder.info.features[keys[1]], "num_classes", None)
        x, y = read_media(tfds, ds, keys, kind, f"{dataset}:{split}", length)
        return x, check_labels(y, classes)
    xs, ys = [], []
    for ex in tfds.as_numpy(ds.batch(_READ_BATCH)):
        xs.append(ex[keys[0]])
        ys.append(ex[keys[1]])
    if not xs:
        raise DataError(f"tfds split {dataset}:{split} is empty")
    feature = builder.info.features[keys[1]]
    classes = getattr(feature, "num_classes", None)
    return as_images(np.concatenate(xs), f"tfds {dataset} images"), check_labels(
        np.concatenate(ys), classes
    )


def load_tfds(
    name: str, data_dir: str | None = None, download: bool = False, length: int | None = None
) -> Any:
    """``tfds:mnist`` -> ``((x_train, y_train), (x_test, y_test))``; ``tfds:mnist:test`` ->
    ``(x, y)``. Images float32 (N, H, W, C) in [0, 1]; texts an object array of ``str``;
    audio float32 (N, ``length``) in [-1, 1] (default: the longest clip); labels int64."""
    dataset, split = parse_name(name, "tfds")
    tfds = _import_tfds()
    data_dir = os.fspath(data_dir) if data_dir is not None else None
    try:
        builder = tfds.builder(dataset, data_dir=data_dir)
    except Exception as exc:  # noqa: BLE001 - DatasetNotFoundError and friends, as one line
        raise DataError(f"tfds cannot open data set {dataset!r}: {one_line(exc)}") from None
    if download:
        try:
            builder.download_and_prepare()
        except Exception as exc:  # noqa: BLE001 - network and disk errors, as one line
            raise DataError(
                f"could not download tfds data set {dataset!r} into "
                f"{os.fspath(builder.data_dir)!r}: {one_line(exc)}"
            ) from None
    if split is not None:
        return _read_split(tfds, builder, dataset, split, data_dir, length)
    return tuple(
        _read_split(tfds, builder, dataset, s, data_dir, length) for s in ("train", "test")
    )
