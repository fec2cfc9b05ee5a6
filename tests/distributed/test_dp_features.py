"""Must show: every Trainer feature gives the same training with 2 workers as with 1 worker on
the same global batches (per-step loss within 1e-5 relative, final parameters within 1e-5), on
every backend; a checkpoint written by 2 workers resumes on 1 and the other way round, and a
torch (2 workers) checkpoint resumes on JAX (1 worker), each within 1e-5 of an uninterrupted
run (Adam, whose state matters); ModelCheckpoint under data parallelism (it used to crash).

One 2-worker job per backend computes every case (module-scoped fixture); the 1-worker
references run in this process meanwhile (and are shared with test_dp_parity)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import features_job as job
import numpy as np
import pytest
from helpers import start

from polyframe.backend import backend_status

TOL = 1e-5  # bfloat16 too: weight gradients are summed in float32 and rounded once, after
# the all-reduce, on every backend (docs/training.md, "precision")
_JOBS: dict[str, dict[str, Any]] = {}
_FAILED: dict[str, str] = {}


def _job(backend: str, tmp: Path) -> dict[str, Any]:
    """The 2-worker job's results and the in-process 1-worker references (once per backend;
    the references are computed while the 2-worker job runs)."""
    if backend in _FAILED:  # the job failed once: do not start it again for every case
        pytest.fail(_FAILED[backend])
    if backend not in _JOBS:
        one = tmp / f"{backend}-1worker"
        ref_saved = job.checkpoint_run(backend, None, 2, one)  # written by 1 worker
        out = tmp / f"{backend}.json"
        two = tmp / f"{backend}-2workers"
        args = ["--backend", backend, "--out", str(out), "--checkpoint-dir", str(two)]
        log = tmp / f"{backend}.log"  # a file, not a pipe: nobody reads it while the job runs
        with log.open("w") as sink:
            proc = start(job.__file__, *args, "--resume-dir", str(one), stdout=sink, stderr=sink)
            try:
                result: dict[str, Any] = {"ref": job.run_cases(backend, None, list(job.CASES))}
                u = job.checkpoint_run(backend, None, 4, tmp / f"{backend}-u")
                result["uninterrupted"] = u
                proc.wait(timeout=600)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        if proc.returncode != 0:
            err = log.read_text()[-3000:]
            _FAILED[backend] = f"the 2-worker {backend} job failed: {err}"
            pytest.fail(_FAILED[backend])
        result.update(json.loads(out.read_text()))
        result["ref_saved"] = ref_saved
        result["resumed_on_1"] = job.checkpoint_run(backend, None, 4, tmp / "r21", resume=two)
        result["dirs"] = {"two": str(two)}
        _JOBS[backend] = result
    return _JOBS[backend]


@pytest.fixture(scope="module")
def jobs(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("dp-features")
    return lambda backend: _job(backend, tmp)


def _close_params(got: dict, want: dict) -> float:
    worst = 0.0
    for name, value in want.items():
        diff = np.abs(np.asarray(got[name]) - np.asarray(value)).max()
        worst = max(worst, float(diff))
    return worst


@pytest.mark.slow
@pytest.mark.parametrize("case", list(job.CASES))
def test_two_workers_match_one_worker(backend: str, case: str, jobs) -> None:
    result = jobs(backend)
    got, want = result["cases"][case], result["ref"][case]
    losses, ref = np.array(got["losses"]), np.array(want["losses"])
    assert len(losses) == len(ref) >= 4 and got["epochs"] == want["epochs"]
    rel = np.abs(losses - ref) / np.maximum(np.abs(ref), 1e-6)
    params = _close_params(got["params"], want["params"])
    print(f"{backend} {case}: worst step-loss rel diff {rel.max():.2e}, params {params:.2e}")
    assert rel.max() <= TOL
    assert params <= TOL
    for key, value in want["logs"].items():
        assert got["logs"][key] == pytest.approx(value, rel=TOL, abs=TOL), key
    if case == "metrics":
        ev, ev_ref = got["evaluate"], want["evaluate"]
        assert ev["confusion_matrix"] == ev_ref["confusion_matrix"]
        assert sum(map(sum, ev["confusion_matrix"])) == 11
        for key in ("precision", "recall", "f1_macro", "auc", "loss"):
            assert ev[key] == pytest.approx(ev_ref[key], rel=TOL), key
    if case == "early_stopping":
        assert got["epochs"] < 6
    if case == "sync_batchnorm":  # the running statistics after 5 steps, explicitly
        stats = [k for k in want["params"] if k.endswith(("mean", "var"))]
        assert len(stats) == 2 and len(losses) == 5
        for key in stats:
            diff = np.abs(np.asarray(got["params"][key]) - want["params"][key]).max()
            assert diff <= TOL, key


@pytest.mark.slow
def test_checkpoint_resume_across_worker_counts(backend: str, jobs) -> None:
    """2 -> 1 and 1 -> 2 workers, both within 1e-5 of an uninterrupted 1-worker run."""
    result = jobs(backend)
    want = result["uninterrupted"]["params"]
    assert result["saved"]["epoch"] == 2 and result["resumed_on_1"]["epoch"] == 4
    assert sorted(p.name for p in Path(result["dirs"]["two"]).iterdir()) == [
        "epoch-000001",
        "epoch-000002",
    ]
    two_to_one = _close_params(result["resumed_on_1"]["params"], want)
    one_to_two = _close_params(result["resumed"]["params"], want)
    print(f"{backend}: 2->1 {two_to_one:.2e}, 1->2 {one_to_two:.2e}")
    assert two_to_one <= TOL and one_to_two <= TOL
    assert result["resumed"]["epoch"] == 4


@pytest.mark.slow
@pytest.mark.skipif(
    not (backend_status("torch")[0] and backend_status("jax")[0]), reason="needs torch and jax"
)
def test_torch_two_workers_checkpoint_resumes_on_jax(jobs, tmp_path: Path) -> None:
    torch_job = jobs("torch")
    resumed = job.checkpoint_run(
        "jax", None, 4, tmp_path / "ck", resume=Path(torch_job["dirs"]["two"])
    )
    want = job.checkpoint_run("jax", None, 4, tmp_path / "u")["params"]
    worst = _close_params(resumed["params"], want)
    print(f"torch(2) -> jax(1): {worst:.2e}")
    assert resumed["epoch"] == 4 and worst <= TOL
