"""Data sets by name: ``pf.data.load("digits")``, ``load("tfds:mnist")``,
``load("torchvision:CIFAR10", root=...)``, ``load("npz:/path/file.npz")``.

A source is a function registered under the part of the name before the first ``:``; it gets
the full name when the name has a ``:``. Without a split it returns
``((x_train, y_train), (x_test, y_test))``; ``NAME:SPLIT`` returns that one split ``(x, y)``.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from polyframe.errors import DataError

Split = tuple[np.ndarray, np.ndarray]
_SOURCES: dict[str, Callable[..., Any]] = {}


def register_source(name: str, fn: Callable[..., Any]) -> None:
    """Make ``pf.data.load(name, ...)`` (and ``load("name:...")``) call ``fn``."""
    _SOURCES[name] = fn


def load(name: str, *, data_dir: str | None = None, download: bool = False, **kwargs: Any) -> Any:
    """``((x_train, y_train), (x_test, y_test))`` of a named data set, or ``(x, y)`` of one
    split for ``NAME:SPLIT``. Images come back channels-last float32 in [0, 1], labels int64.

    Options may also follow the name as ``NAME?key=value&key=value`` (what ``--data`` uses).
    ``data_dir`` is where the files are (tfds ``data_dir``, torchvision ``root``);
    ``download=True`` lets the source fetch a data set that is not there yet. Without it a
    missing data set raises ``DataError`` naming the directory searched and how to fetch it.
    """
    name, options = split_options(name)
    kwargs = {**options, **kwargs}
    key = name.split(":", 1)[0]
    if key not in _SOURCES:
        raise DataError(
            f"unknown data set {name!r}; known: {', '.join(sorted(_SOURCES))} "
            "(e.g. digits, tfds:mnist, torchvision:CIFAR10, npz:PATH, tsv:PATH, audiodir:ROOT)"
        )
    if data_dir is not None:  # only when set, so a third-party source need not accept them
        kwargs["data_dir"] = data_dir
    if download:
        kwargs["download"] = True
    fn = _SOURCES[key]
    return fn(**kwargs) if key == name else fn(name, **kwargs)


def split_options(name: str) -> tuple[str, dict[str, Any]]:
    """``"tsv:PATH?seq_len=64&labels=ham,spam"`` -> ``("tsv:PATH", {"seq_len": 64, "labels":
    "ham,spam"})``: source options inside the name, so ``--data`` can carry them. Values are
    read as YAML scalars (numbers, booleans, strings)."""
    if "?" not in name:
        return name, {}
    import yaml

    base, query = name.split("?", 1)
    options: dict[str, Any] = {}
    for part in filter(None, query.split("&")):
        key, sep, value = part.partition("=")
        if not sep or not key:
            raise DataError(f"bad option {part!r} in {name!r}; expected KEY=VALUE after '?'")
        options[key] = yaml.safe_load(value) if value else ""
    return base, options


def load_train_test(name: str, **kwargs: Any) -> tuple[Split, Split]:
    """Like ``load``, but the name must give a train and a test split (no ``:SPLIT``)."""
    data = load(name, **kwargs)
    if not (isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], tuple)):
        base = name.rsplit(":", 1)[0]
        raise DataError(
            f"{name!r} names one split, but a train and a test split are needed; "
            f"use {base!r} (without the split)"
        )
    return data


def sources() -> list[str]:
    """Names of the known data sources."""
    return sorted(_SOURCES)


def _digits(
    name: str = "digits", data_dir: str | None = None, download: bool = False, **kwargs: Any
) -> Any:
    del data_dir, download  # embedded in the package: nothing to find or fetch
    if kwargs:
        raise DataError(f"digits takes no options, got {sorted(kwargs)}")
    from polyframe.data.digits import load_digits

    train, test = load_digits()
    split = name.split(":", 1)[1] if ":" in name else None
    if split is None:
        return train, test
    if split not in ("train", "test"):
        raise DataError(f"digits has the splits 'train' and 'test', not {split!r}")
    return train if split == "train" else test


def _tfds(name: str = "tfds", **kwargs: Any) -> Any:  # bare "tfds": a clear DataError
    from polyframe.data.sources_tfds import load_tfds

    return load_tfds(name, **kwargs)


def _torchvision(name: str = "torchvision", **kwargs: Any) -> Any:  # bare "torchvision": a clear DataError
    from polyframe.data.sources_torchvision import load_torchvision

    return load_torchvision(name, **kwargs)


def _npz(name: str = "npz", **kwargs: Any) -> Any:  # bare "npz": a clear DataError
    from polyframe.data.sources_npz import load_npz

    return load_npz(name, **kwargs)


def _table(name: str, **kwargs: Any) -> Any:
    from polyframe.data.sources_text import load_table

    return load_table(name, **kwargs)


def _textdir(name: str, **kwargs: Any) -> Any:
    from polyframe.data.sources_text import load_textdir

    return load_textdir(name, **kwargs)


def _audiodir(name: str, **kwargs: Any) -> Any:
    from polyframe.data.sources_audio import load_audiodir

    return load_audiodir(name, **kwargs)


register_source("digits", _digits)
register_source("csv", _table)
register_source("tsv", _table)
register_source("textdir", _textdir)
register_source("audiodir", _audiodir)
register_source("tfds", _tfds)
register_source("torchvision", _torchvision)
register_source("npz", _npz)
