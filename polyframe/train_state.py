"""Where training stands: the one object that callbacks change and checkpoints save and
restore by name (``TrainState.to_manifest`` / ``load_manifest``).

The ``Trainer`` exposes its fields under the same names (``trainer.global_step``,
``trainer.lr_factor``, ...) as properties that read and write this object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from polyframe.callbacks.base import Callback, History
from polyframe.errors import CheckpointError


@dataclass
class TrainState:
    """The training position and the host-side numbers callbacks set.

    ``epoch``: completed epochs; ``global_step``: optimizer steps done; ``step_in_epoch``:
    optimizer steps of the current epoch done (a checkpoint taken with it > 0 resumes inside
    the epoch); ``lr_override`` (``LearningRateScheduler``: a base learning rate replacing the
    schedule's) and ``lr_factor`` (``ReduceLROnPlateau``); ``stop_training`` / ``stop_reason``;
    ``history`` (the running ``fit``'s History); ``callbacks``: the running ``fit``'s
    callbacks, whose ``state_dict()`` a checkpoint stores; ``callback_state``: the states read
    back from a checkpoint, handed to the callbacks when ``fit`` starts. ``ahead``: fused steps
    already run whose bookkeeping is still to come (never saved: checkpoints refuse it > 0).
    """

    epoch: int = 0
    global_step: int = 0
    step_in_epoch: int = 0
    lr_override: float | None = None
    lr_factor: float = 1.0
    stop_training: bool = False
    stop_reason: str = ""
    history: History | None = None
    callbacks: list[Callback] = field(default_factory=list)
    callback_state: dict[str, dict[str, Any]] = field(default_factory=dict)
    ahead: int = 0

    def to_manifest(self) -> dict[str, Any]:
        """The saved fields, by name, as a checkpoint manifest's ``training`` entries."""
        return {
            "epoch": int(self.epoch),
            "step_in_epoch": int(self.step_in_epoch),
            "global_step": int(self.global_step),
            "lr_state": {"override": self.lr_override, "factor": float(self.lr_factor)},
            "history": self.history.to_dict() if self.history is not None else {},
            "callbacks": callback_states(self.callbacks),
        }

    def load_manifest(self, training: dict[str, Any], step_in_epoch: int) -> None:
        """Restore the fields :meth:`to_manifest` wrote (``step_in_epoch`` checked by the
        caller); the history goes into ``self.history``, the callback states wait in
        ``callback_state`` until :meth:`restore_callbacks`."""
        self.global_step = int(training["global_step"])
        self.epoch = int(training["epoch"])
        self.step_in_epoch = step_in_epoch
        lr_state = training.get("lr_state") or {}
        self.lr_override = lr_state.get("override")
        self.lr_factor = float(lr_state.get("factor", 1.0))
        saved = training.get("history") or {}
        if self.history is not None:
            self.history.epoch.extend(int(e) for e in saved.get("epoch", []))
            for key, values in saved.items():
                if key != "epoch":
                    self.history.history[key] = [float(v) for v in values]
        states = training.get("callbacks") or {}
        if not isinstance(states, dict):
            raise CheckpointError(f"the checkpoint's callback states are not a mapping: {states!r}")
        self.callback_state = dict(states)

    def restore_callbacks(self) -> None:
        """Hand the callback states read from a checkpoint to this run's callbacks (after
        their ``on_train_begin``, which resets them), matched by class name and index."""
        if not self.callback_state:
            return
        for key, cb in _keyed(self.callbacks):
            if key in self.callback_state and hasattr(cb, "load_state_dict"):
                cb.load_state_dict(self.callback_state[key])
        self.callback_state = {}


def _keyed(callbacks: list[Callback]) -> list[tuple[str, Callback]]:
    """``("EarlyStopping#0", cb)``: a callback's key is its class name and its index among
    the callbacks of that class."""
    seen: dict[str, int] = {}
    out = []
    for cb in callbacks:
        name = type(cb).__name__
        out.append((f"{name}#{seen.get(name, 0)}", cb))
        seen[name] = seen.get(name, 0) + 1
    return out


def callback_states(callbacks: list[Callback]) -> dict[str, dict[str, Any]]:
    """The non-empty ``state_dict()`` of each callback, keyed as :func:`_keyed` does."""
    out = {}
    for key, cb in _keyed(callbacks):
        state = cb.state_dict() if hasattr(cb, "state_dict") else {}
        if state:
            out[key] = state
    return out


def state_field(name: str, doc: str = "") -> property:
    """A property of the Trainer that reads and writes ``self.state.<name>``."""

    def get(self: Any) -> Any:
        return getattr(self.state, name)

    def set_(self: Any, value: Any) -> None:
        setattr(self.state, name, value)

    return property(get, set_, doc=doc or f"``TrainState.{name}`` of this trainer.")
