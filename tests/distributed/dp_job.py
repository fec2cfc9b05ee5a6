"""A small data-parallel training job the tests run in subprocesses (and in-process as the
1-worker reference). It records the loss of every step, the example ids each process trained
on, and the final parameters.

    python tests/distributed/dp_job.py --backend torch --devices 2 --out DIR
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

import polyframe as pf
from polyframe.distributed import Plan, launched_env, prepare_environment, setup

N, BATCH, EPOCHS = 33, 16, 7  # 3 steps per epoch (16, 16, 1): 21 steps, a ragged last batch
ID_SCALE = 64.0  # feature 0 is id / 64: exact in float32, small enough to train on


def dataset(n: int = N) -> tuple[np.ndarray, np.ndarray]:
    """Features whose column 0 encodes the example id; 3 classes."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 6)).astype(np.float32)
    x[:, 0] = np.arange(n) / ID_SCALE
    y = (x[:, 1] + x[:, 2] > 0).astype(np.int64) + (x[:, 3] > 1).astype(np.int64)
    return x, y


def spec() -> pf.Sequential:
    L = pf.layers
    return pf.Sequential([L.Input((6,)), L.Dense(16, activation="relu"), L.Dense(3)])


class StepLosses(pf.callbacks.Callback):
    """The mean loss of each step (reads the accumulators every step: test use only)."""

    def __init__(self) -> None:
        self.losses: list[float] = []

    def on_train_batch_end(self, step: int, logs: dict | None = None) -> None:
        self.losses.append(self.trainer.steps.results("train")["loss"])


def run(backend: str, devices: int | None, out: Path, epochs: int = EPOCHS) -> dict:
    """Train; return (and on rank 0 write) the step losses and final parameters."""
    x, y = dataset()
    model = pf.build(spec(), backend=backend, seed=3)
    strategy = "data_parallel" if devices else None
    trainer = pf.Trainer(model, optimizer=pf.optim.SGD(0.1, momentum=0.9), strategy=strategy)
    seen: list[list[int]] = []
    if strategy:  # record the ids of the real (weight 1) rows this process trains on
        steps, train = trainer.steps, trainer.steps.train

        def recording(xb, yb, w, n, lr):
            seen.append(sorted(np.rint(xb[w > 0, 0] * ID_SCALE).astype(int).tolist()))
            train(xb, yb, w, n, lr)

        steps.train = recording
    losses = StepLosses()
    trainer.fit(x, y, batch_size=BATCH, epochs=epochs, seed=5, callbacks=[losses])
    result = {"losses": losses.losses, "params": {k: v.tolist() for k, v in model.params().items()}}
    out.mkdir(parents=True, exist_ok=True)
    rank = trainer._dp.topology.rank if strategy else 0
    (out / f"ids_rank{rank}.json").write_text(json.dumps(seen))
    if trainer.is_main:
        (out / "result.json").write_text(json.dumps(result))
    return result


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--backend", required=True)
    p.add_argument("--devices", type=int)
    p.add_argument("--nnodes", type=int, default=1)
    p.add_argument("--node-rank", type=int, default=0)
    p.add_argument("--port", type=int, default=29500)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    plan = Plan(args.devices, args.nnodes, args.node_rank, "127.0.0.1", args.port)
    if args.devices:
        prepare_environment(args.backend, plan)
        engine = pf.get_backend(args.backend).data_parallel()
        if engine.process_per_device and launched_env() is None:
            return engine.launch([__file__, *argv], plan)
        setup(args.backend, plan=plan)
    run(args.backend, args.devices, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
