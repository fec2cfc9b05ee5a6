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
import itertools
import math
import statistics
import time
from dataclasses import dataclass
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
from polyframe.errors import BenchError, ConfigError, SpecError

SCHEMA = "polyframe.bench/1"
#: What ``against`` may name; ``native`` is an alias of ``docs``.
AGAINST = ("docs", "tuned", "keras")
#: The first-step loss every implementation must match (absolute, vs the numpy reference).
LOSS_TOLERANCE = 1e-5
#: Worker processes per implementation (started in mirrored order; rounds alternate them)
#: when implementations are compared; polyframe timed alone (a user's spec) runs in one.
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
    from polyframe.backend import backend_status, canonical_name, usable_backends

    names = choice.split(",") if isinstance(choice, str) else list(choice)
    if names == ["all"]:
        return usable_backends()
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


@dataclass(frozen=True)
class Plan:
    """What every group of one run shares: timing settings and where things are."""

    rounds: int
    warmup_steps: int
    threads: int
    seed: int
    baselines: Path | None
    peak_gflops: float
    steps: int | None = None
    log: Any = print
    replicas: int = REPLICAS


def _reference(suite: Suite, seed: int) -> tuple[float | None, str]:
    """The numpy reference loss and how the first losses are checked. A user's spec the
    reference cannot train (dropout has no reference mask) is timed unchecked."""
    try:
        return reference_loss(suite, seed), "numpy reference"
    except SpecError as exc:
        if suite.references:
            raise
        return None, f"skipped: {exc}"


def _check_loss(name: str, backend: str, suite: Suite, loss: float, ref_loss: float | None) -> None:
    if ref_loss is None:
        return
    diff = abs(loss - ref_loss)
    if not diff <= LOSS_TOLERANCE:
        raise BenchError(
            f"{name} on {backend} ({suite.name}): first-step loss {loss:.8f} differs from "
            f"the numpy reference {ref_loss:.8f} by {diff:.2e} (> {LOSS_TOLERANCE}); the "
            "implementations do not train the same model, so their times are not comparable"
        )


def _replicas(impls: list[str], plan: Plan) -> int:
    """Workers per implementation: ``plan.replicas`` when implementations are compared,
    else 1."""
    return min(plan.replicas, REPLICAS) if len(impls) > 1 else 1


def _start_workers(
    suite: Suite, backend: str, impls: list[str], plan: Plan, steps: int,
    ref_loss: float | None, workers: dict[tuple[str, int], WorkerProcess],
) -> dict[str, dict[str, Any]]:  # fmt: skip
    """Start ``_replicas`` workers per implementation into ``workers``, in the order
    A B C .. C B A (a process's start position biases its speed by a few percent on a shared
    machine: the same native loop in two processes measured 1.03 or 0.95 depending only on
    which started first, so each round pairs replicas from mirrored positions); set each up
    (its first step checked against the reference loss) and warm it up. Returns the first
    replica's setup answer per implementation."""
    order = [*((name, 0) for name in impls), *((name, 1) for name in reversed(impls))]
    order = order[: _replicas(impls, plan) * len(impls)]
    setups: dict[str, dict[str, Any]] = {}
    for name, replica in order:
        plan.log(
            f"  {suite.name}/{backend}: starting {name} ({replica + 1}/{_replicas(impls, plan)})"
        )
        worker = workers[name, replica] = WorkerProcess(
            name, suite.name, backend, plan.threads, plan.seed, str(plan.baselines or ""), steps
        )
        setup = setups.setdefault(name, worker.ask("setup"))
        _check_loss(name, backend, suite, setup["first_loss"], ref_loss)
        for _ in range(max(1, math.ceil(plan.warmup_steps / steps))):
            worker.ask("window")
    return setups


