"""The overhead curve (``polyframe bench --suite overhead``) as a table and a chart: per model
size and backend, polyframe's and the tuned native loop's step time, and what polyframe adds
in microseconds per step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from polyframe.bench.figure import finish

_COLORS = {"torch": "#ee4c2c", "tensorflow": "#ff8f00", "jax": "#5e97f6"}


def _other(group: dict[str, Any]) -> str | None:
    """The native loop the curve compares against: tuned, else docs."""
    return next((o for o in ("tuned", "docs") if o in group["implementations"]), None)


def table(result: dict[str, Any]) -> str:
    """Markdown: model and batch, backend, step times (us), overhead (us/step), ratios."""
    lines = [
        "| model | batch | backend | polyframe us/step | native us/step | overhead us/step "
        "| polyframe/native | CPU polyframe/native |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for g in result["groups"]:
        other = _other(g)
        us = 1000 * g["implementations"]["polyframe"]["step_ms"]["median"]
        if other is None:
            lines.append(f"| {g['suite']} | {g['batch_size']} | {g['backend']} | {us:.0f} "
                         "| – | – | – | – |")  # fmt: skip
            continue
        key = f"polyframe/{other}"
        native = 1000 * g["implementations"][other]["step_ms"]["median"]
        extra = g["overhead_us"][f"polyframe-{other}"]["median"]
        mark = "" if g["targets"][key]["met"] else " ✗"
        lines.append(
            f"| {g['suite']} | {g['batch_size']} | {g['backend']} | {us:.0f} | {native:.0f} "
            f"({other}) | {extra:+.1f} | {g['ratios'][key]['median']:.3f}{mark} "
            f"| {g['cpu_ratios'][key]['median']:.3f} |"
        )
    return "\n".join(lines)


def plot(result: dict[str, Any], path: str | Path) -> Path:
    """Two panels over the model sizes (smallest first): overhead in us/step, and the
    polyframe / native step-time ratio against the 1.05 target; one line per backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    suites = list(dict.fromkeys(g["suite"] for g in result["groups"]))
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2))
    for backend in dict.fromkeys(g["backend"] for g in result["groups"]):
        groups = [g for g in result["groups"] if g["backend"] == backend and _other(g)]
        xs = [suites.index(g["suite"]) for g in groups]
        over = [g["overhead_us"][f"polyframe-{_other(g)}"]["median"] for g in groups]
        ratios = [g["ratios"][f"polyframe/{_other(g)}"]["median"] for g in groups]
        style = {"color": _COLORS.get(backend), "marker": "o", "label": backend}
        left.plot(xs, over, **style)
        right.plot(xs, ratios, **style)
    left.axhline(0, color="grey", lw=0.8)
    right.axhline(1.05, color="grey", ls="--", lw=0.8, label="target 1.05")
    left.set_ylabel("polyframe - native (us per step)")
    right.set_ylabel("polyframe / native step time")
    for ax in (left, right):
        ax.set_xticks(range(len(suites)), suites, rotation=15, fontsize=8)
        ax.legend(fontsize=8)
    m = result["machine"]
    title = f"polyframe overhead curve · {m['cpu']} · {m['threads']} threads"
    return finish(fig, title, path)
