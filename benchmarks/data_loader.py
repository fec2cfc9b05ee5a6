"""Data loader speed: raw Loader throughput, and its cost inside training.

    python benchmarks/data_loader.py                    # torch backend
    python benchmarks/data_loader.py --backend jax --examples 20000

1. Throughput: MNIST-shaped batches (128, 28, 28, 1) float32, shuffled, from a Loader over
   in-memory arrays (with and without the prefetch thread, and with crop+flip augmentation).
   Target: >= 20,000 samples/s.
2. Training: per-epoch time of ``pf.Trainer.fit`` on the MNIST MLP (784-512-512-10, Adam)
   fed by a Loader, against the same batches materialized in memory beforehand (same order).
   Epochs of the variants are interleaved, the order rotated (A B C, B C A, ...), so machine
   noise and the model's own slow-down as it trains hit all alike.
   Target: loader / in-memory <= 1.05 (``ratio``: median of per-repeat ratios; ``best``:
   fastest epoch over fastest epoch, the estimate least hurt by a shared, noisy machine).

Data is synthetic (random pixels, no download). Results go to
benchmarks/results/data_loader.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np

import polyframe as pf

RESULTS = Path(__file__).resolve().parent / "results" / "data_loader.json"
SHAPE = (28, 28, 1)


class InMemoryBatches(pf.data.Loader):
    """The baseline: every batch of the Loader's epoch 0 built beforehand, served as is."""

    def __init__(self, loader: pf.data.Loader) -> None:
        vars(self).update(vars(loader))
        self.prefetch = 0
        self.cached = [(np.array(xb), np.array(yb)) for xb, yb in loader._batches(0)]

    def epoch(self, epoch: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        return iter(self.cached)


def synthetic(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, size=(n, *SHAPE), dtype=np.uint8).astype(np.float32) / 255
    return x, rng.integers(0, 10, size=n).astype(np.int64)


def throughput(x: np.ndarray, y: np.ndarray, batch: int, repeats: int) -> dict[str, Any]:
    """Samples/s of iterating whole shuffled epochs (median over ``repeats`` epochs)."""
    variants = {
        "shuffle": {},
        "shuffle+prefetch2": {"prefetch": 2},
        "shuffle+crop+flip": {"transforms": [pf.data.RandomCrop(padding=2), pf.data.RandomFlip()]},
    }
    out = {}
    for name, kw in variants.items():
        loader = pf.data.Loader(x, y, batch_size=batch, seed=0, **kw)
        rates = []
        for epoch in range(repeats):
            start = time.perf_counter()
            n = sum(len(xb) for xb, _ in loader.epoch(epoch))
            rates.append(n / (time.perf_counter() - start))
        out[name] = {
            "samples_per_s": statistics.median(rates),
            "min": min(rates),
            "max": max(rates),
            "batches_per_epoch": len(loader),
        }
    return out


def training(
    backend: str, x: np.ndarray, y: np.ndarray, batch: int, repeats: int
) -> dict[str, Any]:
    """Per-epoch fit time from a Loader vs from pre-built batches, interleaved."""
    model = pf.build(pf.models.mlp(input_shape=SHAPE, hidden=(512, 512)), backend=backend, seed=0)
    trainer = pf.Trainer(model, optimizer=pf.optim.Adam(1e-3), loss="cross_entropy")
    plain = pf.data.Loader(x, y, batch_size=batch, seed=0)
    variants = {
        "in_memory": InMemoryBatches(plain),
        "loader": plain,
        "loader+prefetch2": pf.data.Loader(x, y, batch_size=batch, seed=0, prefetch=2),
    }
    trainer.fit(variants["in_memory"], epochs=1)  # warm-up: compile, allocator, oneDNN
    times: dict[str, list[float]] = {k: [] for k in variants}
    names = list(variants)
    for r in range(repeats):
        # the order rotates (A B C, B C A, ...): the model keeps training, and its steps slow
        # down as it goes (on torch, denormal floats appear), which must not favour a position
        for name in names[r % len(names) :] + names[: r % len(names)]:
            trainer.fit(variants[name], epochs=1)
            times[name].append(trainer.timing["train_s"])
    base = times["in_memory"]
    return {
        name: {
            "epoch_s": statistics.median(t),
            "min": min(t),
            "max": max(t),
            # epochs run back to back (A B C) see the same load: compare them pairwise
            "ratio_vs_in_memory": statistics.median(a / b for a, b in zip(t, base, strict=True)),
            # noise only adds time: the best epochs are the least disturbed
            "ratio_best_vs_best": min(t) / min(base),
            "steps_per_epoch": len(variants[name]),
        }
        for name, t in times.items()
    }


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "polyframe": pf.__version__,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", default="torch", help="torch, tensorflow or jax")
    p.add_argument("--examples", type=int, default=60000, help="examples per epoch")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--repeats", type=int, default=5, help="epochs per variant")
    p.add_argument("--skip-training", action="store_true", help="throughput only")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)

    x, y = synthetic(args.examples)
    result: dict[str, Any] = {
        "machine": machine(),
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "targets": {"loader_samples_per_s": 20000, "train_ratio_vs_in_memory": 1.05},
        "throughput": throughput(x, y, args.batch_size, args.repeats),
    }
    print(f"Loader throughput, batches ({args.batch_size}, 28, 28, 1), {args.examples} examples")
    print(f"  {'variant':<22}{'samples/s':>12}{'min':>12}{'max':>12}")
    for name, r in result["throughput"].items():
        print(f"  {name:<22}{r['samples_per_s']:>12,.0f}{r['min']:>12,.0f}{r['max']:>12,.0f}")
    if not args.skip_training:
        be = pf.get_backend(args.backend)
        result["machine"]["backend"] = f"{be.name} {be.version()}"
        result["training"] = training(be.name, x, y, args.batch_size, args.repeats)
        print(f"MLP 784-512-512-10 training on {be.name}, per epoch (median of {args.repeats})")
        print(f"  {'variant':<22}{'epoch s':>10}{'min':>10}{'max':>10}{'ratio':>8}{'best':>8}")
        for name, r in result["training"].items():
            print(
                f"  {name:<22}{r['epoch_s']:>10.3f}{r['min']:>10.3f}{r['max']:>10.3f}"
                f"{r['ratio_vs_in_memory']:>8.3f}{r['ratio_best_vs_best']:>8.3f}"
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return result


if __name__ == "__main__":
    main()
