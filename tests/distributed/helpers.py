"""Running polyframe commands and test jobs in fresh processes, and finding worker pids."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
JOB = HERE / "dp_job.py"


def run(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """``python *args`` in a fresh process (PYTHONPATH points at this checkout: conftest)."""
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=timeout, env=os.environ
    )


def polyframe(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """``polyframe *args`` in a fresh process."""
    return run("-m", "polyframe.cli", *args, timeout=timeout)


def start(*args: str, env: dict | None = None, **kwargs) -> subprocess.Popen:
    """``python *args`` in the background (``env``: instead of this process's; output to
    pipes unless ``stdout``/``stderr`` say otherwise)."""
    kwargs = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **kwargs}
    return subprocess.Popen(
        [sys.executable, *args], text=True, env=os.environ if env is None else env, **kwargs
    )


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (Linux /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def worker_pid(launcher: int, rank: int, timeout: float = 60) -> int:
    """The pid of the launched worker whose environment says ``RANK=<rank>``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in children(launcher):
            try:
                env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if f"RANK={rank}".encode() in env:
                return pid
        time.sleep(0.2)
    raise AssertionError(f"no worker with RANK={rank} under pid {launcher}")


def kill(pid: int) -> None:
    """SIGKILL one process (by its pid)."""
    os.kill(pid, signal.SIGKILL)
