"""polyframe: write a model once, train it natively on PyTorch, TensorFlow/Keras or JAX/Flax.

The public API is what this module names; everything else is private. Importing polyframe
imports no deep-learning framework and not even numpy: models, training, data, tuning,
checkpoints, benchmarks and the numpy reference load on first use (PEP 562), so that
``import polyframe`` stays fast.
"""

from typing import TYPE_CHECKING

from polyframe import layers as layers
from polyframe.backend import AbstractBackend as AbstractBackend
from polyframe.backend import AbstractSteps as AbstractSteps
from polyframe.backend import get_backend as get_backend
from polyframe.backend import list_backends as list_backends
from polyframe.backend import register_lowering as register_lowering
from polyframe.errors import BackendError as BackendError
from polyframe.errors import BenchError as BenchError
from polyframe.errors import CheckpointError as CheckpointError
from polyframe.errors import ConfigError as ConfigError
from polyframe.errors import DataError as DataError
from polyframe.errors import PolyframeError as PolyframeError
from polyframe.errors import SpecError as SpecError
from polyframe.spec import Graph as Graph
from polyframe.spec import ModelSpec as ModelSpec
from polyframe.spec import Sequential as Sequential
from polyframe.spec import load_spec as load_spec
from polyframe.spec import loads_spec as loads_spec
from polyframe.tune import tune as tune  # light: Optuna loads when a study runs

if TYPE_CHECKING:  # what the lazy names below resolve to
    from polyframe import (  # noqa: F401
        callbacks,
        compress,
        data,
        losses,
        metrics,
        models,
        ops,
        optim,
        plugins,
        schedules,
        testing,
    )
    from polyframe.fidelity import diff  # noqa: F401
    from polyframe.init import init_params  # noqa: F401
    from polyframe.model import Model, build  # noqa: F401
    from polyframe.porting import from_native  # noqa: F401
    from polyframe.reference import register_reference  # noqa: F401
    from polyframe.threads import set_threads  # noqa: F401
    from polyframe.trainer import Trainer  # noqa: F401

__version__ = "0.1.0"

#: Sub-modules loaded on first attribute access.
_LAZY_MODULES = (
    "bench", "callbacks", "checkpoint", "compress", "data", "distributed", "fidelity", "interop", "losses",
    "metrics", "models", "optim", "porting", "reference", "schedules", "ops", "plugins", "testing",
)  # fmt: skip
#: Names loaded on first access: name -> (module, attribute).
_LAZY_NAMES = {
    "Model": ("polyframe.model", "Model"),
    "Trainer": ("polyframe.trainer", "Trainer"),
    "from_native": ("polyframe.porting", "from_native"),
    "diff": ("polyframe.fidelity", "diff"),
    "build": ("polyframe.model", "build"),
    "init_params": ("polyframe.init", "init_params"),
    "register_reference": ("polyframe.reference", "register_reference"),
    "set_threads": ("polyframe.threads", "set_threads"),
}


def __getattr__(name: str) -> object:
    """Load the lazy sub-modules and names of the public API on first use."""
    import importlib

    if name in _LAZY_MODULES:
        return importlib.import_module(f"polyframe.{name}")
    if name in _LAZY_NAMES:
        module, attr = _LAZY_NAMES[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'polyframe' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY_MODULES, *_LAZY_NAMES])
