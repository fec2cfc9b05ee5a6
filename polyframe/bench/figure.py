"""Finishing a benchmark chart: title, layout, PNG written at the house resolution."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def finish(fig: Any, title: str, path: str | Path) -> Path:
    """Give matplotlib figure ``fig`` its ``title``, lay it out, write it to ``path`` as a PNG
    (110 dpi), close it and return the path."""
    import matplotlib.pyplot as plt

    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
