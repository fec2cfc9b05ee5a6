"""Training curves: loss and metrics per epoch, one panel per quantity, one line per run
(e.g. per backend), validation dashed, in one PNG. matplotlib (Agg, no display) is imported
only here: ``pip install 'polyframe[plot]'``."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from polyframe.errors import ConfigError, DataError


def load_histories(path: str | Path) -> dict[str, dict[str, list[float]]]:
    """``{label: history}`` from a JSON file: the output of ``polyframe train --json``
    (``{"runs": [{"backend": ..., "history": {...}}]}``), one ``History.to_json`` dict, or a
    ``{label: history}`` mapping."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"history file {str(path)!r} does not exist")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise DataError(f"history file {str(path)!r} is not JSON: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("runs"), list):
        return {str(r.get("backend", i)): r["history"] for i, r in enumerate(data["runs"])}
    if isinstance(data, dict) and "loss" in data:
        return {path.stem: data}
    if isinstance(data, dict) and data and all(isinstance(v, dict) for v in data.values()):
        return data
    raise DataError(
        f"history file {str(path)!r}: expected the JSON of `polyframe train --json`, a "
        "History.to_json() dict with a 'loss' list, or {label: history}"
    )


def _keys(histories: dict[str, dict[str, Any]]) -> list[str]:
    """Quantities to draw: ``loss`` first, then metrics; ``val_X`` joins ``X``'s panel."""
    seen: list[str] = []
    for hist in histories.values():
        for key, values in hist.items():
            base = key[4:] if key.startswith("val_") else key
            if key == "epoch" or not isinstance(values, list) or base in seen:
                continue
            seen.append(base)
    return sorted(seen, key=lambda k: (k != "loss", k == "lr", k))


def plot_histories(
    histories: dict[str, dict[str, list[float]]], path: str | Path, title: str = ""
) -> Path:
    """Draw every run's per-epoch curves into one PNG at ``path``; returns the path."""
    if not histories:
        raise DataError("no training histories to plot")
    try:
        import matplotlib
    except ImportError:
        raise ConfigError("plotting needs matplotlib; pip install 'polyframe[plot]'") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    keys = _keys(histories)
    cols = min(3, len(keys))
    rows = math.ceil(len(keys) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.5 * cols, 3.2 * rows), squeeze=False)
    for ax, key in zip(axes.flat, keys, strict=False):
        for i, (label, hist) in enumerate(histories.items()):
            color = f"C{i}"
            for name, style in ((key, "-"), (f"val_{key}", "--")):
                values = hist.get(name)
                if values:
                    epochs = hist.get("epoch") or list(range(len(values)))
                    x = [e + 1 for e in epochs[: len(values)]]
                    ax.plot(x, values, style, color=color, label=f"{label} {name}")
        ax.set_title(key)
        ax.set_xlabel("epoch")
        drawn = [v for line in ax.get_lines() for v in line.get_ydata()]
        if key in ("loss", "lr") and drawn and min(drawn) > 0:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(keys) :]:
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
