"""Shared fixtures: ``backend`` is parametrized over every installed, usable backend, so each
conformance test becomes one test case per (thing, backend)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from polyframe.import_order import guard_triton_import

guard_triton_import()  # triton may load after TensorFlow in this process (imports nothing)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# No persistent compilation cache in ~/.cache during tests (tests of the cache turn it on).
os.environ.setdefault("POLYFRAME_COMPILE_CACHE", "0")
# Subprocesses (CLI tests) import this checkout too, as pytest's `pythonpath` does for us.
_ROOT = Path(__file__).resolve().parents[1]
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(_ROOT), str(_ROOT / "backends"), *filter(None, [os.environ.get("PYTHONPATH")])]
)


def _usable_backends() -> list[str]:
    from polyframe.backend import backend_status, list_backends

    order = ["torch", "tensorflow", "jax"]  # torch is imported before TensorFlow
    names = [n for n in order if n in list_backends()] + [
        n for n in list_backends() if n not in order
    ]
    wanted = os.environ.get("POLYFRAME_TEST_BACKENDS")
    if wanted:
        names = [n for n in names if n in wanted.split(",")]
    return [n for n in names if backend_status(n)[0]]


BACKENDS = _usable_backends()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", BACKENDS, scope="session")
    if "saver" in metafunc.fixturenames and "loader" in metafunc.fixturenames:
        # every (writing backend, reading backend) pair, e.g. for checkpoints
        pairs = [(a, b) for a in BACKENDS for b in BACKENDS]
        metafunc.parametrize(("saver", "loader"), pairs, ids=[f"{a}-{b}" for a, b in pairs])
    if "backend_a" in metafunc.fixturenames and "backend_b" in metafunc.fixturenames:
        # every unordered pair of backends, e.g. two backends' runs compared to each other
        pairs = [(a, b) for i, a in enumerate(BACKENDS) for b in BACKENDS[i + 1 :]]
        metafunc.parametrize(("backend_a", "backend_b"), pairs, ids=[f"{a}-{b}" for a, b in pairs])


def pytest_report_header(config: pytest.Config) -> str:
    return f"polyframe backends under test: {', '.join(BACKENDS) or 'none'}"
