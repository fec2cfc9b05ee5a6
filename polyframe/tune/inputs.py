"""Resolve what ``tune`` is given: the spec (object, file or zoo name), the search space
(object, mapping or file) and the data (name or arrays), before anything is trained."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from polyframe.errors import DataError, SpecError
from polyframe.tune.space import SearchSpace, load_space, space_from_dict

Arrays = tuple[np.ndarray, np.ndarray]


def resolve_spec(spec: Any, x: np.ndarray, y: np.ndarray) -> Any:
    """A spec object as is; a ``.yaml``/``.yml``/``.json`` path read with ``load_spec``; a zoo
    name (``mlp``, ``cifar_cnn``) built for the data's input shape and class count."""
    from polyframe.models import ZOO
    from polyframe.spec import load_spec

    if not isinstance(spec, (str, Path)):
        return spec
    text = str(spec)
    if Path(text).is_file() or Path(text).suffix in (".yaml", ".yml", ".json"):
        return load_spec(text)
    if text in ZOO:
        return ZOO[text](tuple(x.shape[1:]), classes=int(y.max()) + 1)
    raise SpecError(
        f"{text!r} is neither a spec file nor a zoo model; give a .yaml/.json spec file or one "
        f"of: {', '.join(sorted(ZOO))}"
    )


def resolve_space(space: Any) -> SearchSpace:
    """A SearchSpace as is, a mapping parsed with ``space_from_dict``, or a YAML file path."""
    if isinstance(space, SearchSpace):
        return space
    if isinstance(space, dict):
        return space_from_dict(space)
    return load_space(space)


def resolve_train_data(data: Any, data_dir: str | None = None, download: bool = False) -> Arrays:
    """The training arrays: from a data-set name (its train split; the test split is never
    used for tuning), a ``(x, y)`` pair, or a ``((x, y), (x_test, y_test))`` pair of splits."""
    if isinstance(data, str):
        from polyframe.data import load_train_test

        return load_train_test(data, data_dir=data_dir, download=download)[0]
    if isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], tuple):
        data = data[0]
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise DataError(
            "tune: data must be a data-set name ('digits'), (x, y), or ((x, y), (x_test, y_test))"
        )
    return np.asarray(data[0]), np.asarray(data[1])
