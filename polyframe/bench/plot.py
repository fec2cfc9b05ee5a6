"""A PNG chart of a benchmark result: steps/s per implementation, one panel per suite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from polyframe.bench.figure import finish

_ORDER = ("polyframe", "tuned", "docs", "keras")
_COLORS = {"polyframe": "#1f77b4", "tuned": "#2ca02c", "docs": "#98df8a", "keras": "#d62728"}


def plot(result: dict[str, Any], path: str | Path) -> Path:
    """Write grouped bars (backend x implementation, median steps/s with min–max whiskers);
    the overhead curve and a user's spec have charts of their own."""
    if result.get("mode") == "overhead":
        from polyframe.bench.overhead import plot as plot_overhead

        return plot_overhead(result, path)
    if result.get("mode") == "spec":
        from polyframe.bench.spec_report import plot as plot_spec

        return plot_spec(result, path)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    suites = list(dict.fromkeys(g["suite"] for g in result["groups"]))
    fig, axes = plt.subplots(1, len(suites), figsize=(5.5 * len(suites), 4), squeeze=False)
    for ax, suite in zip(axes[0], suites, strict=True):
        groups = [g for g in result["groups"] if g["suite"] == suite]
        width = 0.8 / len(_ORDER)
        for k, impl in enumerate(_ORDER):
            xs, ys, lo, hi = [], [], [], []
            for i, g in enumerate(groups):
                r = g["implementations"].get(impl)
                if r is None:
                    continue
                rate = r["steps_per_s"]
                xs.append(i + (k - 1.5) * width)
                ys.append(rate)
                lo.append(rate - 1000 / r["step_ms"]["max"])
                hi.append(1000 / r["step_ms"]["min"] - rate)
            if xs:
                ax.bar(
                    xs,
                    ys,
                    width,
                    yerr=[lo, hi],
                    capsize=2,
                    color=_COLORS[impl],
                    label={
                        "docs": "native docs",
                        "tuned": "native tuned",
                        "keras": "Keras 3 fit",
                    }.get(impl, impl),
                )
        ax.set_xticks(range(len(groups)), [g["backend"] for g in groups])
        ax.set_title(f"{suite} (batch {groups[0]['batch_size']})")
        ax.set_ylabel("training steps / s (higher is better)")
        ax.legend(fontsize=8)
    m = result["machine"]
    return finish(fig, f"polyframe bench · {m['cpu']} · {m['threads']} threads", path)
