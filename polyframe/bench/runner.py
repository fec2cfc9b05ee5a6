"""The benchmark runner: every (implementation, suite, backend) in its own worker process,
windows interleaved across implementations, ratios taken within one run.

For one suite on one backend, the workers (two per implementation, started in mirrored order
A B C .. C B A) are set up one after the other (so the first step, which compiles, is timed on
a quiet machine); then warm-up windows; then ``rounds`` rounds, each timing one window of every
implementation, in an order rotated every round, on the first replicas in even rounds and the
second in odd ones.
"""

from __future__ import annotations

import datetime as _dt
import math
import time
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from polyframe.bench import machine
from polyframe.bench.baselines import ENV as BASELINES_ENV
from polyframe.bench.baselines import find_baselines
from polyframe.bench.flops import train_step_flops
from polyframe.bench.stats import ratio, step_stats
from polyframe.bench.suites import Suite, get_suites
from polyframe.bench.threads import default_threads
from polyframe.bench.worker_client import WorkerProcess
from polyframe.errors import BenchError, ConfigError

SCHEMA = "polyframe.bench/1"
#: What ``against`` may name; ``native`` is an alias of ``docs``.
AGAINST = ("docs", "tuned", "keras")
#: The first-step loss every implementation must match (absolute, vs the numpy reference).
LOSS_TOLERANCE = 1e-5
#: Worker processes per implementation (started in mirrored order; rounds alternate them).
REPLICAS = 2
#: Targets from BENCHMARKS.md: polyframe / other median step-time ratio at most this.
TARGETS = {"tuned": 1.05, "docs": 1.05, "keras": 1.0}


def parse_against(against: str | Iterable[str]) -> list[str]:
    """Validated comparison names, ``native`` mapped to ``docs``, order kept, no repeats."""
    names = against.split(",") if isinstance(against, str) else list(against)
    out: list[str] = []
    for name in (n.strip().lower() for n in names if n.strip()):
        name = "docs" if name == "native" else name
        if name not in AGAINST:
            raise ConfigError(f"unknown --against {name!r}; choose from native, tuned, keras")
        if name not in out:
            out.append(name)
    return out


def reference_loss(suite: Suite, seed: int) -> float:
    """Softmax cross-entropy of batch 0 under the canonical initial weights, in numpy."""
    from polyframe.init import init_params
    from polyframe.reference import forward

    spec = suite.spec()
    x, y = suite.data(1, seed)
    # training mode, as in a training step: batch norm uses the batch's statistics
    logits = forward(spec, init_params(spec, seed), x, training=True).astype(np.float64)
    logits -= logits.max(axis=1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(y)), y].mean())


def resolve_backends(choice: str | Iterable[str]) -> list[str]:
    """Backend names: ``all`` means every usable one (torch, tensorflow, jax order)."""
    from polyframe.backend import backend_status, canonical_name, list_backends

    names = choice.split(",") if isinstance(choice, str) else list(choice)
    if names == ["all"]:
        found = [n for n in ("torch", "tensorflow", "jax") if n in list_backends()]
        found += [n for n in list_backends() if n not in found]
        out = [n for n in found if backend_status(n)[0]]
        if not out:
            raise ConfigError("no backend is usable; install one with pip install 'polyframe[all]'")
        return out
    out = []
    for name in names:
        ok, why = backend_status(canonical_name(name.strip()))
        if not ok:
            raise ConfigError(f"backend {name.strip()!r} cannot be benchmarked: {why}")
        out.append(canonical_name(name.strip()))
    return out


def _available(impl: str) -> bool:
    import importlib.util

    if impl == "keras":
        return importlib.util.find_spec("keras") is not None
    return True


