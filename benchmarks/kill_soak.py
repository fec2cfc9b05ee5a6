"""Kill soak: SIGKILL a checkpointing training run again and again, on every backend, and
check that nothing is lost (issue 18).

    nice -n 10 python benchmarks/kill_soak.py --kills 17,17,16 --json benchmarks/results/kill_soak.json

The driver (tests/checkpoint/kill_soak.py) trains the digits MLP with Adam and
``ModelCheckpoint(every_n_steps=2, keep_last=2)``, resuming from its directory. Each kill
starts it as a fresh process and kills it at a phase drawn from a seeded RNG: at a random
moment after it has written a checkpoint of its own (a seeded random delay: mid-step, or
mid-write when a save is under way), or exactly inside the atomic write through
``POLYFRAME_CHECKPOINT_KILL`` (after the first file of the temporary directory, before the
rename, after the rename, inside the retirement of an old checkpoint). After every kill each
visible checkpoint must verify and no completed checkpoint may be lost; at the end a last
resume finishes the run and its final parameters and optimizer state must equal an
uninterrupted run's bitwise.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "backends")]


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description="SIGKILL checkpointing training runs and resume.")
    p.add_argument("--backends", default="torch,tensorflow,jax")
    p.add_argument("--kills", default="17,17,16", help="kills per backend, in --backends order")
    p.add_argument("--epochs", type=int, default=12, help="epochs of the run (8 steps each)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default=None, help="write the result here")
    args = p.parse_args(argv)
    import polyframe.import_order  # noqa: F401  (torch before TensorFlow)
    from tests.checkpoint.kill_soak import soak

    backends = args.backends.split(",")
    kills = [int(k) for k in args.kills.split(",")]
    load_before = os.getloadavg()
    start = time.perf_counter()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, (backend, n) in enumerate(zip(backends, kills, strict=True)):
            r = soak(backend, Path(tmp), n, args.epochs, seed=args.seed + i)
            results[backend] = r.as_dict()
            print(backend, json.dumps(results[backend]), flush=True)
    out = {
        "what": "SIGKILL a checkpointing run (ModelCheckpoint(every_n_steps=2, keep_last=2), "
        "digits MLP, Adam) at seeded random moments and inside the atomic write, resume each "
        "time; every visible checkpoint must verify; final tensors vs an uninterrupted run",
        "command": "nice -n 10 python benchmarks/kill_soak.py " + " ".join(argv or sys.argv[1:]),
        "epochs": args.epochs,
        "seed": args.seed,
        "total_kills": sum(r["kills"] for r in results.values()),
        "all_bitwise_equal": all(r["final_params_bitwise_equal"] for r in results.values()),
        "backends": results,
        "seconds": round(time.perf_counter() - start, 1),
        "load_average_before_after": [round(load_before[0], 1), round(os.getloadavg()[0], 1)],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
    }
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps({k: out[k] for k in ("total_kills", "all_bitwise_equal", "seconds")}))
    return out


if __name__ == "__main__":
    main()
