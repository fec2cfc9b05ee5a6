"""Fuzz soak: the parser properties of tests/fuzz with fresh randomness and many more examples
than the suite runs (the suite's ``ci`` profile is derandomized, 150 examples per property).

    python benchmarks/fuzz_soak.py --examples 2000 --json benchmarks/results/fuzz_soak.json

Only polyframe's own errors may escape a parser: any other exception, a hang (the per-test
timeout) or a crash fails the property, and the soak reports it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description="Run the parser fuzz properties with many examples.")
    p.add_argument("--examples", type=int, default=2000, help="examples per property")
    p.add_argument("--json", default=None, help="write the result here")
    args = p.parse_args(argv)
    env = {
        **os.environ,
        "POLYFRAME_FUZZ_PROFILE": "soak",
        "POLYFRAME_FUZZ_EXAMPLES": str(args.examples),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "backends")]),
    }
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/fuzz",
         "-k", "not found_by and not unfuzzed"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=6 * 3600,
    )  # fmt: skip
    took = time.perf_counter() - start
    tail = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr[-300:]
    counts = {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|error)", tail)}
    properties = counts.get("passed", 0) + counts.get("failed", 0)
    result = {
        "command": "python benchmarks/fuzz_soak.py --examples " + str(args.examples),
        "date": time.strftime("%Y-%m-%d"),
        "python": platform.python_version(),
        "properties": properties,
        "examples_per_property": args.examples,
        "examples_tried": properties * args.examples,
        "failed_properties": counts.get("failed", 0) + counts.get("error", 0),
        "seconds": round(took, 1),
        "pytest_summary": tail,
    }
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    if out.returncode != 0:
        print(out.stdout[-5000:], file=sys.stderr)
    return result


if __name__ == "__main__":
    sys.exit(0 if main()["failed_properties"] == 0 else 1)
