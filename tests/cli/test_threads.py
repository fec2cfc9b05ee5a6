"""One thread count for every framework: pf.set_threads / --threads / POLYFRAME_THREADS."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import polyframe as pf
from polyframe.threads import ENV_VARS, THREADS_ENV, describe, describe_line, get_threads


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The thread variables unset, and restored after the test whatever it sets."""
    for var in (THREADS_ENV, *ENV_VARS):
        monkeypatch.setenv(var, "0")  # records the original value (or its absence)
        monkeypatch.delenv(var)
    return monkeypatch


def test_set_threads_sets_the_environment_and_loaded_torch(clean_env: pytest.MonkeyPatch) -> None:
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    try:
        pf.set_threads(1)
        assert get_threads() == 1
        assert {v: os.environ[v] for v in ENV_VARS} == dict.fromkeys(ENV_VARS, "1")
        assert torch.get_num_threads() == 1 and describe()["torch"][0] == 1
        assert describe_line().startswith("threads: 1 (POLYFRAME_THREADS), ")
        assert "torch 1 intra-op" in describe_line()
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("bad", [0, -2, "two", 1.5])
def test_bad_thread_counts_are_one_line_errors(bad: object, clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(pf.ConfigError, match=r"threads must be a positive whole number of thr"):
        pf.set_threads(bad)  # type: ignore[arg-type]
    clean_env.setenv(THREADS_ENV, str(bad))
    with pytest.raises(pf.ConfigError, match="POLYFRAME_THREADS must be a positive whole number"):
        get_threads()


def test_cli_threads_error_is_one_line_exit_2() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "polyframe.cli", "train", "--backend", "torch", "--threads", "0"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "polyframe: error: threads must be a positive whole number of threads, got 0"
    )


def test_trainer_threads_keyword_sets_every_framework(clean_env: pytest.MonkeyPatch) -> None:
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    spec = pf.Sequential([pf.layers.Input((3,)), pf.layers.Dense(2)])
    try:
        pf.Trainer(pf.build(spec, backend="torch"), threads=1)
        assert get_threads() == 1 and os.environ["OMP_NUM_THREADS"] == "1"
        assert torch.get_num_threads() == 1
        with pytest.raises(pf.ConfigError, match="threads must be a positive whole number"):
            pf.Trainer(pf.build(spec, backend="torch"), threads=0)
    finally:
        torch.set_num_threads(before)
