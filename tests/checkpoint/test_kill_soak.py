"""The kill soak in small (benchmarks/kill_soak.py runs 50 kills): three SIGKILLs inside the
atomic checkpoint write, each followed by a resume in a fresh process; every visible
checkpoint verifies and the finished run equals an uninterrupted one bitwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.checkpoint.kill_soak import soak


@pytest.mark.slow
def test_three_kills_inside_the_write_then_bitwise_equal(backend: str, tmp_path: Path) -> None:
    phases = ("write", "rename", "retire")  # mid-write, before the rename, mid-retirement
    result = soak(backend, tmp_path, kills=3, epochs=2, phases=phases, plan=True)
    print(f"{backend}: {result.as_dict()}")
    assert (result.kills, dict(result.phases)) == (3, {p: 1 for p in phases})
    assert result.torn_left == 3  # each kill left its half-done directory behind
    assert result.verified >= 3 and result.resumes >= 3
    assert result.bitwise_equal
