"""``Pruning``: magnitude pruning as a Trainer callback, and ``strip``.

The masks are canonical 0/1 arrays (one per pruned kernel, canonical layout). After every
optimizer step the callback writes ``w * mask`` back into the native module on the device
(``steps.sync`` / ``Model.load_params`` / ``steps.pull``), so the next step always reads zeros
for pruned weights. For element-wise optimizers (SGD, momentum, Adam, AdamW) this trains the
surviving weights exactly as masking the gradients would: a pruned weight is reset before it
is ever read, and no surviving weight's update depends on another weight's gradient. The one
exception, global-norm clipping (which would count the pruned gradients), is refused.
Masks only grow, and they live in the weights' zeros, so a checkpoint carries them and a
resumed run re-reads them (:func:`polyframe.compress.sparsity.masks_from_zeros`).
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from polyframe.callbacks.base import Callback
from polyframe.compress.sparsity import (
    PRUNABLE,
    ConstantSparsity,
    PolynomialDecay,
    magnitude_mask,
    masks_from_zeros,
)
from polyframe.errors import ConfigError


def _targets(spec: Any, layers: Iterable[str] | None) -> tuple[str, ...]:
    nodes = {n.name: n for n in spec.nodes}
    if layers is None:
        return tuple(n.name for n in spec.nodes if n.layer.kind in PRUNABLE)
    chosen = tuple(layers)
    for name in chosen:
        if name not in nodes:
            raise ConfigError(f"Pruning: no layer named {name!r}; layers: {', '.join(nodes)}")
        if nodes[name].layer.kind not in PRUNABLE:
            raise ConfigError(
                f"Pruning: layer {name!r} is a {nodes[name].layer.kind}, which has no prunable "
                f"kernel (prunable kinds: {', '.join(PRUNABLE)})"
            )
    return chosen


class Pruning(Callback):
    """Magnitude pruning during ``fit``.

    ``schedule``: a :class:`ConstantSparsity` or :class:`PolynomialDecay` (a float is a
    constant sparsity from step 0); ``structured=True`` prunes whole output channels / units
    (then :func:`polyframe.compress.shrink` removes them); ``layers``: names to prune
    (default: every Dense / Conv1D / Conv2D). ``masks`` holds the current masks
    (``{'<layer>.kernel': 0/1 float32}``, plus ``'<layer>.bias'`` when structured).

    >>> prune = pf.compress.Pruning(PolynomialDecay(0.0, 0.9, 0, 200))  # doctest: +SKIP
    >>> trainer.fit(x, y, epochs=5, callbacks=[prune])                    # doctest: +SKIP
    """

    def __init__(
        self,
        schedule: ConstantSparsity | PolynomialDecay | float,
        structured: bool = False,
        layers: Iterable[str] | None = None,
    ) -> None:
        if isinstance(schedule, (int, float)):
            schedule = ConstantSparsity(float(schedule))
        if not isinstance(schedule, (ConstantSparsity, PolynomialDecay)):
            raise ConfigError(
                "Pruning: schedule must be a ConstantSparsity, a PolynomialDecay or a float, "
                f"got {type(schedule).__name__}"
            )
        self.schedule = schedule
        self.structured = bool(structured)
        self.layers = None if layers is None else tuple(layers)
        self.masks: dict[str, np.ndarray] = {}
        self.targets: tuple[str, ...] = ()

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        trainer = self.trainer
        cfg = trainer.config
        if cfg.clip_norm is not None or cfg.steps_per_execution > 1 or trainer.strategy:
            raise ConfigError(
                "Pruning re-applies its masks after every optimizer step on one device: it "
                "cannot run with clip_norm (the global norm would count pruned gradients), "
                "steps_per_execution > 1 or a data-parallel strategy; train without them"
            )
        model = trainer.model
        self.targets = _targets(model.spec, self.layers)
        trainer.steps.sync()
        params = model.params()
        # masks carried by the weights: all ones on a fresh model, the saved ones on resume
        self.masks = self._with_bias(
            {f"{n}.kernel": masks_from_zeros(params[f"{n}.kernel"], self.structured)
             for n in self.targets},
            params,
        )  # fmt: skip

    def _with_bias(self, masks: dict[str, np.ndarray], params: dict) -> dict[str, np.ndarray]:
        if self.structured:
            for key in list(masks):
                bias = key.rsplit(".", 1)[0] + ".bias"
                if bias in params:
                    masks[bias] = masks[key].reshape(-1, masks[key].shape[-1])[0].copy()
        return masks

    def on_train_batch_end(self, step: int, logs: dict[str, Any] | None = None) -> None:
        trainer, model = self.trainer, self.trainer.model
        trainer.steps.sync()
        params = model.params()
        if self.schedule.updates_at(step):
            sparsity = self.schedule.sparsity(step)
            new = {}
            for name in self.targets:
                key = f"{name}.kernel"
                masked = params[key] * self.masks[key]  # pruned weights rank lowest
                new[key] = magnitude_mask(masked, sparsity, self.structured) * self.masks[key]
            self.masks = self._with_bias(new, params)
        for key, mask in self.masks.items():
            params[key] = params[key] * mask
        model.load_params(params)
        trainer.steps.pull()


def strip(model: Any, masks: dict[str, np.ndarray] | None = None) -> Any:
    """A plain ``pf.Model`` (same backend) for export: the weights with ``masks`` applied
    (default: the masks already in the weights). Nothing of the pruning machinery remains;
    :func:`polyframe.compress.shrink` also removes structurally pruned channels."""
    from polyframe.model import Model

    params = model.params()
    for key, mask in (masks or {}).items():
        params[key] = params[key] * mask
    return Model.lowered(model.spec, params, model.backend_impl, model.dtype)
