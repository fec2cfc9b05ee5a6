"""Window times -> step-time statistics and paired ratios."""

from __future__ import annotations

import statistics
from typing import Any


def step_stats(
    windows_s: list[float], steps: int, batch_size: int, flops: int, peak_gflops: float
) -> dict[str, Any]:
    """Median/min/max step time (ms) over windows, steps/s, samples/s, GFLOP/s, % of peak."""
    step_ms = [1000 * w / steps for w in windows_s]
    median = statistics.median(step_ms)
    gflops = flops / (median / 1000) / 1e9
    return {
        "step_ms": {"median": median, "min": min(step_ms), "max": max(step_ms)},
        "steps_per_s": 1000 / median,
        "samples_per_s": 1000 / median * batch_size,
        "gflops": gflops,
        "peak_fraction": gflops / peak_gflops if peak_gflops > 0 else 0.0,
    }


def ratio(a: list[float], b: list[float]) -> dict[str, float]:
    """``a / b`` of window times: ``median`` of per-round (paired) ratios, the ratio of
    medians, and ``best`` (fastest over fastest; noise only ever adds time)."""
    paired = [x / y for x, y in zip(a, b, strict=True)]
    return {
        "median": statistics.median(paired),
        "of_medians": statistics.median(a) / statistics.median(b),
        "best": min(a) / min(b),
    }
