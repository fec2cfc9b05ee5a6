"""Portable, crash-safe checkpoints: safetensors tensors in the canonical layout plus a JSON
manifest, so a checkpoint written by one backend loads and resumes on any other.

>>> pf.checkpoint.save("ckpt", model, trainer)                   # doctest: +SKIP
>>> model = pf.checkpoint.load("ckpt", backend="jax")             # doctest: +SKIP
>>> trainer.fit(x, y, epochs=10, resume_from="runs/ckpts")        # doctest: +SKIP

See docs/checkpoints.md for the format.
"""

from polyframe.checkpoint.atomic import clean_stale as clean_stale
from polyframe.checkpoint.directory import list_checkpoints as list_checkpoints
from polyframe.checkpoint.directory import newest_valid as newest_valid
from polyframe.checkpoint.directory import resolve as resolve
from polyframe.checkpoint.format import VERSION as VERSION
from polyframe.checkpoint.load import load as load
from polyframe.checkpoint.load import load_params as load_params
from polyframe.checkpoint.save import save as save
from polyframe.checkpoint.verify import Checkpoint as Checkpoint
from polyframe.checkpoint.verify import read as read
from polyframe.checkpoint.verify import verify as verify
