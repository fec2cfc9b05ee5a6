"""What a torch lowering function returned, normalized to a :class:`Lowered` (used by the
Sequential builder in native.py and the Graph builder in graph.py)."""

from __future__ import annotations

from typing import Any

from torch import nn

from polyframe.errors import BackendError
from polyframe_torch.lowered import LAYOUTS, Lowered
from polyframe_torch.params import default_codec


def as_lowered(out: Any, node: Any) -> Lowered:
    """Normalize a lowering function's result; a bare module gets the default codec."""
    if isinstance(out, Lowered):
        lowered = out
    elif isinstance(out, nn.Module):
        lowered = Lowered(out, *default_codec(tuple(node.param_specs())))
    else:
        raise BackendError(
            f"{node.path} {node.name!r} ({node.layer.kind}): the torch lowering returned "
            f"{type(out).__name__}; expected a torch.nn.Module or polyframe_torch.Lowered"
        )
    if not isinstance(lowered.module, nn.Module) or lowered.layout not in LAYOUTS:
        raise BackendError(
            f"{node.path} {node.name!r} ({node.layer.kind}): Lowered needs a torch.nn.Module "
            f"and a layout in {LAYOUTS}, got {type(lowered.module).__name__}, {lowered.layout!r}"
        )
    return lowered
