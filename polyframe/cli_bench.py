"""The ``polyframe bench`` command: the built-in suites against native loops and Keras 3, the
overhead curve (``--suite overhead``), or the user's own spec on every backend
(``polyframe bench model.yaml`` / ``polyframe bench mlp``); docs/benchmarks.md."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def add_subcommands(sub: Any) -> None:
    """The ``bench`` sub-command."""
    b = sub.add_parser(
        "bench",
        help="benchmark polyframe against native loops and Keras 3, or your spec on every "
        "backend (docs/benchmarks.md)",
    )
    b.add_argument(
        "spec",
        nargs="?",
        help="a spec file (.yaml/.json) or zoo model name: time it with polyframe on every "
        "backend and name the fastest (instead of the built-in suites)",
    )
    b.add_argument("--suite", default="all", help="mlp, cnn, ... comma-separated, all, or overhead")
    b.add_argument("--backend", default="all", help="torch, tensorflow, jax, or all")
    b.add_argument(
        "--against", default="native,tuned,keras", help="any of native, tuned, keras ('' none)"
    )
    b.add_argument("--batch-size", type=int, default=32, help="batch size of a SPEC run")
    b.add_argument("--steps", type=int, help="steps per timed window (default: the suite's)")
    b.add_argument("--rounds", type=int, default=8, help="timed windows per implementation")
    b.add_argument(
        "--replicas", type=int, default=2, help="worker processes per implementation (1 or 2)"
    )
    b.add_argument("--warmup-steps", type=int, default=20)
    b.add_argument("--threads", type=int, help="threads per framework (default: cores)")
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--no-extras", action="store_true", help="skip import and digits timings")
    b.add_argument(
        "--baselines",
        help="directory of the native loops (default: $POLYFRAME_BASELINES, else the installed "
        "polyframe_baselines package)",
    )
    b.add_argument("--json", dest="json_path", help="write the result (JSON) here")
    b.add_argument("--plot", dest="plot_path", help="write a PNG chart here")
    b.add_argument("--markdown", dest="markdown_path", help="write the markdown report here")
    b.add_argument("--debug", action="store_true", help="show tracebacks")


def cmd_bench(args: argparse.Namespace) -> int:
    """Run the benchmark; print the headline table; write the requested files."""
    from polyframe import bench
    from polyframe.bench.spec_suite import spec_suite_name

    suite, against, extras = args.suite, args.against, not args.no_extras
    if args.spec:  # the user's model: polyframe alone, on every backend
        suite, against, extras = spec_suite_name(args.spec, args.batch_size), "", False
    result = bench.run(
        suite=suite,
        backend=args.backend,
        against=against,
        rounds=args.rounds,
        warmup_steps=args.warmup_steps,
        threads=args.threads,
        seed=args.seed,
        extras=extras,
        baselines=args.baselines,
        steps=args.steps,
        replicas=args.replicas,
        log=lambda msg: print(msg, file=sys.stderr),
    )
    bench.validate(result)
    print(bench.report.headline(result))
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(result, indent=2) + "\n")
    if args.markdown_path:
        Path(args.markdown_path).write_text(bench.markdown(result))
    if args.plot_path:
        bench.plot(result, args.plot_path)
    return 0
