"""Compiled train / eval / predict steps over a split NNX module (the fast path).

The module is split once (``graphdef, params, rest = nnx.split(model, nnx.Param, ...)``); each
step is a pure function ``jax.jit``-ed over the state, with the state and the accumulators
donated. ``nnx.merge`` happens inside the trace only. The learning rate is a traced scalar
argument, so changing it never recompiles. Loss sums and metric counts stay on the device
until :meth:`JaxSteps.results`; :meth:`JaxSteps.sync` writes the trained state back into the
module. ``steps_per_execution`` runs several steps in one call with ``jax.lax.scan``;
``bfloat16`` precision casts the parameters and inputs to bfloat16 inside the step (the
float32 parameters are the master copy and receive float32 gradients).

Data parallelism is a placement of these same steps (``polyframe_jax.distributed``): the state
is replicated over a device mesh and batches arrive split over it, so the one jitted step runs
on every device and XLA all-reduces the gradients (the clipping norm is the global one).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from polyframe.backend import AbstractSteps
from polyframe.errors import ConfigError
from polyframe.metrics import compute
from polyframe.multi_io import loss_results, loss_shape
from polyframe.optim import Optimizer
from polyframe.step_config import StepConfig
from polyframe_jax import metrics as M
from polyframe_jax.losses import step_loss
from polyframe_jax.module import mode_of, restore_mode
from polyframe_jax.optimizers import direction

PHASES = ("train", "eval")


def _copy(tree: Any) -> Any:
    """A copy of every array of a state tree (so donation never frees the module's arrays)."""
    return jax.tree.map(lambda a: a.copy(), tree)


def _rows(t: Any) -> int:
    """Rows of a batch: an array, or a list of them (several inputs / outputs)."""
    return (t[0] if isinstance(t, (list, tuple)) else t).shape[0]


def _total(loss: jax.Array) -> jax.Array:
    """The loss to differentiate: the first entry of a per-output loss vector."""
    return loss if loss.ndim == 0 else loss[0]


def _float32(out: Any) -> Any:
    """Outputs (an array or a tuple of them) in float32."""
    return jax.tree.map(lambda o: o.astype(jnp.float32), out)


def clip(grads: Any, config: StepConfig) -> Any:
    """Clip by value, then by global norm with torch's ``max / (norm + 1e-6)`` formula."""
    if config.clip_value is not None:
        v = config.clip_value
        grads = jax.tree.map(lambda g: jnp.clip(g, -v, v), grads)
    if config.clip_norm is not None:
        coef = jnp.minimum(1.0, config.clip_norm / (optax.global_norm(grads) + 1e-6))
        grads = jax.tree.map(lambda g: (g * coef).astype(g.dtype), grads)
    return grads


class JaxSteps(AbstractSteps):
    """Steps for one ``nnx.Module``; see the module docstring for the design."""

    def __init__(
        self,
        model: nnx.Module,
        spec: Any,
        optimizer: Optimizer,
        config: StepConfig,
        compile: bool | None = None,
        placement: Any = None,
    ):
        self.model = model
        self.spec, self.opt_spec = spec, optimizer  # the canonical names of checkpoints
        self.config = config
        self.placement = placement
        saved = mode_of(model)
        try:
            model.train()
            self._gd_train, params, rest = nnx.split(model, nnx.Param, ...)
            model.eval()
            self._gd_eval = nnx.graphdef(model)
        finally:
            restore_mode(saved)
        self.params, self.rest = self._place(_copy(params)), self._place(_copy(rest))
        self._tx = direction(optimizer)
        self.opt_state = self._place(self._tx.init(self.params))
        self._acc = {p: self._zeros() for p in PHASES}
        self._count = dict.fromkeys(PHASES, 0)
        self._gacc: Any = None  # sum of n_i * grad_i over pending micro-batches
        self._pending = 0
        self._last: Any = None
        self._lr: tuple[float, jax.Array] | None = None

        def jit(fn: Any, donate: tuple[int, ...]) -> Any:
            return jax.jit(fn, donate_argnums=donate) if compile is not False else fn

        self._train = jit(self._train_fn, (0, 1, 2, 3))
        self._train_acc = jit(self._train_acc_fn, (0, 1, 2, 3))  # gacc is consumed
        self._accumulate = jit(self._accumulate_fn, (1, 2, 3))
        self._train_many = jit(self._train_many_fn, (0, 1, 2, 3))
        self._evaluate = jit(self._eval_fn, (2,))
        self._predict = jit(self._predict_fn, ())

    def _place(self, tree: Any) -> Any:
        """State replicated over the placement's mesh (as is, on one device)."""
        return tree if self.placement is None else self.placement.replicate(tree)

    def local(self, tree: Any) -> Any:
        """This process's copy of (replicated) state, for reading on the host."""
        return tree if self.placement is None else self.placement.local(tree)

    # -- pure functions ------------------------------------------------------------------
    def _zeros(self) -> dict[str, jax.Array]:
        loss = jnp.zeros(loss_shape(self.config.loss), jnp.float32)  # per output: a vector
        return {"loss": loss, **M.zeros(self.config.metrics)}

    def _add(self, acc: dict, out: jax.Array, loss: jax.Array, y: jax.Array) -> dict:
        new = {"loss": acc["loss"] + loss * _rows(out)}
        if len(acc) > 1:
            for k, v in M.counts(self.config.metrics, out, y).items():
                new[k] = acc[k] + v
        return new

    def _cast(self, tree: Any) -> Any:
        if self.config.precision != "bfloat16":
            return tree
        return jax.tree.map(
            lambda a: a.astype(jnp.bfloat16) if jnp.issubdtype(a.dtype, jnp.floating) else a, tree
        )

    def _grads(self, params, rest, x, y, w):
        def loss_fn(p):
            model = nnx.merge(self._gd_train, self._cast(p), rest, copy=True)
            out = _float32(model(self._cast(x)))
            loss = step_loss(self.config.loss, out, y, w)
            new_rest = nnx.state(model, nnx.Not(nnx.Param))
            return _total(loss), (out, new_rest, loss)

        (_, (out, new_rest, loss)), grads = jax.value_and_grad(loss_fn, has_aux=True)(params)
        return loss, out, new_rest, grads

    def _apply(self, params, opt_state, grads, lr):
        d, opt_state = self._tx.update(clip(grads, self.config), opt_state, params)
        params = jax.tree.map(lambda p, u: (p - lr * u).astype(p.dtype), params, d)
        return params, opt_state

    def _train_fn(self, params, rest, opt_state, acc, x, y, lr, w):
        loss, out, rest, grads = self._grads(params, rest, x, y, w)
        params, opt_state = self._apply(params, opt_state, grads, lr)
        return params, rest, opt_state, self._add(acc, out, loss, y), _total(loss)

    def _accumulate_fn(self, params, rest, acc, gacc, x, y, w):
        loss, out, rest, grads = self._grads(params, rest, x, y, w)
        n = _rows(x)
        gacc = jax.tree.map(lambda a, g: a + n * g, gacc, grads)
        return rest, self._add(acc, out, loss, y), gacc, _total(loss)

    def _train_acc_fn(self, params, rest, opt_state, acc, gacc, x, y, lr, w, total):
        rest, acc, gacc, loss = self._accumulate_fn(params, rest, acc, gacc, x, y, w)
        grads = jax.tree.map(lambda a: a / total, gacc)
        params, opt_state = self._apply(params, opt_state, grads, lr)
        return params, rest, opt_state, acc, loss

    def _train_many_fn(self, params, rest, opt_state, acc, xs, ys, lrs, ws):
        def body(carry, batch):
            x, y, lr, w = batch
            *carry, loss = self._train_fn(*carry, x, y, lr, w)
            return tuple(carry), loss

        carry, losses = jax.lax.scan(body, (params, rest, opt_state, acc), (xs, ys, lrs, ws))
        return (*carry, losses)

    def _eval_fn(self, params, rest, acc, x, y):
        out = nnx.merge(self._gd_eval, self._cast(params), rest)(self._cast(x))
        out = _float32(out)
        return self._add(acc, out, step_loss(self.config.loss, out, y, None), y)

    def _predict_fn(self, params, rest, x):
        return nnx.merge(self._gd_eval, self._cast(params), rest)(self._cast(x))

    # -- AbstractSteps -------------------------------------------------------------------
    def _lr_array(self, lr: float) -> jax.Array:
        """``lr`` as a device scalar, transferred again only when the value changes."""
        if self._lr is None or self._lr[0] != lr:
            self._lr = (lr, jnp.asarray(lr, jnp.float32))
        return self._lr[1]

    def train(self, x: jax.Array, y: jax.Array, lr: float, w: Any = None) -> None:
        """One optimizer step; ``lr`` is a traced argument (no recompile, no host sync)."""
        lr = lr if isinstance(lr, jax.Array) else self._lr_array(lr)
        state = (self.params, self.rest, self.opt_state, self._acc["train"])
        if self._gacc is None:
            *state, self._last = self._train(*state, x, y, lr, w)
        else:
            total = np.float32(self._pending + _rows(x))
            *state, self._last = self._train_acc(*state, self._gacc, x, y, lr, w, total)
            self._gacc, self._pending = None, 0
        self.params, self.rest, self.opt_state, self._acc["train"] = state
        self._count["train"] += _rows(x)

    def accumulate(self, x: jax.Array, y: jax.Array, w: Any = None) -> None:
        """Add this micro-batch's gradient, weighted by its size (no step, no host sync)."""
        if self._gacc is None:
            self._gacc = self._place(jax.tree.map(jnp.zeros_like, self.local(self.params)))
        self.rest, self._acc["train"], self._gacc, self._last = self._accumulate(
            self.params, self.rest, self._acc["train"], self._gacc, x, y, w
        )
        self._pending += _rows(x)
        self._count["train"] += _rows(x)

    def train_many(self, xs: Any, ys: Any, lrs: Any, ws: Any = None) -> None:
        """``len(lrs)`` steps in one compiled call (``jax.lax.scan``)."""
        state = (self.params, self.rest, self.opt_state, self._acc["train"])
        lrs = np.asarray(lrs, np.float32)
        *state, self._last = self._train_many(*state, xs, ys, lrs, ws)
        self.params, self.rest, self.opt_state, self._acc["train"] = state
        self._count["train"] += xs.shape[0] * xs.shape[1]

    def last_losses(self) -> np.ndarray:
        """Losses of the last call's steps (a host sync)."""
        return np.atleast_1d(np.asarray(jax.device_get(self.local(self._last)), np.float64))

    def evaluate(self, x: jax.Array, y: jax.Array) -> None:
        """Accumulate loss and metrics of a batch in inference mode."""
        self._acc["eval"] = self._evaluate(self.params, self.rest, self._acc["eval"], x, y)
        self._count["eval"] += _rows(x)

    def predict(self, x: jax.Array) -> jax.Array:
        """Inference-mode outputs with the current (possibly unsynced) state."""
        if self.placement is not None:  # every device computes the whole batch
            x = self.placement.replicate(x)
            return self.placement.local(self._predict(self.params, self.rest, x))
        return self._predict(self.params, self.rest, x)

    def results(self, phase: str) -> dict[str, Any]:
        """Mean loss per sample and metrics since the last call (one host sync); resets."""
        if phase not in PHASES:
            raise ConfigError(f"phase must be one of {PHASES}, got {phase!r}")
        acc, n = jax.device_get(self.local(self._acc[phase])), self._count[phase]
        self._acc[phase], self._count[phase] = self._zeros(), 0
        out: dict[str, Any] = loss_results(self.config.loss, acc.pop("loss"), n)
        out.update(compute(self.config.metrics, {k: np.asarray(v) for k, v in acc.items()}, n))
        return out

    def sync(self) -> None:
        """Write (copies of) the trained parameters and state back into the module."""
        nnx.update(self.model, _copy(self._single(self.params)), _copy(self._single(self.rest)))

    def pull(self) -> None:
        """Re-read (copies of) the parameters and state from the module, e.g. after
        ``Model.load_params``; the optimizer state is kept."""
        _, params, rest = nnx.split(self.model, nnx.Param, ...)
        self.params, self.rest = self._place(_copy(params)), self._place(_copy(rest))

    def _single(self, tree: Any) -> Any:
        """One device's copy of replicated arrays (what the user's module holds)."""
        if self.placement is None:
            return tree
        return jax.tree.map(lambda a: a.addressable_data(0), tree)

    def wait(self) -> None:
        """Block until queued device work is done."""
        jax.block_until_ready((self.params, self.rest, self.opt_state, self._acc))

    # -- checkpoints (polyframe_jax.opt_state) ---------------------------------------------------
    def optimizer_state(self) -> dict[str, Any]:
        """The optimizer state in canonical names and layout."""
        from polyframe_jax import opt_state

        return opt_state.export_state(self)

    def load_optimizer_state(self, state: dict[str, Any]) -> None:
        """Replace the optimizer state by a canonical one."""
        from polyframe_jax import opt_state

        opt_state.import_state(self, state)
        self.opt_state = self._place(self.opt_state)

    def rng_state(self) -> dict[str, Any]:
        """The dropout streams' keys and counters."""
        from polyframe_jax import opt_state

        return opt_state.rng_state(self)

    def load_rng_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`rng_state` returned."""
        from polyframe_jax import opt_state

        opt_state.load_rng_state(self, state)
