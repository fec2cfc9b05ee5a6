"""Compiled train / eval / predict steps over a split NNX module (the fast path).

The module is split once (``graphdef, params, rest = nnx.split(model, nnx.Param, ...)``); each
step is a pure function ``jax.jit``-ed over the state, with the state and the accumulators
donated. ``nnx.merge`` happens inside the trace only. The learning rate is a traced scalar
argument, so changing it never recompiles. Loss and metric sums stay on the device until
:meth:`JaxSteps.results`; :meth:`JaxSteps.sync` writes the trained state back into the module.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from polyframe.backend import AbstractSteps
from polyframe.optim import Optimizer
from polyframe_jax.losses import metric_sum, per_sample_loss
from polyframe_jax.module import mode_of, restore_mode
from polyframe_jax.optimizers import direction

PHASES = ("train", "eval")


def _copy(tree: Any) -> Any:
    """A copy of every array of a state tree (so donation never frees the module's arrays)."""
    return jax.tree.map(lambda a: a.copy(), tree)


class JaxSteps(AbstractSteps):
    """Steps for one ``nnx.Module``; see the module docstring for the design."""

    def __init__(self, model: nnx.Module, optimizer: Optimizer, loss: str,
                 metrics: tuple[str, ...], compile: bool | None = None):
        self.model = model
        self.loss = loss
        self.metrics = tuple(metrics)
        saved = mode_of(model)
        try:
            model.train()
            self._gd_train, params, rest = nnx.split(model, nnx.Param, ...)
            model.eval()
            self._gd_eval = nnx.graphdef(model)
        finally:
            restore_mode(saved)
        self.params, self.rest = _copy(params), _copy(rest)
        self._tx = direction(optimizer)
        self.opt_state = self._tx.init(self.params)
        self._acc = {p: self._zeros() for p in PHASES}
        self._count = dict.fromkeys(PHASES, 0)

        train, evaluate, predict = self._train_fn, self._eval_fn, self._predict_fn
        if compile is not False:
            train = jax.jit(train, donate_argnums=(0, 1, 2, 3))
            evaluate = jax.jit(evaluate, donate_argnums=(2,))
            predict = jax.jit(predict)
        self._train, self._evaluate, self._predict = train, evaluate, predict

    # -- pure functions ------------------------------------------------------------------
    def _zeros(self) -> dict[str, jax.Array]:
        acc = {"loss": jnp.zeros((), jnp.float32)}
        acc.update({m: jnp.zeros((), jnp.int32) for m in self.metrics})
        return acc

    def _accumulate(self, acc: dict, out: jax.Array, losses: jax.Array, y: jax.Array) -> dict:
        new = {"loss": acc["loss"] + jnp.sum(losses)}
        new.update({m: acc[m] + metric_sum(m, out, y) for m in self.metrics})
        return new

    def _train_fn(self, params, rest, opt_state, acc, x, y, lr):
        def loss_fn(p):
            model = nnx.merge(self._gd_train, p, rest, copy=True)
            out = model(x)
            losses = per_sample_loss(self.loss, out, y)
            new_rest = nnx.state(model, nnx.Not(nnx.Param))
            return jnp.mean(losses), (out, losses, new_rest)

        (_, (out, losses, new_rest)), grads = jax.value_and_grad(loss_fn, has_aux=True)(params)
        d, opt_state = self._tx.update(grads, opt_state, params)
        params = jax.tree.map(lambda p, u: (p - lr * u).astype(p.dtype), params, d)
        return params, new_rest, opt_state, self._accumulate(acc, out, losses, y)

    def _eval_fn(self, params, rest, acc, x, y):
        out = nnx.merge(self._gd_eval, params, rest)(x)
        return self._accumulate(acc, out, per_sample_loss(self.loss, out, y), y)

    def _predict_fn(self, params, rest, x):
        return nnx.merge(self._gd_eval, params, rest)(x)

    # -- AbstractSteps -------------------------------------------------------------------
    def train(self, x: jax.Array, y: jax.Array, lr: float) -> None:
        """One optimizer step; ``lr`` is a traced argument (no recompile, no host sync)."""
        lr = lr if isinstance(lr, jax.Array) else np.float32(lr)
        self.params, self.rest, self.opt_state, self._acc["train"] = self._train(
            self.params, self.rest, self.opt_state, self._acc["train"], x, y, lr
        )
        self._count["train"] += x.shape[0]

    def evaluate(self, x: jax.Array, y: jax.Array) -> None:
        """Accumulate loss and metrics of a batch in inference mode."""
        self._acc["eval"] = self._evaluate(self.params, self.rest, self._acc["eval"], x, y)
        self._count["eval"] += x.shape[0]

    def predict(self, x: jax.Array) -> jax.Array:
        """Inference-mode outputs with the current (possibly unsynced) state."""
        return self._predict(self.params, self.rest, x)

    def results(self, phase: str) -> dict[str, float]:
        """Mean loss per sample and metrics since the last call (one host sync); resets."""
        if phase not in PHASES:
            raise ValueError(f"phase must be one of {PHASES}, got {phase!r}")
        acc, n = jax.device_get(self._acc[phase]), self._count[phase]
        self._acc[phase], self._count[phase] = self._zeros(), 0
        if n == 0:
            return {k: float("nan") for k in acc}
        return {k: float(v) / n for k, v in acc.items()}

    def sync(self) -> None:
        """Write (copies of) the trained parameters and state back into the module."""
        nnx.update(self.model, _copy(self.params), _copy(self.rest))

    def pull(self) -> None:
        """Re-read (copies of) the parameters and state from the module, e.g. after
        ``Model.load_params``; the optimizer state is kept."""
        _, params, rest = nnx.split(self.model, nnx.Param, ...)
        self.params, self.rest = _copy(params), _copy(rest)

    def wait(self) -> None:
        """Block until queued device work is done."""
        jax.block_until_ready((self.params, self.rest, self.opt_state, self._acc))
