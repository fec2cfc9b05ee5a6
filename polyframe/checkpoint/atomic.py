"""Crash-safe directory writes: write into a temporary sibling, fsync, rename into place.

A reader therefore sees either the old checkpoint or the complete new one, never a half-written
one. Temporary and retired directories start with a dot (``.NAME.tmp-*``, ``.NAME.old-*``), so
listings skip them; :func:`clean_stale` removes the ones a crash left behind.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import tempfile
import uuid
from pathlib import Path

from polyframe.errors import CheckpointError

TMP_MARK = ".tmp-"
OLD_MARK = ".old-"

#: Where a write can be interrupted (benchmarks/kill_soak.py): after the first file of the
#: temporary directory ("write"), with the temporary directory complete but not yet renamed
#: ("rename"), after the rename but before the parent is fsynced ("published"), and inside a
#: retirement (renamed to a dot-name, not yet deleted: "retire").
KILL_PHASES = ("write", "rename", "published", "retire")


def _kill_plan(value: str | None) -> tuple[str, int] | None:
    """``POLYFRAME_CHECKPOINT_KILL=PHASE:N`` -> ``(PHASE, N)``; anything else -> None."""
    phase, _, n = (value or "").partition(":")
    return (phase, int(n)) if phase in KILL_PHASES and n.isdigit() else None


#: Read once at import: the kill soak's hook costs production one ``is None`` test per point.
_KILL = _kill_plan(os.environ.get("POLYFRAME_CHECKPOINT_KILL"))
_WRITES = [0]


def _kill_point(phase: str) -> None:
    """SIGKILL this process at ``phase`` of its N-th (or a later) checkpoint write, when
    ``POLYFRAME_CHECKPOINT_KILL=PHASE:N`` was set at start (a soak-test hook; unset: nothing)."""
    if _KILL is not None and _KILL[0] == phase and _WRITES[0] >= _KILL[1]:
        os.kill(os.getpid(), signal.SIGKILL)


def fsync_dir(path: Path) -> None:
    """Flush a directory's entries (new names, renames) to disk where the OS allows it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # e.g. Windows: directories cannot be opened; rename is durable there
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def retire(path: Path) -> None:
    """Remove a directory crash-safely: rename it to a dot-name first, then delete it."""
    if not path.exists():
        return
    old = path.with_name(f".{path.name}{OLD_MARK}{uuid.uuid4().hex[:8]}")
    os.rename(path, old)
    fsync_dir(path.parent)
    _kill_point("retire")
    shutil.rmtree(old, ignore_errors=True)


#: What a failed write tells the user to do, by errno.
_ADVICE = {
    errno.ENOSPC: "free disk space or write checkpoints elsewhere",
    errno.EDQUOT: "free space within your disk quota or write checkpoints elsewhere",
    errno.EROFS: "the file system is read-only: write checkpoints to a writable directory",
    errno.EACCES: "check the directory's permissions, or write checkpoints elsewhere",
    errno.EPERM: "check the directory's permissions, or write checkpoints elsewhere",
}


def _storage_error(final: Path, exc: OSError, had_previous: bool) -> CheckpointError:
    what = exc.strerror or str(exc) or type(exc).__name__
    kept = (
        f"the previous {final.name!r} is intact"
        if had_previous
        else "no partial checkpoint was left behind"
    )
    advice = _ADVICE.get(exc.errno or -1, "check the disk and the directory, then retry")
    return CheckpointError(f"could not write checkpoint {str(final)!r}: {what}; {kept}; {advice}")


def write_directory(final: Path, files: dict[str, bytes]) -> None:
    """Create directory ``final`` holding ``files`` atomically (replacing an existing one).

    Files are written in the given order (put the manifest last) and fsynced, then the
    directory; one ``rename`` publishes it, and the parent is fsynced. A storage fault (a full
    disk, a read-only or forbidden directory) raises ``CheckpointError`` in one line and leaves
    the previous content of ``final`` (or nothing) in place, with no temporary directory.
    """
    final = Path(final)
    had_previous = final.exists()
    tmp: Path | None = None
    _WRITES[0] += 1
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}{TMP_MARK}", dir=final.parent))
        for name, data in files.items():
            _write_file(tmp / name, data)
            _kill_point("write")
        fsync_dir(tmp)
        _kill_point("rename")
        _publish(tmp, final)
    except OSError as exc:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        raise _storage_error(final, exc, had_previous) from None
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    _kill_point("published")
    fsync_dir(final.parent)


def _publish(tmp: Path, final: Path) -> None:
    """Rename ``tmp`` to ``final``; an existing ``final`` is moved aside first and restored if
    the rename fails, so a failure never loses it."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}{OLD_MARK}{uuid.uuid4().hex[:8]}")
        os.rename(final, old)
    try:
        os.rename(tmp, final)
    except OSError:
        if old is not None:
            os.rename(old, final)
        raise
    if old is not None:
        fsync_dir(final.parent)
        shutil.rmtree(old, ignore_errors=True)


def clean_stale(directory: Path) -> list[str]:
    """Delete temporary and retired directories left in ``directory`` by a crash."""
    removed = []
    if not Path(directory).is_dir():
        return removed
    for entry in Path(directory).iterdir():
        if entry.name.startswith(".") and (TMP_MARK in entry.name or OLD_MARK in entry.name):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    return removed
