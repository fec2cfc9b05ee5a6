"""``Lowered``: what a lowering function returns when the default parameter rule does not fit."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np


class Lowered(NamedTuple):
    """A native Keras layer plus its canonical parameter converters.

    ``load(module, local_params)`` writes canonical local parameters (``{'kernel': array}``)
    into ``module``; ``dump(module)`` returns them, in canonical local names and layouts.
    """

    module: Any
    load: Callable[[Any, dict[str, np.ndarray]], None]
    dump: Callable[[Any], dict[str, np.ndarray]]
