"""A directory of checkpoints: ``epoch-000003`` sub-directories (``epoch-000003-step-000000040``
inside an epoch), newest first on resume."""

from __future__ import annotations

import re
from pathlib import Path

from polyframe.checkpoint import format as fmt
from polyframe.checkpoint.atomic import retire
from polyframe.checkpoint.verify import Checkpoint, read, read_manifest
from polyframe.errors import CheckpointError

_NAME = re.compile(r"^epoch-(\d+)(?:-step-(\d+))?$")


def checkpoint_name(epoch: int, global_step: int | None = None) -> str:
    """The sub-directory name of the checkpoint taken after ``epoch`` completed epochs:
    ``epoch-000002``; inside the next epoch, at optimizer step ``global_step`` (counted from
    the start of training): ``epoch-000002-step-000000015``. Names sort in training order,
    by the number and as text."""
    if global_step is None:
        return f"epoch-{epoch:06d}"
    return f"epoch-{epoch:06d}-step-{global_step:09d}"


def list_checkpoints(directory: str | Path) -> list[Path]:
    """Checkpoint sub-directories of ``directory``, oldest first (by epoch, then by global
    step: an epoch's end comes before the checkpoints taken inside the next epoch)."""
    d = Path(directory)
    if not d.is_dir():
        return []
    found = [
        ((int(m.group(1)), int(m.group(2) or -1)), p)
        for p in d.iterdir()
        if (m := _NAME.match(p.name))
    ]
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


def _best(directory: Path) -> tuple[Checkpoint, list[tuple[Path, str]]]:
    """The checkpoint whose manifest records the best monitored value (``ModelCheckpoint(
    save_best=...)``), among those that verify; the newest wins a tie."""
    best: tuple[float, Path] | None = None
    skipped: list[tuple[Path, str]] = []
    monitors: list[tuple[Path, dict]] = []
    for path in list_checkpoints(directory):
        try:
            monitor = read_manifest(path).get("monitor")
        except CheckpointError as exc:
            skipped.append((path, str(exc)))
            continue
        if isinstance(monitor, dict) and isinstance(monitor.get("value"), (int, float)):
            monitors.append((path, monitor))
    name = monitors[-1][1].get("name") if monitors else None  # the newest run's monitor
    for path, monitor in monitors:
        if monitor.get("name") != name:
            continue
        value = float(monitor["value"]) * (-1.0 if monitor.get("mode") == "max" else 1.0)
        if best is None or value <= best[0]:
            best = (value, path)
    if best is None:
        raise CheckpointError(
            f"no checkpoint in {str(directory)!r} records a monitored value, so none is the "
            "best; save with ModelCheckpoint(..., save_best='val_loss'), or load which='last'"
        )
    return read(best[1]), skipped


def resolve(path: str | Path, which: str | int = "last") -> tuple[Checkpoint, list[tuple[Path, str]]]:
    """Read ``path`` as a checkpoint, or as a directory of checkpoints: ``which="last"`` (the
    newest that verifies), ``"best"`` (the best monitored value, see ``ModelCheckpoint``'s
    ``save_best``) or an int N (the checkpoint taken after epoch N). Raises CheckpointError when
    there is none."""
    p = Path(path)
    if (p / fmt.MANIFEST).exists() or not list_checkpoints(p):
        return read(p), []
    if which == "best":
        return _best(p)
    if isinstance(which, int) and not isinstance(which, bool):
        named = p / checkpoint_name(which)
        if named not in list_checkpoints(p):
            have = ", ".join(c.name for c in list_checkpoints(p))
            raise CheckpointError(f"{str(p)!r} has no checkpoint of epoch {which} (it has {have})")
        return read(named), []
    if which != "last":
        raise CheckpointError(f"which must be 'last', 'best' or an epoch number, got {which!r}")
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