def run_group(
    suite: Suite,
    backend: str,
    impls: list[str],
    rounds: int,
    warmup_steps: int,
    threads: int,
    seed: int,
    baselines: Path | None,
    peak_gflops: float,
    steps: int | None = None,
    log: Any = print,
) -> dict[str, Any]:
    """Benchmark ``impls`` (``polyframe`` first) of one suite on one backend; a window is
    ``steps`` steps (default: the suite's)."""
    steps = steps or suite.steps_per_window
    ref_loss = reference_loss(suite, seed)
    flops = train_step_flops(suite.spec(), suite.batch_size)
    # Two worker processes per implementation, started in the order A B C .. C B A: a
    # process's start position biases its speed by a few percent on a shared machine
    # (measured: the same native loop in two processes, 1.03 or 0.95 depending only on which
    # started first), so each round pairs replicas from mirrored positions.
    order = [*((name, 0) for name in impls), *((name, 1) for name in reversed(impls))]
    workers: dict[tuple[str, int], WorkerProcess] = {}
    setups: dict[str, dict[str, Any]] = {}
    windows: dict[str, list[float]] = {name: [] for name in impls}
    cpu: dict[str, list[float]] = {name: [] for name in impls}
    try:
        for name, replica in order:
            log(f"  {suite.name}/{backend}: starting {name} ({replica + 1}/{REPLICAS})")
            worker = workers[name, replica] = WorkerProcess(
                name, suite.name, backend, threads, seed, str(baselines or ""), steps
            )
            setup = worker.ask("setup")
            setups.setdefault(name, setup)
            diff = abs(setup["first_loss"] - ref_loss)
            if not diff <= LOSS_TOLERANCE:
                raise BenchError(
                    f"{name} on {backend} ({suite.name}): first-step loss "
                    f"{setup['first_loss']:.8f} differs from the numpy reference "
                    f"{ref_loss:.8f} by {diff:.2e} (> {LOSS_TOLERANCE}); the implementations "
                    "do not train the same model, so their times are not comparable"
                )
            for _ in range(max(1, math.ceil(warmup_steps / steps))):
                worker.ask("window")
        for r in range(rounds):
            rotated = impls[r % len(impls) :] + impls[: r % len(impls)]
            for name in rotated:
                answer = workers[name, r % REPLICAS].ask("window")
                windows[name].append(answer["s"])
                cpu[name].append(answer["cpu_s"])
                time.sleep(0.05)  # let the last worker's spinning threads go idle
        finals = {key: w.ask("finish") for key, w in workers.items()}
    finally:
        for w in workers.values():
            w.close()
    results = {}
    for name in impls:
        s = setups[name]
        results[name] = {
            "version": s["version"],
            "device": s["device"],
            "build_s": s["build_s"],
            "first_step_s": s["first_step_s"],
            "first_loss": s["first_loss"],
            "loss_diff": abs(s["first_loss"] - ref_loss),
            "peak_rss_mb": max(finals[name, i]["peak_rss_mb"] for i in range(REPLICAS)),
            "windows_s": windows[name],
            "windows_cpu_s": cpu[name],
            **step_stats(windows[name], steps, suite.batch_size, flops, peak_gflops),
            "cpu_step_ms": step_stats(cpu[name], steps, 1, 0, 0)["step_ms"],
        }
    ratios = {f"polyframe/{o}": ratio(windows["polyframe"], windows[o]) for o in impls[1:]}
    cpu_ratios = {f"polyframe/{o}": ratio(cpu["polyframe"], cpu[o]) for o in impls[1:]}
    return {
        "suite": suite.name,
        "backend": backend,
        "batch_size": suite.batch_size,
        "steps_per_window": steps,
        "flops_per_step": flops,
        "reference_loss": ref_loss,
        "implementations": results,
        "ratios": ratios,
        "cpu_ratios": cpu_ratios,
        "targets": {
            f"polyframe/{o}": {
                "max": TARGETS[o],
                "met": ratios[f"polyframe/{o}"]["median"] <= TARGETS[o],
            }
            for o in impls[1:]
        },
    }


def run(
    suite: str | list[str] = "all",
    backend: str = "all",
    against: str | Iterable[str] = ("docs", "tuned", "keras"),
    rounds: int = 8,
    warmup_steps: int = 20,
    threads: int | None = None,
    seed: int = 0,
    baselines: str | Path | None = None,
    extras: bool = True,
    steps: int | None = None,
    log: Any = print,
) -> dict[str, Any]:
    """Run the benchmark and return its result (the JSON document of docs/benchmarks.md).

    ``suite``/``backend``: names, comma-separated, or ``all``; ``against``: any of ``native``
    (= ``docs``), ``tuned``, ``keras``; ``rounds`` timed windows per implementation of
    ``steps`` steps each (default: the suite's); ``threads`` per framework (default: cores);
    ``extras`` adds ``import polyframe`` time and digits time-to-97%. ``baselines``: the
    directory of the native loops (default: ``$POLYFRAME_BASELINES``, else the installed
    ``polyframe_baselines`` package); with none, polyframe is timed alone after a notice.

    >>> result = pf.bench.run(suite="mlp", backend="torch", against="tuned")  # doctest: +SKIP
    >>> result["groups"][0]["ratios"]["polyframe/tuned"]["median"]            # doctest: +SKIP
    """
    if not isinstance(rounds, int) or rounds < 1:
        raise ConfigError(f"rounds must be a positive int, got {rounds!r}")
    suites = get_suites(suite)
    others = parse_against(against)
    backends = resolve_backends(backend)
    base_dir = find_baselines(baselines) if others else None
    if others and base_dir is None:
        log(
            "polyframe bench: no native baselines found (the polyframe_baselines package, "
            f"--baselines DIR or ${BASELINES_ENV}); timing polyframe alone"
        )
        others = []
    threads = threads or default_threads()
    info = machine.describe(threads)
    peak = machine.matmul_peak_gflops()
    started = time.perf_counter()
    groups = []
    for s in suites:
        for b in backends:
            impls = ["polyframe", *[o for o in others if o in s.references and _available(o)]]
            groups.append(
                run_group(
                    s, b, impls, rounds, warmup_steps, threads, seed, base_dir, peak, steps, log
                )
            )
    info["matmul_peak_gflops"] = max(peak, machine.matmul_peak_gflops())
    info["load_after"] = machine.load_average()
    result: dict[str, Any] = {
        "schema": SCHEMA,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": info,
        "config": {
            "suites": [s.name for s in suites],
            "backends": backends,
            "against": others,
            "rounds": rounds,
            "warmup_steps": warmup_steps,
            "seed": seed,
            "steps": steps,
        },
        "groups": groups,
    }
    if extras:
        from polyframe.bench.end_to_end import import_time, train_to_accuracy

        result["import"] = import_time()
        result["train"] = [train_to_accuracy(b, threads) for b in backends]
    result["elapsed_s"] = time.perf_counter() - started
    return result
