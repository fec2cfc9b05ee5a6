"""The runner's side of one worker process (see :mod:`polyframe.bench.worker`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from polyframe.bench.allocator import allocator_env
from polyframe.bench.threads import thread_env
from polyframe.errors import BenchError


def _pythonpath() -> str:
    """This checkout's import roots first, so a worker imports the same polyframe."""
    import polyframe

    root = Path(polyframe.__file__).resolve().parents[1]
    parts = [str(root), str(root / "backends"), os.environ.get("PYTHONPATH", "")]
    return os.pathsep.join(p for p in parts if p)


class WorkerProcess:
    """A started worker: :meth:`ask` sends one command and returns its answer."""

    def __init__(
        self,
        impl: str,
        suite: str,
        backend: str,
        threads: int,
        seed: int,
        baselines: str,
        steps: int,
    ) -> None:
        self.label = f"{impl} ({suite}, {backend})"
        env = {**os.environ, **thread_env(threads), **allocator_env(), "PYTHONPATH": _pythonpath()}
        env["POLYFRAME_COMPILE_CACHE"] = "0"  # first steps compile cold, like the native loops
        env.pop("KERAS_BACKEND", None)
        self._log = tempfile.TemporaryFile(mode="w+")
        cmd = [
            sys.executable,
            "-m",
            "polyframe.bench.worker",
            "--impl",
            impl,
            "--suite",
            suite,
            "--backend",
            backend,
            "--threads",
            str(threads),
            "--seed",
            str(seed),
            "--steps",
            str(steps),
            "--baselines",
            baselines,
        ]
        self._proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True, env=env
        )

    def _log_tail(self, n: int = 1500) -> str:
        self._log.seek(0)
        return self._log.read()[-n:].strip()

    def ask(self, cmd: str) -> dict[str, Any]:
        """Send ``cmd``; return the answer, or raise BenchError with the worker's output."""
        try:
            self._proc.stdin.write(json.dumps({"cmd": cmd}) + "\n")
            self._proc.stdin.flush()
            line = self._proc.stdout.readline()
        except (BrokenPipeError, OSError):
            line = ""
        if not line:
            self.close()
            raise BenchError(
                f"benchmark worker {self.label} exited during {cmd!r} (status "
                f"{self._proc.returncode}); its output ends with:\n{self._log_tail()}"
            )
        answer = json.loads(line)
        if not answer.get("ok"):
            self.close()
            raise BenchError(
                f"benchmark worker {self.label} failed during {cmd!r}: {answer.get('error')}"
            )
        return answer

    def close(self) -> None:
        """Stop the process (if it still runs) and drop its log."""
        if self._proc.poll() is None:
            try:
                self._proc.stdin.close()
            except OSError:
                pass
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._log.close()
