"""End-to-end measures: ``import polyframe`` time, and ``polyframe train``'s default recipe on
digits (the MLP, Adam 2e-3, batch 32) until 97% test accuracy, each backend in a fresh process.

``python -m polyframe.bench.end_to_end BACKEND`` is the training worker: it prints one JSON
line with the seconds from the start of ``fit`` to the end of the epoch that reached 97%.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from typing import Any

from polyframe.bench.worker_client import _pythonpath

#: The test accuracy ``polyframe train`` on digits is timed to.
TARGET_ACCURACY = 0.97
_FRAMEWORKS = ("torch", "tensorflow", "keras", "jax", "flax")
_IMPORT_PROBE = (
    "import sys, time; t = time.perf_counter(); import polyframe; "
    "dt = time.perf_counter() - t; "
    f"print(dt, ','.join(m for m in {_FRAMEWORKS!r} if m in sys.modules))"
)


def _env(threads: int | None = None) -> dict[str, str]:
    import os

    from polyframe.bench.threads import thread_env

    pinned = thread_env(threads) if threads else {}
    cold = {"POLYFRAME_COMPILE_CACHE": "0"}  # first steps compile, as in a first process
    return {**os.environ, **pinned, **cold, "PYTHONPATH": _pythonpath()}


def import_time(repeats: int = 5) -> dict[str, Any]:
    """Median wall time of ``import polyframe`` in fresh interpreters, and which frameworks it
    loaded (should be none)."""
    times, loaded = [], set()
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", _IMPORT_PROBE],
            capture_output=True,
            text=True,
            env=_env(),
            check=True,
        ).stdout.split()
        times.append(float(out[0]) * 1000)
        loaded.update(filter(None, (out[1] if len(out) > 1 else "").split(",")))
    return {
        "median_ms": statistics.median(times),
        "min_ms": min(times),
        "frameworks_loaded": sorted(loaded),
        "target_ms": 150.0,
    }


def train_to_accuracy(
    backend: str, threads: int | None = None, timeout_s: float = 600.0
) -> dict[str, Any]:
    """Run the training worker for ``backend`` (``threads`` pinned as in the benchmark); add
    the process's whole wall time."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "polyframe.bench.end_to_end", backend, str(threads or 0)],
        capture_output=True,
        text=True,
        env=_env(threads),
        timeout=timeout_s,
    )
    wall = time.perf_counter() - start
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = proc.stderr.strip()[-500:]
        return {"backend": backend, "reached": False, "error": tail or "no output"}
    return {**json.loads(lines[-1]), "process_s": wall}


def _train(backend: str, threads: int = 0) -> dict[str, Any]:
    import polyframe as pf
    from polyframe.bench.threads import apply_in_process
    from polyframe.recipe import train_one

    if threads:
        apply_in_process(backend, threads)

    class StopAt(pf.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            if (logs or {}).get("val_accuracy", 0.0) >= TARGET_ACCURACY:
                self.trainer.stop_training = True

    data = pf.data.load("digits")
    spec = pf.models.mlp(data[0][0].shape[1:], classes=10)
    start = time.perf_counter()
    row = train_one(backend, spec, data, None, callbacks=[StopAt()], verbose=0)
    seconds = time.perf_counter() - start
    acc = row["history"]["val_accuracy"][-1]
    return {
        "backend": backend,
        "reached": acc >= TARGET_ACCURACY,
        "seconds": seconds,
        "epochs": row["epochs"],
        "test_accuracy": acc,
        "first_step_s": row["first_step_s"],
        "target": TARGET_ACCURACY,
    }


if __name__ == "__main__":
    print(json.dumps(_train(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0)))
