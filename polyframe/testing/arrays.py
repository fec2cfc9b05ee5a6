"""numpy <-> a backend's own arrays, for checks that call ``pf.ops`` directly."""

from __future__ import annotations

from typing import Any

import numpy as np


def as_native(backend: str, a: np.ndarray) -> Any:
    """``a`` as ``backend``'s own array type (a torch tensor, a TensorFlow tensor, a JAX array;
    the jax backend's ``from_numpy`` hands numpy to its jitted steps, so it is converted)."""
    import polyframe as pf

    be = pf.get_backend(backend)
    out = be.from_numpy(np.asarray(a))
    if isinstance(out, np.ndarray) and be.name == "jax":
        import jax.numpy as jnp

        out = jnp.asarray(out)
    return out
