"""Crash-safe directory writes: write into a temporary sibling, fsync, rename into place.

A reader therefore sees either the old checkpoint or the complete new one, never a half-written
one. Temporary and retired directories start with a dot (``.NAME.tmp-*``, ``.NAME.old-*``), so
listings skip them; :func:`clean_stale` removes the ones a crash left behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

TMP_MARK = ".tmp-"
OLD_MARK = ".old-"


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
    shutil.rmtree(old, ignore_errors=True)


def write_directory(final: Path, files: dict[str, bytes]) -> None:
    """Create directory ``final`` holding ``files`` atomically (replacing an existing one).

    Files are written in the given order (put the manifest last) and fsynced, then the
    directory; one ``rename`` publishes it, and the parent is fsynced.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}{TMP_MARK}", dir=final.parent))
    try:
        for name, data in files.items():
            _write_file(tmp / name, data)
        fsync_dir(tmp)
        if final.exists():
            retire(final)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    fsync_dir(final.parent)


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
