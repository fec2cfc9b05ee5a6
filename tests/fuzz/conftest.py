"""Hypothesis profiles for the fuzz tests: ``ci`` (the default: a fixed, derandomized set of
examples, so the suite is repeatable) and ``soak`` (fresh randomness, as many examples as
``POLYFRAME_FUZZ_EXAMPLES`` says; benchmarks/fuzz_soak.py runs it)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_QUIET = list(HealthCheck)
settings.register_profile(
    "ci", max_examples=150, derandomize=True, deadline=None, suppress_health_check=_QUIET
)
settings.register_profile(
    "soak",
    max_examples=int(os.environ.get("POLYFRAME_FUZZ_EXAMPLES", "5000")),
    derandomize=False,
    deadline=None,
    suppress_health_check=_QUIET,
    database=None,
)
settings.load_profile(os.environ.get("POLYFRAME_FUZZ_PROFILE", "ci"))
