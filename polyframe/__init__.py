"""polyframe: write a model once, train it natively on PyTorch, TensorFlow/Keras or JAX/Flax.

The public API is what this module names; everything else is private. Importing polyframe
imports no deep-learning framework.
"""

from polyframe import callbacks as callbacks
from polyframe import data as data
from polyframe import layers as layers
from polyframe import losses as losses
from polyframe import metrics as metrics
from polyframe import models as models
from polyframe import optim as optim
from polyframe import schedules as schedules
from polyframe.backend import AbstractBackend as AbstractBackend
from polyframe.backend import AbstractSteps as AbstractSteps
from polyframe.backend import get_backend as get_backend
from polyframe.backend import list_backends as list_backends
from polyframe.backend import register_lowering as register_lowering
from polyframe.errors import BackendError as BackendError
from polyframe.errors import CheckpointError as CheckpointError
from polyframe.errors import ConfigError as ConfigError
from polyframe.errors import DataError as DataError
from polyframe.errors import PolyframeError as PolyframeError
from polyframe.errors import SpecError as SpecError
from polyframe.init import init_params as init_params
from polyframe.model import Model as Model
from polyframe.model import build as build
from polyframe.spec import Graph as Graph
from polyframe.spec import Sequential as Sequential
from polyframe.spec import load_spec as load_spec
from polyframe.spec import loads_spec as loads_spec
from polyframe.trainer import Trainer as Trainer
from polyframe.tune import tune as tune

__version__ = "0.1.0"


_LAZY = ("bench", "checkpoint", "distributed", "interop", "reference")


def __getattr__(name: str) -> object:
    """``pf.bench``, ``pf.checkpoint``, ``pf.distributed``, ``pf.interop`` and
    ``pf.reference`` (with ``pf.register_reference``) are imported on first use: they need
    modules that ``import polyframe`` should not pay for."""
    if name == "register_reference":
        from polyframe.reference import register_reference

        return register_reference
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"polyframe.{name}")
    raise AttributeError(f"module 'polyframe' has no attribute {name!r}")
