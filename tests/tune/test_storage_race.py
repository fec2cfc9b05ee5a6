"""Several processes opening one new SQLite study at once (regression: a test's poll and a
`polyframe tune` worker raced to create the schema and one failed with `UNIQUE constraint failed:
alembic_version.version_num`)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from polyframe.tune.storage import schema_lock, sqlite_path

#: Waits for a start file, then opens the storage and creates (or loads) one study.
_OPEN = """
import sys, time
from pathlib import Path
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.005)
import optuna
from polyframe.tune.storage import open_storage
storage = open_storage("sqlite:///" + sys.argv[1])
optuna.create_study(study_name="s", storage=storage, load_if_exists=True)
print("ok")
"""


def _start(db: Path, go: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", _OPEN, str(db), str(go)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_processes_opening_a_new_database_together_all_succeed(tmp_path: Path) -> None:
    pytest.importorskip("optuna")
    db, go = tmp_path / "study.db", tmp_path / "go"
    procs = [_start(db, go) for _ in range(4)]
    time.sleep(1.0)  # let them all import and wait at the start line
    go.touch()
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0 and out.strip() == "ok", err


def test_schema_creation_waits_for_the_lock(tmp_path: Path) -> None:
    pytest.importorskip("optuna")
    db, go = tmp_path / "study.db", tmp_path / "go"
    go.touch()
    with schema_lock(f"sqlite:///{db}"):
        proc = _start(db, go)
        time.sleep(3.0)
        assert proc.poll() is None, "open_storage did not wait for the schema lock"
        assert not db.exists() or db.stat().st_size == 0
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0 and out.strip() == "ok", err


def test_sqlite_path() -> None:
    assert sqlite_path("sqlite:///a/b.db") == Path("a/b.db")
    assert sqlite_path("sqlite:////abs/b.db") == Path("/abs/b.db")
    assert sqlite_path("sqlite:///:memory:") is None
    assert sqlite_path("postgresql://host/db") is None
