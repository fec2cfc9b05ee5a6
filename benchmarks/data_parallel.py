"""Step time of data-parallel training with 2 workers against 1 worker, per backend.

    python benchmarks/data_parallel.py                      # every backend
    python benchmarks/data_parallel.py --backend jax --steps 200

Method: the digits-sized MLP (64-256-256-10, Adam) on synthetic data, global batch 64, one
``Trainer.fit`` per configuration in a fresh process (JAX and TensorFlow need their devices
before they are imported; torch starts one process per worker with its elastic launcher).
A first fit of one epoch compiles and warms up; then ``--steps`` optimizer steps are timed
(``trainer.timing``: wall time after the first step, so compilation is left out). Both
configurations of a backend run one after the other on the same machine, and the ratio is
what to read: on a CPU host the 2 "workers" share the cores the 1 worker had, so the ratio
shows the cost of the placement (sharding, all-reduce) rather than a speed-up. Every run gets
``OMP_NUM_THREADS=1`` (with more, torch's OpenMP threads spun for up to 50 ms a step on the
shared 2-core machine). Rows of backends not run keep their last values. Results go to
benchmarks/results/data_parallel.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "data_parallel.json"
BATCH = 64


def _worker(backend: str, devices: int, steps: int) -> int:
    import numpy as np

    import polyframe as pf
    from polyframe.distributed import Plan, launched_env, prepare_environment, setup

    strategy = None
    if devices > 1:
        plan = Plan(devices)
        prepare_environment(backend, plan)
        engine = pf.get_backend(backend).data_parallel()
        if engine.process_per_device and launched_env() is None:
            return engine.launch([__file__, "--worker", backend, str(devices), str(steps)], plan)
        setup(backend, plan=plan)
        strategy = "data_parallel"
    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH * steps, 64)).astype(np.float32)
    y = rng.integers(0, 10, len(x))
    model = pf.build(pf.models.mlp((64,), classes=10, hidden=(256, 256)), backend=backend)
    trainer = pf.Trainer(model, optimizer="adam", strategy=strategy)
    trainer.fit(x[: BATCH * 20], y[: BATCH * 20], batch_size=BATCH, epochs=1)  # warm-up
    trainer.fit(x, y, batch_size=BATCH, epochs=1)
    if trainer.is_main:
        print(json.dumps({"step_ms": 1000.0 / trainer.timing["steps_per_s"]}), flush=True)
    return 0


def _run(backend: str, devices: int, steps: int) -> float:
    env = dict(os.environ)  # one thread per worker: no OpenMP spinning on a shared machine
    env["OMP_NUM_THREADS"] = "1"
    cmd = [sys.executable, __file__, "--worker", backend, str(devices), str(steps)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"{backend} x{devices} failed: {out.stderr[-2000:]}")
    return json.loads(lines[-1])["step_ms"]


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        return _worker(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    p = argparse.ArgumentParser()
    p.add_argument("--backend", default="torch,jax,tensorflow")
    p.add_argument("--steps", type=int, default=150)
    args = p.parse_args()
    old = json.loads(RESULTS.read_text())["rows"] if RESULTS.exists() else []
    rows = [r for r in old if r["backend"] not in args.backend.split(",")]
    load_before = os.getloadavg()[0]
    for backend in args.backend.split(","):
        one, two = _run(backend, 1, args.steps), _run(backend, 2, args.steps)
        rows.append(
            {"backend": backend, "1_worker_ms": one, "2_workers_ms": two, "at": time.time()}
        )
        print(
            f"{backend:<11} 1 worker {one:7.3f} ms/step   2 workers {two:7.3f} ms/step  "
            f"ratio {two / one:.2f}"
        )
    result = {
        "method": __doc__.strip().split("\n\n", 2)[2],
        "global_batch": BATCH,
        "timed_steps": args.steps,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "load_average_before_after": [load_before, os.getloadavg()[0]],
        "unix_time": time.time(),
        "rows": rows,
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
