"""``ModelCheckpoint`` lives with the checkpoint format: :mod:`polyframe.checkpoint.callback`
(crash-safe portable checkpoints, keep-last-k, save-best, resumable with ``resume_from``)."""

from polyframe.checkpoint.callback import ModelCheckpoint as ModelCheckpoint

__all__ = ["ModelCheckpoint"]
