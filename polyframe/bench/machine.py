"""The machine a run measured: CPU, cores, load, and its float32 matmul peak."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from polyframe.bench import allocator


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else ``platform``)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> list[float]:
    """1, 5 and 15-minute load averages (empty where the OS has none)."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return []


def matmul_peak_gflops(n: int = 1024, repeats: int = 10) -> float:
    """Best float32 GFLOP/s of an ``n x n`` matmul (numpy's BLAS, all its threads)."""
    rng = np.random.default_rng(0)
    a = rng.random((n, n), dtype=np.float32)
    b = rng.random((n, n), dtype=np.float32)
    a @ b  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def describe(threads: int) -> dict[str, Any]:
    """CPU model, cores, the thread count used, OS and Python versions, load now."""
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count() or 1,
        "threads": threads,
        "allocator": allocator.describe(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "load_before": load_average(),
    }
