"""A directory of checkpoints: ``epoch-000003`` sub-directories, newest first on resume."""

from __future__ import annotations

import re
from pathlib import Path

from polyframe.checkpoint import format as fmt
from polyframe.checkpoint.atomic import retire
from polyframe.checkpoint.verify import Checkpoint, read
from polyframe.errors import CheckpointError

_NAME = re.compile(r"^epoch-(\d+)$")


def checkpoint_name(epoch: int) -> str:
    """The sub-directory name of the checkpoint taken after ``epoch`` completed epochs."""
    return f"epoch-{epoch:06d}"


def list_checkpoints(directory: str | Path) -> list[Path]:
    """Checkpoint sub-directories of ``directory``, oldest first (by epoch number)."""
    d = Path(directory)
    if not d.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in d.iterdir() if (m := _NAME.match(p.name))]
    return [p for _, p in sorted(found)]


def newest_valid(directory: str | Path) -> tuple[Checkpoint | None, list[tuple[Path, str]]]:
    """The newest checkpoint in ``directory`` that verifies, and the newer ones skipped with
    the reason each failed. ``(None, skipped)`` when none verifies."""
    skipped: list[tuple[Path, str]] = []
    for path in reversed(list_checkpoints(directory)):
        try:
            return read(path), skipped
        except CheckpointError as exc:
            skipped.append((path, str(exc)))
    return None, skipped


def resolve(path: str | Path) -> tuple[Checkpoint, list[tuple[Path, str]]]:
    """Read ``path`` as a checkpoint, or as a directory of checkpoints (the newest that
    verifies). Raises CheckpointError when there is none."""
    p = Path(path)
    if (p / fmt.MANIFEST).exists() or not list_checkpoints(p):
        return read(p), []
    ckpt, skipped = newest_valid(p)
    if ckpt is None:
        reasons = "; ".join(f"{s.name}: {why}" for s, why in skipped[:3])
        raise CheckpointError(f"no checkpoint in {str(p)!r} verifies ({reasons})")
    return ckpt, skipped


def prune(directory: str | Path, keep_last: int, keep: tuple[Path, ...] = ()) -> list[Path]:
    """Retire all but the ``keep_last`` newest checkpoints (and those in ``keep``)."""
    paths = list_checkpoints(directory)
    doomed = [p for p in paths[: max(len(paths) - keep_last, 0)] if p not in keep]
    for p in doomed:
        retire(p)
    return doomed
