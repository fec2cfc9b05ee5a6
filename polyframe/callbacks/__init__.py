"""Callbacks: hooks the Trainer calls on the host between compiled steps.

``Callback`` is the base class (``on_train_begin``, ``on_epoch_begin``,
``on_train_batch_end(step, logs)``, ``on_epoch_end(epoch, logs)``, ``on_train_end``).
"""

from polyframe.callbacks.base import Callback as Callback
from polyframe.callbacks.base import History as History
from polyframe.callbacks.loggers import CSVLogger as CSVLogger
from polyframe.callbacks.loggers import JSONLLogger as JSONLLogger
from polyframe.callbacks.loggers import TensorBoard as TensorBoard
from polyframe.callbacks.progress import PrintProgress as PrintProgress
from polyframe.callbacks.progress import ProgressBar as ProgressBar
from polyframe.callbacks.schedule import LearningRateScheduler as LearningRateScheduler
from polyframe.callbacks.schedule import ReduceLROnPlateau as ReduceLROnPlateau
from polyframe.callbacks.stopping import EarlyStopping as EarlyStopping
from polyframe.callbacks.stopping import TerminateOnNaN as TerminateOnNaN


def __getattr__(name: str) -> object:
    """``ModelCheckpoint`` loads the checkpoint format (hashing, safetensors) on first use."""
    if name == "ModelCheckpoint":
        from polyframe.callbacks.checkpoint import ModelCheckpoint

        return ModelCheckpoint
    raise AttributeError(f"module 'polyframe.callbacks' has no attribute {name!r}")
