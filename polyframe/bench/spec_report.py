"""``polyframe bench SPEC`` as a table and a chart: the user's model on every backend, and the
fastest one named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from polyframe.bench.figure import finish

_COLORS = {"torch": "#ee4c2c", "tensorflow": "#ff8f00", "jax": "#5e97f6"}


def fastest(result: dict[str, Any]) -> dict[str, Any]:
    """The group whose polyframe median step time is the shortest."""
    return min(
        result["groups"], key=lambda g: g["implementations"]["polyframe"]["step_ms"]["median"]
    )


def verdict(result: dict[str, Any]) -> str:
    """One line: the fastest backend and how it compares with the others."""
    best = fastest(result)
    ms = best["implementations"]["polyframe"]["step_ms"]["median"]
    others = [
        f"{g['backend']} {g['implementations']['polyframe']['step_ms']['median'] / ms:.2f}x"
        for g in result["groups"]
        if g is not best
    ]
    vs = f" (step time of the others: {', '.join(others)})" if others else ""
    return f"Fastest backend: {best['backend']}, {ms:.2f} ms per step{vs}."


def table(result: dict[str, Any]) -> str:
    """Markdown: per backend, step time, throughput, first step, peak memory, then the
    verdict line."""
    lines = [
        "| backend | step ms (min–max) | steps/s | samples/s | first step s | peak RSS MB "
        "| version |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for g in result["groups"]:
        r = g["implementations"]["polyframe"]
        s = r["step_ms"]
        lines.append(
            f"| {g['backend']} | {s['median']:.2f} ({s['min']:.2f}–{s['max']:.2f}) "
            f"| {r['steps_per_s']:.1f} | {r['samples_per_s']:.0f} | {r['first_step_s']:.2f} "
            f"| {r['peak_rss_mb']:.0f} | {r['version']} |"
        )
    return "\n".join([*lines, "", verdict(result)])


def plot(result: dict[str, Any], path: str | Path) -> Path:
    """Steps/s per backend (min–max whiskers, the fastest outlined) beside first-step time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = result["groups"]
    names = [g["backend"] for g in groups]
    impls = [g["implementations"]["polyframe"] for g in groups]
    rates = [r["steps_per_s"] for r in impls]
    low = [rate - 1000 / r["step_ms"]["max"] for rate, r in zip(rates, impls, strict=True)]
    high = [1000 / r["step_ms"]["min"] - rate for rate, r in zip(rates, impls, strict=True)]
    colors = [_COLORS.get(n, "#888888") for n in names]
    best = fastest(result)["backend"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    bars = left.bar(names, rates, yerr=[low, high], capsize=3, color=colors)
    bars[names.index(best)].set_edgecolor("black")
    bars[names.index(best)].set_linewidth(2)
    left.set_ylabel("training steps / s (higher is better)")
    left.set_title(f"batch {groups[0]['batch_size']} · fastest: {best}")
    right.bar(names, [r["first_step_s"] for r in impls], color=colors)
    right.set_ylabel("first step s (build + compile)")
    m = result["machine"]
    return finish(fig, f"polyframe bench {groups[0]['suite'].split(':', 2)[-1]} · {m['cpu']}", path)
