"""The memory-allocator settings every benchmark worker runs with.

glibc's ``malloc`` moves its mmap threshold as a process frees large blocks, so whether a
training step's activation buffers come from fresh (page-faulting) mmaps or from reused heap
depends on everything the process allocated before: measured on the reference machine, the
same torch CNN step took 21.7 ms or 13.6 ms depending only on what was allocated at set-up.
That is noise about the process, not about the implementation, so every worker (polyframe,
the native loops and Keras 3 alike) starts with the same fixed thresholds, the setting
glibc's dynamic rule converges to in a long run. Other C libraries ignore these variables.
"""

from __future__ import annotations

#: glibc tunables (``mallopt`` via the environment): mmap only blocks >= 32 MiB (glibc's
#: ceiling) and keep up to 1 GiB of freed heap instead of returning it at every free.
ALLOCATOR_ENV = {
    "MALLOC_MMAP_THRESHOLD_": str(32 * 1024 * 1024),
    "MALLOC_TRIM_THRESHOLD_": str(1024 * 1024 * 1024),
}


def allocator_env() -> dict[str, str]:
    """The environment variables that fix the allocator's thresholds in a worker."""
    return dict(ALLOCATOR_ENV)


def describe() -> str:
    """One line for the report: the settings the workers ran with."""
    return " ".join(f"{k}={v}" for k, v in ALLOCATOR_ENV.items())
