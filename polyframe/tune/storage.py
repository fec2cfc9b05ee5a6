"""Optuna storage for ``pf.tune``: in memory, or an SQLite (or other SQL) database that several
worker processes share.

Opening an RDB storage creates its tables and stamps the schema version (alembic) when the
database is new. Two processes doing that at once on a new SQLite file race: one of them fails
with ``UNIQUE constraint failed: alembic_version.version_num`` or ``table ... already exists``.
polyframe therefore creates or upgrades the schema under an exclusive file lock beside the
database (``<file>.lock``), so that every process that opens the storage through
:func:`open_storage` does it one at a time; the known race messages are still retried, for
processes that open the same file without polyframe.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from pathlib import Path
from typing import Any, Iterator

from polyframe.errors import ConfigError

#: Seconds between a worker's heartbeats in an SQLite study; a trial whose worker was killed
#: is marked failed once two beats are missed, so it never counts as finished.
HEARTBEAT_S = 60
#: What a process sees when another one is creating the same new database at that moment.
CREATE_RACE = ("already exists", "UNIQUE constraint failed", "database is locked")
_ATTEMPTS = 10


def sqlite_path(url: str) -> Path | None:
    """The file of an ``sqlite:///PATH`` URL (None for in-memory or other databases)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url[len(prefix) :] in ("", ":memory:"):
        return None
    return Path(url[len(prefix) :])


@contextlib.contextmanager
def schema_lock(url: str) -> Iterator[None]:
    """Hold an exclusive lock on ``<sqlite file>.lock`` (no-op for other URLs, or where
    ``fcntl`` does not exist)."""
    path = sqlite_path(url)
    try:
        import fcntl
    except ImportError:  # Windows: the retry loop alone guards the race
        fcntl = None  # type: ignore[assignment]
    if path is None or fcntl is None or not path.parent.is_dir():
        yield
        return
    with open(f"{path}.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def open_storage(url: str | None, heartbeat: bool = True) -> Any:
    """None (Optuna's in-memory storage) for ``url`` None, else an ``optuna.storages.RDBStorage``
    (with heartbeats when ``heartbeat``). Safe to call from several processes at once on a new
    SQLite file. Raises ``ConfigError`` naming the URL when it cannot be opened."""
    import optuna
    import sqlalchemy.exc

    if url is None:
        return None
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["engine_kwargs"] = {"connect_args": {"timeout": 60}}  # workers wait for the lock
    if heartbeat:
        kwargs.update(heartbeat_interval=HEARTBEAT_S, grace_period=2 * HEARTBEAT_S)
    error: Exception | None = None
    for attempt in range(_ATTEMPTS):
        try:
            with schema_lock(url), warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return optuna.storages.RDBStorage(url, **kwargs)
        except sqlalchemy.exc.DBAPIError as exc:
            error = exc
            if any(m in str(exc) for m in CREATE_RACE) and attempt < _ATTEMPTS - 1:
                time.sleep(0.2 * (attempt + 1))
                continue
            break
        except Exception as exc:  # noqa: BLE001 - SQLAlchemy raises many kinds for a bad URL
            error = exc
            break
    raise ConfigError(
        f"cannot open storage {url!r}: {str(error).splitlines()[0]}; use e.g. sqlite:///study.db"
    ) from None
