"""``polyframe train --devices N`` (and ``--nnodes/--node-rank/--master-addr/--master-port``):
data-parallel training from the command line.

torch starts one worker process per device through torch's elastic launcher, each worker
re-running this command; JAX and TensorFlow train in one child process over all the host's
devices (one per host with several hosts), which this command watches. Every process runs the same recipe as a one-device
``polyframe train`` (``polyframe.recipe``); rank 0 alone prints, writes the JSON and the
checkpoints (the ordinary checkpoint format).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

from polyframe.distributed import (
    Plan,
    check_batch,
    check_devices,
    launched_env,
    prepare_environment,
    setup,
)
from polyframe.errors import ConfigError


def add_arguments(t: argparse.ArgumentParser) -> None:
    """The data-parallel options of ``polyframe train``."""
    g = t.add_argument_group("data parallel (docs/distributed.md)")
    g.add_argument("--devices", type=int, help="devices per host: data-parallel workers")
    g.add_argument("--nnodes", type=int, default=1, help="hosts in the job (default 1)")
    g.add_argument("--node-rank", type=int, default=0, help="this host's rank (0 = master)")
    g.add_argument("--master-addr", default="127.0.0.1", help="address of host 0")
    g.add_argument("--master-port", type=int, help="port on host 0 (default: a free one)")
    # --checkpoint-dir / --resume are the checkpoint options (polyframe/cli_checkpoint.py):
    # the same format with or without --devices; in data-parallel mode rank 0 writes them.


def wants_distributed(args: argparse.Namespace) -> bool:
    """True when this ``train`` is a data-parallel run (or a launched worker of one)."""
    return not (args.devices is None and args.nnodes == 1 and launched_env() is None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: Backends whose engine drives all of a host's devices from one process: the command runs
#: that process as a child and watches it, as torch's launcher watches its workers.
IN_PROCESS_ENGINES = ("jax", "tensorflow")
#: Set in the watched child (it then trains instead of starting another child).
WORKER_ENV = "POLYFRAME_DP_WORKER"


def _supervise(backend: str, argv: list[str]) -> int:
    """Run this command's training in a child process; when the child dies of a signal, say
    so in one line and return 1 (its own errors and exit status pass through)."""
    import signal
    import subprocess

    env = {**os.environ, WORKER_ENV: "1"}
    child = subprocess.Popen([sys.executable, "-m", "polyframe.cli", *argv], env=env)
    try:
        status = child.wait()
    except KeyboardInterrupt:
        child.send_signal(signal.SIGINT)
        status = child.wait()
    if status < 0:
        name = signal.Signals(-status).name
        print(
            f"polyframe: error: the {backend} worker process (pid {child.pid}) was killed by "
            f"{name}. Rerun with --resume to continue from the last checkpoint",
            file=sys.stderr,
        )
        return 1
    return status


def train_distributed(args: argparse.Namespace, argv: list[str]) -> int:
    """Launch workers (torch) or train here on this host's devices (JAX, TensorFlow)."""
    from polyframe.backend import canonical_name, get_backend

    if args.backend == "all":
        raise ConfigError(
            "--devices trains on one backend; pass --backend torch, tensorflow or jax"
        )
    if args.resume and not args.checkpoint_dir:
        raise ConfigError("--resume needs --checkpoint-dir (where the checkpoints are)")
    port = args.master_port
    if port is None:
        port = _free_port() if args.nnodes == 1 else 29500
    plan = Plan(args.devices, args.nnodes, args.node_rank, args.master_addr, port)
    if launched_env() is None:
        name = canonical_name(args.backend)
        prepare_environment(name, plan)  # before the framework loads
        if name in IN_PROCESS_ENGINES and os.environ.get(WORKER_ENV) is None:
            return _supervise(name, argv)
        engine = get_backend(args.backend).data_parallel()
        if engine.process_per_device:  # check everything here, then start the workers
            # the most fundamental check first: are there that many devices at all?
            check_devices(plan.devices or 1, *engine.available_devices())
            if plan.devices is not None:
                check_batch(args.batch_size, plan.devices * plan.nnodes)
            return engine.launch(["-m", "polyframe.cli", *argv], plan)
    _engine, topo = setup(args.backend, plan=plan)
    check_batch(args.batch_size, topo.world)
    return _train_here(args, topo)


def _train_here(args: argparse.Namespace, topo: Any) -> int:
    """This process's part of the job: the same recipe as one device, placed over the
    workers; rank 0 prints the table, writes the JSON, and (after a barrier) the checkpoints."""
    import polyframe as pf
    from polyframe.cli_checkpoint import checkpointing
    from polyframe.models import mlp
    from polyframe.recipe import print_table, train_one

    data = pf.data.load_train_test(args.data, data_dir=args.data_dir, download=args.download)
    (x_train, y_train), (x_test, y_test) = data
    if args.spec:  # (its targets may be a dict by output name: polyframe/multi_io.py)
        spec = pf.load_spec(args.spec)
    else:
        spec = mlp(x_train.shape[1:], classes=int(max(y_train.max(), y_test.max())) + 1)
    callbacks, resume_from = checkpointing(args, args.backend, announce=topo.is_main)
    row = train_one(
        args.backend,
        spec,
        data,
        args,
        callbacks=callbacks,
        resume_from=resume_from,
        strategy="data_parallel",
        devices=topo.local_devices,
    )
    if not row.pop("is_main"):
        return 0
    row.update(workers=topo.world, processes=topo.processes)
    print_table([row], f"polyframe train: {args.spec or 'mlp'} on {args.data}")
    print(f"data parallel: {topo.world} worker(s) in {topo.processes} process(es)")
    if args.json_path:
        keep = {k: v for k, v in vars(args).items() if k not in ("func", "argv")}
        Path(args.json_path).write_text(json.dumps({"args": keep, "runs": [row]}, indent=2))
    return 0
