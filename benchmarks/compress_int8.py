"""float32 vs int8 inference per backend, and dense vs structurally pruned training steps.

    python benchmarks/compress_int8.py                 # all backends, ~2 minutes
    python benchmarks/compress_int8.py --backend jax --reps 50

For the digits MLP (64-256-10) and the small CNN (Conv 16 'same' -> pool -> Conv 32 ->
Dense 10), weights trained once (JAX, 4 epochs) and loaded on every backend:
- inference latency (fastest and median of ``--reps`` calls, after a warm-up) at batch 1 and 128 for the
  float32 model (``Model.__call__``) and the int8 models (weight-only, dynamic, static);
- model size (bytes of the canonical tensors) and test accuracy of each;
- structured pruning: fastest of 3 training epochs (batch 64) of the CNN and of its 50%-channel
  shrunk version.
Results: benchmarks/results/compress_int8.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import polyframe as pf
from polyframe.data.digits import load_digits

L = pf.layers
RESULTS = Path(__file__).resolve().parent / "results"
SCHEMES = ("int8_weight", "int8_dynamic", "int8_static")


def cnn(filters: int = 16) -> pf.Sequential:
    return pf.Sequential(
        [
            L.Input((8, 8, 1)),
            L.Conv2D(filters, 3, padding="same", activation="relu"),
            L.MaxPool2D(2),
            L.Conv2D(2 * filters, 3, activation="relu"),
            L.Flatten(),
            L.Dense(10),
        ],
        name="small_cnn",
    )


SPECS = {"mlp": lambda: pf.models.mlp(hidden=(256,)), "cnn": cnn}


def best_ms(fn: Any, x: np.ndarray, reps: int) -> tuple[float, float]:
    """(fastest, median) call time in ms: on a shared machine the fastest call is the
    estimate least hurt by other processes."""
    fn(x)
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn(x)
        times.append(time.perf_counter() - t)
    return 1e3 * min(times), 1e3 * statistics.median(times)


def nbytes(params: dict[str, np.ndarray]) -> int:
    return int(sum(np.asarray(v).nbytes for v in params.values()))


def epoch_seconds(spec: pf.Sequential, backend: str, x: np.ndarray, y: np.ndarray) -> float:
    model = pf.build(spec, backend, seed=0)
    trainer = pf.Trainer(model, "adam", compile=False if backend == "torch" else None)
    trainer.fit(x, y, batch_size=64, epochs=1)  # compile
    times = []
    for _ in range(3):
        t = time.perf_counter()
        trainer.fit(x, y, batch_size=64, epochs=1)
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", default="all")
    ap.add_argument("--reps", type=int, default=30)
    args = ap.parse_args()
    import polyframe.import_order  # noqa: F401  (torch before TensorFlow)

    backends = ["torch", "tensorflow", "jax"] if args.backend == "all" else [args.backend]
    (xtr, ytr), (xte, yte) = load_digits()
    weights = {}
    for name, make in SPECS.items():
        m = pf.build(make(), "jax", seed=0)
        pf.Trainer(m, pf.optim.Adam(lr=1e-2)).fit(xtr, ytr, batch_size=64, epochs=4)
        weights[name] = m.params()
    load_before = os.getloadavg()[0]
    rows = []
    for backend in backends:
        for name, make in SPECS.items():
            model = pf.build(make(), backend)
            model.load_params(weights[name])
            variants = {"float32": (model, nbytes(weights[name]))}
            for scheme in SCHEMES:
                q = pf.compress.quantize(model, scheme, calibration=xtr[:512])
                variants[scheme] = (q, q.nbytes())
            for variant, (fn, size) in variants.items():
                acc = float((fn(xte).argmax(-1) == yte).mean())
                row = {"backend": backend, "model": name, "variant": variant, "bytes": size,
                       "test_accuracy": acc}  # fmt: skip
                for batch in (1, 128):
                    row[f"ms_batch{batch}"], row[f"median_ms_batch{batch}"] = best_ms(
                        fn, xte[:batch], args.reps
                    )
                rows.append(row)
                print(json.dumps(row), flush=True)
    pruned = []
    for backend in backends:
        dense, small = (
            epoch_seconds(cnn(16), backend, xtr, ytr),
            epoch_seconds(cnn(8), backend, xtr, ytr),
        )
        pruned.append({"backend": backend, "dense_epoch_s": dense, "pruned50_epoch_s": small})
        print(json.dumps(pruned[-1]), flush=True)
    meta = {
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_before_after": [load_before, os.getloadavg()[0]],
        "python": sys.version.split()[0],
        "backends": {b: pf.get_backend(b).version() for b in backends},
        "reps": args.reps,
    }
    RESULTS.mkdir(exist_ok=True)
    out = {"meta": meta, "inference": rows, "structured_pruning": pruned}
    (RESULTS / "compress_int8.json").write_text(json.dumps(out, indent=2))
    lines = [
        "# float32 vs int8 inference, dense vs pruned training (benchmarks/compress_int8.py)",
        "",
        f"{meta['machine']}, {meta['cpus']} CPUs, load average {load_before:.1f} -> "
        f"{meta['load_average_before_after'][1]:.1f}; {', '.join(meta['backends'].values())}",
        "",
        "Latency: fastest of the calls (median in the JSON), milliseconds per batch.",
        "",
        "| backend | model | variant | bytes | test acc | ms @1 | ms @128 |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['backend']} | {r['model']} | {r['variant']} | {r['bytes']:,} | "
            f"{r['test_accuracy']:.4f} | {r['ms_batch1']:.3f} | {r['ms_batch128']:.3f} |"
        )
    lines += [
        "",
        "| backend | CNN epoch (s) | 50% channels pruned + shrunk (s) |",
        "|---|---:|---:|",
    ]
    for p in pruned:
        lines.append(f"| {p['backend']} | {p['dense_epoch_s']:.3f} | {p['pruned50_epoch_s']:.3f} |")
    (RESULTS / "compress_int8.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
