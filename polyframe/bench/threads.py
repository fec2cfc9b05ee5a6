"""Fix the thread count of a worker process before its framework is imported."""

from __future__ import annotations

import os

#: Environment variables read by OpenMP (torch), MKL/OpenBLAS and TensorFlow at start-up.
THREAD_VARS = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
)


def thread_env(threads: int) -> dict[str, str]:
    """The environment that pins every framework's intra-op pool to ``threads`` threads.

    JAX (XLA on CPU) has no such setting; it uses one thread per core, so the runner's default
    thread count is the core count, which keeps all implementations alike.
    """
    env = dict.fromkeys(THREAD_VARS, str(threads))
    env["TF_NUM_INTEROP_THREADS"] = "1"
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    return env


def apply_in_process(framework: str, threads: int) -> None:
    """After import: set what the environment cannot (torch's intra-op pool)."""
    if framework == "torch":
        import torch

        torch.set_num_threads(threads)


def default_threads() -> int:
    """The machine's core count (what every framework uses by default)."""
    return os.cpu_count() or 1