def _timed_rounds(
    impls: list[str], plan: Plan, workers: dict[tuple[str, int], WorkerProcess]
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and CPU seconds of ``rounds`` windows per implementation, the order rotated every
    round and the replicas alternated."""
    windows: dict[str, list[float]] = {name: [] for name in impls}
    cpu: dict[str, list[float]] = {name: [] for name in impls}
    for r in range(plan.rounds):
        for name in impls[r % len(impls) :] + impls[: r % len(impls)]:
            answer = workers[name, r % _replicas(impls, plan)].ask("window")
            windows[name].append(answer["s"])
            cpu[name].append(answer["cpu_s"])
            time.sleep(0.05)  # let the last worker's spinning threads go idle
    return windows, cpu


def _impl_result(
    setup: dict[str, Any], peak_rss: float, wall: list[float], cpu: list[float],
    ref_loss: float, stats: Any, steps: int,
) -> dict[str, Any]:  # fmt: skip
    """One implementation's entry of a group (``stats(wall)``: its step-time statistics)."""
    return {
        **{k: setup[k] for k in ("version", "device", "build_s", "first_step_s", "first_loss")},
        "loss_diff": abs(setup["first_loss"] - ref_loss),
        "peak_rss_mb": peak_rss,
        "windows_s": wall,
        "windows_cpu_s": cpu,
        **stats(wall),
        "cpu_step_ms": step_stats(cpu, steps, 1, 0, 0)["step_ms"],
    }


def overhead_us(a: list[float], b: list[float], steps: int) -> dict[str, float]:
    """Microseconds per step that ``a`` adds to ``b``: the median of per-round (paired)
    differences, and the difference of the medians."""
    paired = [1e6 * (x - y) / steps for x, y in zip(a, b, strict=True)]
    return {
        "median": statistics.median(paired),
        "of_medians": 1e6 * (statistics.median(a) - statistics.median(b)) / steps,
    }


def run_group(suite: Suite, backend: str, impls: list[str], plan: Plan) -> dict[str, Any]:
    """Benchmark ``impls`` (``polyframe`` first) of one suite on one backend; a window is
    ``plan.steps`` steps (default: the suite's)."""
    steps = plan.steps or suite.steps_per_window
    ref_loss, check = _reference(suite, plan.seed)
    flops = train_step_flops(suite.spec(), suite.batch_size)
    workers: dict[tuple[str, int], WorkerProcess] = {}
    try:
        setups = _start_workers(suite, backend, impls, plan, steps, ref_loss, workers)
        ref_loss = setups["polyframe"]["first_loss"] if ref_loss is None else ref_loss
        windows, cpu = _timed_rounds(impls, plan, workers)
        finals = {key: w.ask("finish") for key, w in workers.items()}
    finally:
        for w in workers.values():
            w.close()

    def stats(wall: list[float]) -> dict[str, Any]:
        return step_stats(wall, steps, suite.batch_size, flops, plan.peak_gflops)

    results = {}
    for name in impls:
        rss = max(finals[name, i]["peak_rss_mb"] for i in range(_replicas(impls, plan)))
        results[name] = _impl_result(
            setups[name], rss, windows[name], cpu[name], ref_loss, stats, steps
        )
    others = impls[1:]
    ratios = {f"polyframe/{o}": ratio(windows["polyframe"], windows[o]) for o in others}
    return {
        "suite": suite.name,
        "backend": backend,
        "batch_size": suite.batch_size,
        "steps_per_window": steps,
        "flops_per_step": flops,
        "reference_loss": ref_loss,
        "loss_check": check,
        "implementations": results,
        "ratios": ratios,
        "cpu_ratios": {f"polyframe/{o}": ratio(cpu["polyframe"], cpu[o]) for o in others},
        "overhead_us": {
            f"polyframe-{o}": overhead_us(windows["polyframe"], windows[o], steps) for o in others
        },
        "targets": {
            k: {"max": TARGETS[k.split("/")[1]], "met": r["median"] <= TARGETS[k.split("/")[1]]}
            for k, r in ratios.items()
        },
    }


def _mode(suites: list[Suite]) -> str:
    """``overhead`` (the overhead curve), ``spec`` (a user's spec) or ``suites``."""
    kinds = {s.family or ("spec" if s.name.startswith("spec:") else "suites") for s in suites}
    return kinds.pop() if len(kinds) == 1 else "suites"


def _others(others: list[str], baselines: str | Path | None, log: Any) -> tuple[list[str], Any]:
    """The comparisons that can run and the baselines directory (None: polyframe alone)."""
    base_dir = find_baselines(baselines) if others else None
    if others and base_dir is None:
        log(
            "polyframe bench: no native baselines found (the polyframe_baselines package, "
            f"--baselines DIR or ${BASELINES_ENV}); timing polyframe alone"
        )
        others = []
    return others, base_dir


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
    replicas: int = REPLICAS,
) -> dict[str, Any]:
    """Run the benchmark and return its result (the JSON document of docs/benchmarks.md).

    ``suite``/``backend``: names, comma-separated, or ``all``; ``suite="overhead"``: the
    overhead curve; ``"spec:<batch>:<spec file or zoo>"``: a user's spec, polyframe alone
    (:func:`polyframe.bench.spec_suite.spec_suite_name`). ``against``: any of ``native``
    (= ``docs``), ``tuned``, ``keras``; ``rounds`` timed windows of ``steps`` steps (default:
    the suite's); ``threads`` per framework (default: cores); ``extras``: ``import polyframe``
    time and digits time-to-97%; ``baselines``: the native loops' directory (default:
    ``$POLYFRAME_BASELINES``, else the installed ``polyframe_baselines``; with none polyframe
    runs alone); ``replicas``: workers per compared implementation (1 halves start-up cost).

    >>> result = pf.bench.run(suite="mlp", backend="torch", against="tuned")  # doctest: +SKIP
    >>> result["groups"][0]["ratios"]["polyframe/tuned"]["median"]            # doctest: +SKIP
    """
    if not isinstance(rounds, int) or rounds < 1:
        raise ConfigError(f"rounds must be a positive int, got {rounds!r}")
    suites, backends, started = get_suites(suite), resolve_backends(backend), time.perf_counter()
    others, base_dir = _others(parse_against(against), baselines, log)
    threads = threads or default_threads()
    info = machine.describe(threads)
    peak = machine.matmul_peak_gflops()
    plan = Plan(rounds, warmup_steps, threads, seed, base_dir, peak, steps, log, replicas)
    config = {"suites": [s.name for s in suites], "backends": backends, "against": others}
    config.update(rounds=rounds, warmup_steps=warmup_steps, seed=seed, steps=steps)
    config["replicas"] = replicas
    groups = []
    for s, b in itertools.product(suites, backends):
        impls = ["polyframe", *[o for o in others if o in s.references and _available(o)]]
        groups.append(run_group(s, b, impls, plan))
    info["matmul_peak_gflops"] = max(plan.peak_gflops, machine.matmul_peak_gflops())
    info["load_after"] = machine.load_average()
    result: dict[str, Any] = {
        "schema": SCHEMA,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "mode": _mode(suites),
        "machine": info,
        "config": config,
        "groups": groups,
    }
    if extras:
        from polyframe.bench.end_to_end import import_time, train_to_accuracy

        result["import"] = import_time()
        result["train"] = [train_to_accuracy(b, threads) for b in backends]
    result["elapsed_s"] = time.perf_counter() - started
    return result
