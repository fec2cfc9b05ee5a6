"""``Lowered``: what a torch lowering function may return, and the default parameter codec.

A lowering function has the signature ``fn(layer, node) -> torch.nn.Module | Lowered``.
``layer`` is the layer spec, ``node`` the resolved :class:`polyframe.spec.Node` (its ``name``,
``input_shape`` and ``output_shape`` without the batch axis). This module imports no torch.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np

#: The layer wants channels-last activations (N, ..., C): Dense, Flatten, user layers.
CHANNELS_LAST = "channels_last"
#: The layer wants channels-first activations (N, C, ...): torch conv, pool, batch norm.
CHANNELS_FIRST = "channels_first"
#: Element-wise layers that work in either layout (Dropout, most activations).
ANY = "any"
LAYOUTS = (CHANNELS_LAST, CHANNELS_FIRST, ANY)

LoadFn = Callable[[Any, dict[str, np.ndarray]], None]
DumpFn = Callable[[Any], dict[str, np.ndarray]]


class Lowered(NamedTuple):
    """A native torch layer plus how its parameters map to the canonical ones.

    - ``module``: the ``torch.nn.Module`` that computes the layer.
    - ``load(module, local_params)``: copy canonical arrays (local names such as ``kernel``,
      canonical layouts) into ``module`` in place.
    - ``dump(module) -> dict``: the module's parameters and state as canonical numpy arrays.
    - ``layout``: the activation layout the module expects for inputs of rank > 2
      (``"channels_last"``, the default; ``"channels_first"``; or ``"any"``).
    """

    module: Any
    load: LoadFn
    dump: DumpFn
    layout: str = CHANNELS_LAST
