"""One thread count for every framework: ``pf.set_threads(n)``, ``polyframe train --threads N``
or ``POLYFRAME_THREADS=N``.

By default torch, TensorFlow, XLA and the BLAS under numpy each start one intra-op thread per
core. On a machine that is busy with other jobs that oversubscribes the cores, and small steps
pay for it many times over (docs/footprint.md#threads). ``n`` sets the intra-op pools of torch
and TensorFlow and the OpenMP / MKL / OpenBLAS pools to ``n`` threads, and the inter-op pools
of torch and TensorFlow to ``n`` as well. Before a framework is loaded this is done through the
environment variables it reads at start-up (so worker processes inherit it); after, through its
own API where it still takes effect. XLA on CPU (JAX) has no thread-count setting: it keeps one
thread per core (pin the process with ``taskset`` to limit it).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from polyframe.errors import ConfigError

#: The setting, in the environment so that subprocesses inherit it.
THREADS_ENV = "POLYFRAME_THREADS"
#: Variables read at start-up by OpenMP (torch), MKL and OpenBLAS (numpy), and TensorFlow.
ENV_VARS = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)


def _check(value: Any, where: str) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = 0
    if n < 1 or str(value).strip() != str(n):
        raise ConfigError(f"{where} must be a positive whole number of threads, got {value!r}")
    return n


def get_threads() -> int | None:
    """The thread count set for this process (``POLYFRAME_THREADS``), or None: frameworks'
    defaults."""
    raw = os.environ.get(THREADS_ENV, "").strip()
    return _check(raw, THREADS_ENV) if raw else None


def before_import() -> None:
    """Write the setting into the variables a framework reads when it loads (backends call
    this right before importing their framework)."""
    n = get_threads()
    if n is not None:
        for var in ENV_VARS:
            os.environ[var] = str(n)


def after_import(framework: str) -> None:
    """Apply the setting through ``framework``'s API (it is already imported)."""
    n = get_threads()
    if n is None:
        return
    if framework == "torch":
        import torch

        torch.set_num_threads(n)
        try:
            torch.set_num_interop_threads(n)
        except RuntimeError:  # only before the first inter-op work; the env var covered it
            pass
    elif framework == "tensorflow":
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(n)
            tf.config.threading.set_inter_op_parallelism_threads(n)
        except RuntimeError:  # TF's runtime already started: its env variables applied, or not
            pass


def set_threads(n: int) -> None:
    """Use ``n`` threads per pool in every framework of this process (and its subprocesses)."""
    os.environ[THREADS_ENV] = str(_check(n, "threads"))
    before_import()
    for framework in ("torch", "tensorflow"):
        if framework in sys.modules:
            after_import(framework)


def describe() -> dict[str, Any]:
    """The setting and what each loaded framework uses now (intra-op, inter-op threads)."""
    out: dict[str, Any] = {"setting": get_threads(), "cores": os.cpu_count()}
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        out["torch"] = [torch.get_num_threads(), torch.get_num_interop_threads()]
    if "tensorflow" in sys.modules:
        tf = sys.modules["tensorflow"]
        out["tensorflow"] = [
            tf.config.threading.get_intra_op_parallelism_threads() or "default",
            tf.config.threading.get_inter_op_parallelism_threads() or "default",
        ]
    if "jax" in sys.modules:
        out["jax"] = "XLA default (one per core)"
    return out


def describe_line() -> str:
    """:func:`describe` as one line for ``polyframe info``."""
    d = describe()
    setting = f"{d['setting']} (POLYFRAME_THREADS)" if d["setting"] else "framework defaults"
    parts = [
        f"{name} {v[0]} intra-op / {v[1]} inter-op"
        for name in ("torch", "tensorflow")
        if isinstance(v := d.get(name), list)
    ]
    if "jax" in d:
        parts.append(f"jax {d['jax']}")
    return f"threads: {setting}, {d['cores']} cores" + (f"; {', '.join(parts)}" if parts else "")
