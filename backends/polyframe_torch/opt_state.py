"""torch optimizer state <-> polyframe's canonical optimizer state (polyframe.optim_state).

torch's update rules are the canonical ones, so its per-parameter state keys are the canonical
slot names. The layout is converted with the model's own parameter codecs: each slot tensor is
swapped in as the parameter's data, and the model is exported (or imported) once per slot.
An optimizer added later registers where its state lives with :func:`register`.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np
import torch

from polyframe.errors import BackendError
from polyframe.optim import SGD, Adagrad, Adam, RMSprop
from polyframe.optim_state import STEP, slot_names, trainable_names
from polyframe_torch import native as _native


class NativeSlots(NamedTuple):
    """Where one optimizer keeps its state in ``torch.optim.Optimizer.state[param]``."""

    keys: dict[str, str]  # canonical slot -> torch state key
    step_key: str | None  # the per-parameter update counter, if torch keeps one
    lazy: bool = True  # torch creates the state at the first update (else in __init__)


_TABLE: dict[type, NativeSlots] = {
    SGD: NativeSlots({"momentum_buffer": "momentum_buffer"}, None),
    Adam: NativeSlots({"exp_avg": "exp_avg", "exp_avg_sq": "exp_avg_sq"}, "step"),
    RMSprop: NativeSlots(
        {"square_avg": "square_avg", "momentum_buffer": "momentum_buffer", "grad_avg": "grad_avg"},
        "step",
    ),
    Adagrad: NativeSlots({"sum": "sum"}, "step", lazy=False),
}


def register(cls: type, keys: dict[str, str], step_key: str | None, lazy: bool = True) -> None:
    """Declare where the torch lowering of optimizer class ``cls`` keeps its state."""
    _TABLE[cls] = NativeSlots(dict(keys), step_key, lazy)


def _slots(spec: Any) -> NativeSlots:
    for cls in type(spec).__mro__:
        if cls in _TABLE:
            return _TABLE[cls]
    raise BackendError(f"the torch backend cannot map the state of {type(spec).__name__}")


def _swapped(steps: Any, tensors: list[torch.Tensor], fn: Callable[[], Any]) -> Any:
    """Run ``fn`` with each trained parameter's data replaced by ``tensors`` (same order);
    buffers are restored afterwards too."""
    params = steps.params
    saved = [p.data for p in params]
    trained = {id(p) for p in params}
    # everything else a codec may write (buffers, frozen parameters) is restored afterwards
    others = [
        t for t in (*steps.native.buffers(), *steps.native.parameters()) if id(t) not in trained
    ]
    buffers = [(b, b.detach().clone()) for b in others]
    try:
        with torch.no_grad():
            for p, t in zip(params, tensors, strict=True):
                p.data = t
            return fn()
    finally:
        with torch.no_grad():
            for p, d in zip(params, saved, strict=True):
                p.data = d
            for b, value in buffers:
                b.copy_(value)


def export_state(steps: Any) -> dict[str, np.ndarray]:
    """The canonical state of ``steps``' optimizer (zeros before the first update)."""
    opt, spec = steps.optimizer, steps.opt_spec
    if opt is None:
        return {}
    table, names = _slots(spec), set(trainable_names(steps.spec))
    states = [opt.state.get(p, {}) for p in steps.params]
    out: dict[str, np.ndarray] = {}
    for slot in slot_names(spec):
        key = table.keys[slot]
        tensors = [
            s[key].detach() if key in s else torch.zeros_like(p.data)
            for s, p in zip(states, steps.params, strict=True)
        ]
        canonical = _swapped(steps, tensors, lambda: _native.export_params(steps.native))
        out.update({f"{k}.{slot}": v for k, v in canonical.items() if k in names})
    if table.step_key is not None:
        first = states[0] if states else {}
        out[STEP] = np.asarray(int(first[table.step_key].item()) if first else 0, np.int64)
    return out


def import_state(steps: Any, state: dict[str, np.ndarray]) -> None:
    """Replace the optimizer state of ``steps`` by a canonical one (``step`` included)."""
    opt, spec = steps.optimizer, steps.opt_spec
    if opt is None:
        return
    table, names = _slots(spec), trainable_names(steps.spec)
    step = int(np.asarray(state[STEP]))
    if step == 0 and table.lazy:  # torch creates it at the first update: nothing to restore
        opt.state.clear()
        return
    current = _native.export_params(steps.native)
    per_param: list[dict[str, torch.Tensor]] = [{} for _ in steps.params]
    for slot in slot_names(spec):
        tensors = [torch.empty_like(p.data) for p in steps.params]
        values = {**current, **{n: state[f"{n}.{slot}"] for n in names}}
        _swapped(steps, tensors, lambda v=values: _native.import_params(steps.native, v))
        for entry, t in zip(per_param, tensors, strict=True):
            entry[table.keys[slot]] = t
    if table.step_key is not None:
        group = opt.param_groups[0]
        on_device = group.get("fused") or group.get("capturable")
        for entry, p in zip(per_param, steps.params, strict=True):
            entry[table.step_key] = torch.tensor(
                float(step), dtype=torch.float32, device=p.device if on_device else "cpu"
            )
    for p, entry in zip(steps.params, per_param, strict=True):
        opt.state[p] = entry


def rng_state() -> dict[str, np.ndarray]:
    """torch's global CPU generator (and each CUDA generator's) state as uint8 arrays."""
    out = {"torch.cpu": torch.get_rng_state().numpy().copy()}
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            out[f"torch.cuda{i}"] = s.numpy().copy()
    return out


def load_rng_state(state: dict[str, np.ndarray]) -> None:
    """Restore generators saved by :func:`rng_state`."""
    if "torch.cpu" in state:
        torch.set_rng_state(torch.from_numpy(np.array(state["torch.cpu"], np.uint8)))
    cuda = [state[k] for k in sorted(state) if k.startswith("torch.cuda")]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([torch.from_numpy(np.array(s, np.uint8)) for s in cuda])
