"""The runner end to end, with real worker processes: the mlp suite on every backend, against
the tuned native loop and Keras 3 (one process per Keras backend); the JSON validates.

Every suite's implementations run a few steps in this process in test_implementations.py; a
worker process costs a framework import, so the process protocol is exercised on one suite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import polyframe as pf
from polyframe.bench.suites import SUITES


@pytest.mark.slow
def test_run_validates(backend: str, tmp_path: Path):
    result = pf.bench.run(
        suite="mlp",
        backend=backend,
        against="tuned,keras",
        rounds=2,
        warmup_steps=0,
        steps=2,
        extras=False,
        log=lambda msg: None,
    )
    pf.bench.validate(json.loads(json.dumps(result)))  # what --json writes
    assert [g["suite"] for g in result["groups"]] == ["mlp"]
    assert result["machine"]["allocator"].startswith("MALLOC_MMAP_THRESHOLD_=")
    for group in result["groups"]:
        assert group["backend"] == backend
        others = [o for o in ("tuned", "keras") if o in SUITES[group["suite"]].references]
        assert list(group["implementations"]) == ["polyframe", *others]
        for impl in group["implementations"].values():
            assert impl["loss_diff"] <= 1e-5
            assert len(impl["windows_s"]) == 2 and min(impl["windows_s"]) > 0
            assert impl["peak_rss_mb"] > 50
        assert set(group["ratios"]) == {f"polyframe/{o}" for o in others}
        assert all(r["median"] > 0 for r in group["ratios"].values())
    assert result["machine"]["matmul_peak_gflops"] > 1
    text = pf.bench.markdown(result)
    assert f"| {backend} |" in text and "polyframe/tuned" in text
    png = pf.bench.plot(result, tmp_path / "chart.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
