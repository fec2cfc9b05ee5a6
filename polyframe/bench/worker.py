"""One benchmark worker process: one implementation of one suite on one framework.

The runner starts it as ``python -m polyframe.bench.worker --impl ... --suite ... --backend
...`` and talks to it in JSON lines: it sends ``{"cmd": "setup"}``, ``{"cmd": "window"}`` (any
number of times) and ``{"cmd": "finish"}``; each answer is one line ``{"ok": true, ...}`` or
``{"ok": false, "error": "..."}``. Everything the frameworks print goes to stderr, so only
protocol lines reach stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import traceback
from typing import Any, Callable

from polyframe.bench.baselines import import_baseline
from polyframe.bench.threads import apply_in_process

#: The Keras backend name for each polyframe backend.
KERAS_BACKENDS = {"torch": "torch", "tensorflow": "tensorflow", "jax": "jax"}


def _framework(impl: str, backend: str) -> str:
    return KERAS_BACKENDS[backend] if impl == "keras" else backend


def load_impl(args: argparse.Namespace) -> Any:
    """Build the implementation this worker benchmarks (imports its framework)."""
    from polyframe.bench.suites import get_suites
    from polyframe.init import init_params

    suite = get_suites(args.suite)[0]
    x, y = suite.data(args.steps or suite.steps_per_window, args.seed)
    if args.impl == "polyframe":
        from polyframe.bench.polyframe_impl import PolyframeImpl

        return PolyframeImpl(suite, args.backend, x, y, args.seed)
    params = init_params(suite.spec(), args.seed)
    if args.impl == "keras":
        module = import_baseline(args.baselines, "keras3_fit")
        return module.make(suite.baseline_model, params, x, y, suite.batch_size, suite.lr)
    module = import_baseline(args.baselines, f"{args.backend}_loops")
    model = suite.baseline_model
    return module.make(model, args.impl, params, x, y, suite.batch_size, suite.lr)


def _timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall seconds, CPU seconds of this process (every thread), and ``fn()``."""
    cpu, start = time.process_time(), time.perf_counter()
    out = fn()
    return time.perf_counter() - start, time.process_time() - cpu, out


def serve(args: argparse.Namespace, proto: Any) -> None:
    """Answer the runner's commands until ``finish`` (or end of input)."""
    from polyframe.bench.gate import run_epoch_windows

    impl = None
    lines = iter(sys.stdin)

    def say(**msg: Any) -> None:
        proto.write(json.dumps(msg) + "\n")
        proto.flush()

    def next_command() -> str:
        line = next(lines, None)
        return "finish" if line is None else json.loads(line)["cmd"]

    cmd = next_command()
    while True:
        try:
            if cmd == "setup":
                t0 = time.perf_counter()
                impl = load_impl(args)
                apply_in_process(_framework(args.impl, args.backend), args.threads)
                build_s = time.perf_counter() - t0
                first_s, _, loss = _timed(impl.first_step)
                say(
                    ok=True,
                    build_s=build_s,
                    first_step_s=first_s,
                    first_loss=loss,
                    version=impl.version(),
                    device=impl.device(),
                )
            elif cmd == "window" and hasattr(impl, "run_windows"):
                cmd = run_epoch_windows(impl, say, next_command)  # answers every window
                continue
            elif cmd == "window":
                seconds, cpu, _ = _timed(impl.run_window)
                say(ok=True, s=seconds, cpu_s=cpu)
            elif cmd == "finish":
                rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                say(ok=True, peak_rss_mb=rss_kib / 1024)
                return
            else:
                say(ok=False, error=f"unknown command {cmd!r}")
        except Exception as exc:  # noqa: BLE001 - reported to the runner, which raises
            traceback.print_exc()
            say(ok=False, error=f"{type(exc).__name__}: {exc}")
            return
        cmd = next_command()


def main(argv: list[str] | None = None) -> None:
    """Parse the worker's arguments, move framework output to stderr, serve."""
    p = argparse.ArgumentParser(description="polyframe benchmark worker (started by the runner)")
    p.add_argument("--impl", required=True, choices=("polyframe", "docs", "tuned", "keras"))
    p.add_argument("--backend", required=True)
    p.add_argument("--suite", required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=0, help="steps per window (0: the suite's)")
    p.add_argument("--baselines", default="", help="the baselines package directory")
    args = p.parse_args(argv)
    if args.impl == "keras":
        os.environ["KERAS_BACKEND"] = KERAS_BACKENDS[args.backend]
    proto = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # framework prints go to stderr; stdout carries the protocol only
    sys.stdout = sys.stderr
    serve(args, proto)


if __name__ == "__main__":
    main()
