"""SQLite storage: a killed study resumes without repeating finished trials, and two worker
processes share one study, each running distinct trials.

Storage is Optuna's and the same for every backend, so these run on torch, the backend that
starts fastest here; the per-backend studies are in test_digits.py."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.tune.conftest import cli, cli_popen, trials_in

pytestmark = pytest.mark.slow
NAME = "shared"


def _args(space: Path, db: Path, out: Path, trials: int) -> list[str]:
    return [
        "tune", "mlp", "--space", str(space), "--backend", "torch", "--trials", str(trials),
        "--epochs", "3", "--pruner", "none", "--seed", "0", "--storage", f"sqlite:///{db}",
        "--study-name", NAME, "--out", str(out), "--quiet",
    ]  # fmt: skip


def _finished(db: Path) -> list:
    return [t for t in trials_in(db, NAME) if t.state.name == "COMPLETE"]


def test_killed_study_resumes_without_repeating_trials(small_space: Path, tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    # the first run asks for far more trials than it gets to finish: the kill always lands
    # mid-study (asking for 8 raced: on a quiet machine all 8 could finish before the kill)
    proc = cli_popen(*_args(small_space, db, tmp_path / "a", 60))
    deadline = time.monotonic() + 300
    while len(_finished(db)) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()
    before = {t.number: (t.params, t.value) for t in _finished(db)}
    assert 3 <= len(before) < 60
    total = len(before) + 3  # `--trials` is the study's total: the resumed run adds 3

    out = cli(*_args(small_space, db, tmp_path / "b", total))
    assert out.returncode == 0, out.stderr
    after = _finished(db)
    assert len(after) == total
    # the trials finished before the kill are kept as they were, not run again
    assert {t.number: (t.params, t.value) for t in after if t.number in before} == before
    new = [t for t in after if t.number not in before]
    assert len(new) == 3
    assert min(t.number for t in new) > max(before)
    # ... and the resumed run drew new values instead of replaying the first run's
    assert len({tuple(sorted(t.params.items())) for t in after}) == total
    # at most the one trial that was running when the process died is left unfinished
    assert len(trials_in(db, NAME)) - len(after) <= 1
    assert "trial" in out.stdout or "best val_accuracy" in out.stdout
    csv_rows = (tmp_path / "b" / "trials.csv").read_text().strip().splitlines()
    assert sum(",complete," in row for row in csv_rows) == total


def test_two_workers_share_one_study(small_space: Path, tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    workers = [cli_popen(*_args(small_space, db, tmp_path / f"w{i}", 8)) for i in range(2)]
    for w in workers:
        _, err = w.communicate(timeout=600)
        assert w.returncode == 0, err
    done = _finished(db)
    # each worker stops once the study holds 8 finished trials; one may finish the trial it
    # had started when the other reached 8
    assert 8 <= len(done) <= 9
    assert len({t.number for t in done}) == len(done)
    assert len({tuple(sorted(t.params.items())) for t in done}) == len(done)  # distinct values
    by_worker: dict[str, int] = {}
    for t in done:
        by_worker[t.user_attrs["worker"]] = by_worker.get(t.user_attrs["worker"], 0) + 1
    assert len(by_worker) == 2 and min(by_worker.values()) >= 1, by_worker
