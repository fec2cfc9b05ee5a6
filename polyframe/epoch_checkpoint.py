"""A minimal resume point: rank 0 saves the canonical parameters after every epoch.

A stop-gap until portable checkpoints (``polyframe.checkpoint``) land: it stores parameters,
the epoch and the global step in one ``.npz``, not the optimizer state, so a resumed run
continues exactly only with a stateless optimizer (plain SGD); Adam restarts its moments.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from polyframe.callbacks import Callback
from polyframe.errors import DataError

FILE = "last.npz"
_META = ("__epoch__", "__global_step__")


class EpochCheckpoint(Callback):
    """After each epoch, rank 0 writes ``directory/last.npz`` atomically (temporary file,
    then rename), so a killed job leaves the previous complete checkpoint."""

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        trainer = self.trainer
        trainer.steps.sync()  # every process: the trained state into the native module
        if not trainer.is_main:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        arrays = dict(trainer.model.params())
        arrays["__epoch__"] = np.array(epoch + 1)  # epochs done
        arrays["__global_step__"] = np.array(trainer.global_step)
        tmp = self.directory / f".{FILE}.tmp.npz"
        np.savez(tmp, **arrays)
        os.replace(tmp, self.directory / FILE)


def load_last(directory: str | os.PathLike) -> tuple[dict[str, np.ndarray], int, int]:
    """``(params, epochs_done, global_step)`` of the checkpoint in ``directory``."""
    path = Path(directory) / FILE
    if not path.is_file():
        raise DataError(
            f"--resume: no checkpoint at {str(path)!r}; run once with --checkpoint-dir "
            f"{directory} (without --resume) to create one"
        )
    with np.load(path, allow_pickle=False) as f:
        params = {k: f[k] for k in f.files if k not in _META}
        return params, int(f["__epoch__"]), int(f["__global_step__"])
