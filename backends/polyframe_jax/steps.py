"""Compiled train / eval / predict steps over a split NNX module (the fast path).

The module is split once (``graphdef, params, rest = nnx.split(model, nnx.Param, ...)``); each
step is a pure function ``jax.jit``-ed over the state, with the state and the accumulators
donated (``_DONATE_ON_CPU`` says why on the CPU too). ``nnx.merge`` happens inside the trace only. The learning rate is a traced scalar
argument, so changing it never recompiles. Loss sums and metric counts stay on the device
until :meth:`JaxSteps.results`; :meth:`JaxSteps.sync` writes the trained state back into the
module. ``steps_per_execution`` runs several steps in one call with ``jax.lax.scan``;
``bfloat16`` / ``float16`` precision casts the parameters and inputs to that type inside the
step (the float32 parameters are the master copy and receive float32 gradients); ``float16``
also makes it the compute ``dtype`` of the Dense/Conv/Embed modules in the step's graphdefs.
Under ``bfloat16`` the Dense and Conv layers compute in bfloat16 (bfloat16 operands, float32
accumulation, bias added in float32, output rounded to bfloat16 once, as torch's autocast and
Keras' ``mixed_bfloat16`` do; normalization layers, embeddings, LSTM/GRU and attention keep
computing in float32 on the rounded values) and their weight and bias gradients are float32
sums over the global batch, rounded to bfloat16 once after XLA's all-reduce (polyframe's
bfloat16 gradient rule; Dense: ``polyframe_jax.bf16_grads.linear``). ``float16``
adds dynamic loss scaling by polyframe's one rule (polyframe/loss_scale.py), written here as a
few ``jnp.where``\ s: its state ``{"scale", "good"}`` travels with the optimizer state
through the jitted steps, and a step with non-finite gradients keeps the old parameters and
optimizer state (optax's ``apply_if_finite`` / jmp's ``select_tree`` idea). Not jmp: it is not
installed here, and its ``DynamicLossScale`` floors the scale at ``min_loss_scale`` (1 by
default) where torch and Keras do not; not flax's ``DynamicScale``: it grows one good step
later than torch and Keras.

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
from polyframe.loss_scale import BACKOFF, GOOD_STEPS, GROWTH, SCALE
from polyframe.metrics import compute
from polyframe.multi_io import loss_results, loss_shape
from polyframe.optim import Optimizer
from polyframe.step_config import StepConfig
from polyframe_jax import metrics as M
from polyframe_jax.layers import ConvLayer, DenseLayer
from polyframe_jax.losses import step_loss
from polyframe_jax.module import mode_of, restore_mode
from polyframe_jax.opt_init import init_state
from polyframe_jax.optimizers import direction

PHASES = ("train", "eval")


#: Whether the compiled steps donate their state buffers on the CPU platform (they always do on
#: GPU/TPU: donation halves the device memory the state needs). Measured both ways on the quiet
#: 2-core machine (session 5, `polyframe bench`, 2 workers per implementation, CPU ratio vs the
#: tuned flax loop): without donation the LSTM step is 1-3.5% faster in one process
#: (benchmarks/jax_donation_ab.py: a donated call waits for the previous one), but every step
#: then allocates fresh state buffers: the overhead curve's MLPs went 0.945 -> 1.052 (256-256-256,
#: batch 64) and 0.989 -> 1.072 (784-512-512, batch 128), ResNet-20's wall ratio 1.064 -> 1.111.
#: So the steps donate on the CPU too.
_DONATE_ON_CPU = True


def _copy(tree: Any) -> Any:
    """A copy of every array of a state tree (so donation never frees the module's arrays):
    ``device_put(may_alias=False)`` copies buffers without an XLA program (``a.copy()`` runs a
    copy program per shape, compiled or loaded from the persistent cache in a new process)."""
    return jax.tree.map(lambda a: jax.device_put(a, may_alias=False), tree)


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


#: Low compute precisions -> their JAX dtype.
_LOW = {"bfloat16": jnp.bfloat16, "float16": jnp.float16}
#: Modules whose ``dtype`` is their compute type (they promote inputs and kernel to it).
_COMPUTING = (nnx.Linear, nnx.Conv, nnx.ConvTranspose, nnx.Embed)
#: Under bfloat16: the matmul/conv modules that compute in bfloat16 with float32 accumulation
#: (an embedding is a lookup: it stays a float32 one, as under torch's autocast).
_BF16 = (DenseLayer, ConvLayer)


def _compute_dtype(model: nnx.Module, precision: str) -> list[tuple[Any, dict[str, Any]]]:
    """Set the compute ``dtype`` of the matmul/conv/embedding modules of ``model`` (for the
    step's graphdefs, split right after) and return what to restore; normalization layers
    keep float32 statistics, as Keras' mixed policies do.

    float16: the Dense/Conv/Embed modules compute in float16. bfloat16: Dense/Conv modules
    take bfloat16 operands with a float32 ``preferred_element_type`` (the products summed in
    float32, the bias added in float32, the output rounded to bfloat16 once by the layer), so
    autodiff's weight and bias gradients are float32 sums over the whole (global) batch,
    all-reduced in float32 and rounded to bfloat16 once (the transpose of the cast)."""
    if precision == "float16":
        kinds, dtype, preferred = _COMPUTING, jnp.float16, None
    elif precision == "bfloat16":
        kinds, dtype, preferred = _BF16, jnp.bfloat16, jnp.float32
    else:
        return []
    changed = []
    for _, module in nnx.iter_modules(model):
        if isinstance(module, kinds) and getattr(module, "dtype", None) is not None:
            old = {"dtype": module.dtype}
            module.dtype = dtype
            if preferred is not None:
                old["preferred_element_type"] = module.preferred_element_type
                module.preferred_element_type = preferred
            changed.append((module, old))
    return changed


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
        dtypes = _compute_dtype(model, config.precision)
        try:
            model.train()
            self._gd_train, params, rest = nnx.split(model, nnx.Param, ...)
            model.eval()
            self._gd_eval = nnx.graphdef(model)
        finally:
            restore_mode(saved)
            for module, old in dtypes:
                for name, value in old.items():
                    setattr(module, name, value)
        self._compile = compile
        self._defs: dict[str, Any] = {}  # tree structure of each state part
        self._leaves: dict[str, list[Any]] = {}  # its arrays (what the compiled steps take)
        self.params, self.rest = self._place(_copy(params)), self._place(_copy(rest))
        self._tx = direction(optimizer)
        self.opt_state = self._place(init_state(self._tx, self.params, compile))
        self._ls = None  # float16: the loss scale's state (a dict of arrays)
        if config.precision == "float16":
            self._set_scale(float(config.loss_scale.initial), 0)
        self._acc = {p: self._zeros() for p in PHASES}
        self._count = dict.fromkeys(PHASES, 0)
        self._gacc: Any = None  # sum of n_i * grad_i over pending micro-batches
        self._pending = 0
        self._last: Any = None
        self._lr: tuple[float, jax.Array] | None = None
        self._make_jits()

    def _make_jits(self) -> None:
        """The compiled steps, over the state parts' leaf lists (see :meth:`_leafwise`)."""

        keep = jax.default_backend() == "cpu"  # see _DONATE_ON_CPU

        def jit(fn: Any, donate: tuple[int, ...], ins: tuple, outs: tuple | None) -> Any:
            fn = self._leafwise(fn, ins, outs)
            if self._compile is False:
                return fn
            return jax.jit(fn, donate_argnums=() if keep and not _DONATE_ON_CPU else donate)

        state = ("params", "rest", "opt")
        self._train = jit(self._train_fn, (0, 1, 2, 3), state, state)
        self._train_acc = jit(self._train_acc_fn, (0, 1, 2, 3), state, state)  # gacc consumed
        self._accumulate = jit(self._accumulate_fn, (1, 2, 3), state[:2], ("rest",))
        self._train_many = jit(self._train_many_fn, (0, 1, 2, 3), state, state)
        self._evaluate = jit(self._eval_fn, (2,), state[:2], None)
        self._predict = jit(self._predict_fn, (), state[:2], None)

    # -- the state, held as leaf lists -----------------------------------------------------
    # The parameters, the other module state and the optimizer state reach the compiled steps
    # as flat lists of arrays, not as ``nnx.State`` trees: flattening an ``nnx.State`` of
    # ``nnx.Param`` variables and building the variables again from the outputs runs Python
    # code per variable on every call (measured ~30 us per step for a 2-layer MLP with Adam,
    # more than the step's own dispatch), while a list of arrays is flattened in C++. The
    # trees are rebuilt inside the trace only; ``params`` / ``rest`` / ``opt_state`` rebuild
    # them for host-side readers (checkpoints, ``sync``).
    def _get(self, part: str) -> Any:
        return jax.tree.unflatten(self._defs[part], self._leaves[part])

    def _set(self, part: str, tree: Any) -> None:
        leaves, treedef = jax.tree.flatten(tree)
        changed = part in self._defs and self._defs[part] != treedef
        self._leaves[part], self._defs[part] = leaves, treedef
        if changed:  # compiled steps rebuild trees with the old structure: compile anew
            self._make_jits()

    params = property(lambda self: self._get("params"), lambda self, v: self._set("params", v))
    rest = property(lambda self: self._get("rest"), lambda self, v: self._set("rest", v))
    # the optimizer state and the float16 loss scale (None otherwise) travel as one part
    opt_state = property(
        lambda self: self._get("opt")[0], lambda self, v: self._set("opt", (v, self._ls))
    )
    _ls = property(
        lambda self: self._get("opt")[1] if "opt" in self._defs else None,
        lambda self, v: self._set("opt", (self.opt_state, v)),
    )

    def _leafwise(self, fn: Any, ins: tuple[str, ...], outs: tuple[str, ...] | None) -> Any:
        """``fn`` over trees as a function over leaf lists: its first ``len(ins)`` arguments
        arrive as the leaves of those state parts, and (unless ``outs`` is None) the first
        ``len(outs)`` results leave as leaves; the rest pass through unchanged."""

        def leafwise(*args: Any) -> Any:
            trees = [
                jax.tree.unflatten(self._defs[p], a)
                for p, a in zip(ins, args[: len(ins)], strict=True)
            ]
            out = fn(*trees, *args[len(ins) :])
            if outs is None:
                return out
            return (
                *(self._leaves_of(p, t) for p, t in zip(outs, out[: len(outs)], strict=True)),
                *out[len(outs) :],
            )

        return leafwise

    def _leaves_of(self, part: str, tree: Any) -> list[Any]:
        """A new value of ``part`` (inside the trace) as leaves in its known structure."""
        leaves, treedef = jax.tree.flatten(tree)
        if treedef != self._defs[part]:
            raise RuntimeError(
                f"polyframe_jax: the step returned {part} as {treedef}, expected "
                f"{self._defs[part]}; this is a bug in polyframe_jax.steps, please report it"
            )
        return leaves

    def _place(self, tree: Any) -> Any:
        """State replicated over the placement's mesh (as is, on one device)."""
        return tree if self.placement is None else self.placement.replicate(tree)

    def local(self, tree: Any) -> Any:
        """This process's copy of (replicated) state, for reading on the host."""
        return tree if self.placement is None else self.placement.local(tree)

    # -- pure functions ------------------------------------------------------------------
    def _zeros(self) -> dict[str, jax.Array]:
        loss = M.device_zeros(loss_shape(self.config.loss))  # per output: a vector
        return {"loss": loss, **M.zeros(self.config.metrics)}

    def _add(self, acc: dict, out: jax.Array, loss: jax.Array, y: jax.Array) -> dict:
        new = {"loss": acc["loss"] + loss * _rows(out)}
        if len(acc) > 1:
            for k, v in M.counts(self.config.metrics, out, y).items():
                new[k] = acc[k] + v
        return new

    def _cast(self, tree: Any) -> Any:
        dtype = _LOW.get(self.config.precision)
        if dtype is None:
            return tree
        return jax.tree.map(
            lambda a: a.astype(dtype) if jnp.issubdtype(a.dtype, jnp.floating) else a, tree
        )

    def _grads(self, params, rest, x, y, w, ls=None):
        """Loss, outputs, new state and gradients; with a loss scale ``ls`` the gradients are
        those of ``loss * scale`` (still scaled)."""

        def loss_fn(p):
            model = nnx.merge(self._gd_train, self._cast(p), rest, copy=True)
            out = _float32(model(self._cast(x)))
            loss = step_loss(self.config.loss, out, y, w)
            new_rest = nnx.state(model, nnx.Not(nnx.Param))
            total = _total(loss)
            return (total if ls is None else total * ls["scale"]), (loss, out, new_rest)

        (_, (loss, out, new_rest)), grads = jax.value_and_grad(loss_fn, has_aux=True)(params)
        return loss, out, new_rest, grads

    def _update(self, params, opt_state, grads, lr):
        d, opt_state = self._tx.update(clip(grads, self.config), opt_state, params)
        params = jax.tree.map(lambda p, u: (p - lr * u).astype(p.dtype), params, d)
        return params, opt_state

    def _apply(self, params, opt, grads, lr):
        """One update from (scaled) gradients; ``opt`` is ``(optimizer state, loss scale)``.
        float16: unscale, skip the update when any gradient is inf/nan, move the scale."""
        opt_state, ls = opt
        if ls is None:
            return (*self._update(params, opt_state, grads, lr), None)
        inv = 1.0 / ls["scale"]
        grads = jax.tree.map(lambda g: g * inv.astype(g.dtype), grads)
        finite = jnp.all(jnp.stack([jnp.all(jnp.isfinite(g)) for g in jax.tree.leaves(grads)]))
        new_params, new_state = self._update(params, opt_state, grads, lr)
        keep = lambda new, old: jnp.where(finite, new, old)  # noqa: E731
        params = jax.tree.map(keep, new_params, params)
        opt_state = jax.tree.map(keep, new_state, opt_state)
        good = jnp.where(finite, ls["good"] + 1, 0)
        grow = good == self.config.loss_scale.growth_interval
        scale = ls["scale"]
        scale = jnp.where(finite, jnp.where(grow, scale * GROWTH, scale), scale * BACKOFF)
        return params, opt_state, {"scale": scale, "good": jnp.where(grow, 0, good)}

    def _train_fn(self, params, rest, opt, acc, x, y, lr, w):
        loss, out, rest, grads = self._grads(params, rest, x, y, w, opt[1])
        params, *opt = self._apply(params, opt, grads, lr)
        return params, rest, tuple(opt), self._add(acc, out, loss, y), _total(loss)

    def _accumulate_fn(self, params, rest, acc, gacc, x, y, w, ls=None):
        loss, out, rest, grads = self._grads(params, rest, x, y, w, ls)
        n = _rows(x)
        gacc = jax.tree.map(lambda a, g: a + n * g, gacc, grads)
        return rest, self._add(acc, out, loss, y), gacc, _total(loss)

    def _train_acc_fn(self, params, rest, opt, acc, gacc, x, y, lr, w, total):
        rest, acc, gacc, loss = self._accumulate_fn(params, rest, acc, gacc, x, y, w, opt[1])
        grads = jax.tree.map(lambda a: a / total, gacc)
        params, *opt = self._apply(params, opt, grads, lr)
        return params, rest, tuple(opt), acc, loss

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
        out = nnx.merge(self._gd_eval, self._cast(params), rest)(self._cast(x))
        low = (jnp.float16, jnp.bfloat16)  # float16/bfloat16 outputs read back as float32
        return jax.tree.map(lambda o: o.astype(jnp.float32) if o.dtype in low else o, out)

    # -- AbstractSteps -------------------------------------------------------------------
    def _lr_array(self, lr: float) -> jax.Array:
        """``lr`` as a device scalar, transferred again only when the value changes."""
        if self._lr is None or self._lr[0] != lr:
            self._lr = (lr, jax.device_put(np.float32(lr)))  # no XLA program, unlike jnp
        return self._lr[1]

    def train(self, x: jax.Array, y: jax.Array, lr: float, w: Any = None) -> None:
        """One optimizer step; ``lr`` is a traced argument (no recompile, no host sync)."""
        lr = lr if isinstance(lr, jax.Array) else self._lr_array(lr)
        leaves, acc = self._leaves, self._acc
        state = (leaves["params"], leaves["rest"], leaves["opt"], acc["train"])
        if self._gacc is None:
            *state, self._last = self._train(*state, x, y, lr, w)
        else:
            total = np.float32(self._pending + _rows(x))
            *state, self._last = self._train_acc(*state, self._gacc, x, y, lr, w, total)
            self._gacc, self._pending = None, 0
        leaves["params"], leaves["rest"], leaves["opt"], acc["train"] = state
        self._count["train"] += _rows(x)

    def accumulate(self, x: jax.Array, y: jax.Array, w: Any = None) -> None:
        """Add this micro-batch's gradient, weighted by its size (no step, no host sync)."""
        if self._gacc is None:
            self._gacc = self._place(jax.tree.map(jnp.zeros_like, self.local(self.params)))
        leaves = self._leaves
        leaves["rest"], self._acc["train"], self._gacc, self._last = self._accumulate(
            leaves["params"], leaves["rest"], self._acc["train"], self._gacc, x, y, w, self._ls
        )
        self._pending += _rows(x)
        self._count["train"] += _rows(x)

    def train_many(self, xs: Any, ys: Any, lrs: Any, ws: Any = None) -> None:
        """``len(lrs)`` steps in one compiled call (``jax.lax.scan``)."""
        leaves, acc = self._leaves, self._acc
        state = (leaves["params"], leaves["rest"], leaves["opt"], acc["train"])
        lrs = np.asarray(lrs, np.float32)
        *state, self._last = self._train_many(*state, xs, ys, lrs, ws)
        leaves["params"], leaves["rest"], leaves["opt"], acc["train"] = state
        self._count["train"] += xs.shape[0] * xs.shape[1]

    def last_losses(self) -> np.ndarray:
        """Losses of the last call's steps (a host sync)."""
        return np.atleast_1d(np.asarray(jax.device_get(self.local(self._last)), np.float64))

    def evaluate(self, x: jax.Array, y: jax.Array) -> None:
        """Accumulate loss and metrics of a batch in inference mode."""
        leaves = self._leaves
        self._acc["eval"] = self._evaluate(
            leaves["params"], leaves["rest"], self._acc["eval"], x, y
        )
        self._count["eval"] += _rows(x)

    def predict(self, x: jax.Array) -> jax.Array:
        """Inference-mode outputs with the current (possibly unsynced) state."""
        if self.placement is not None:  # every device computes the whole batch
            x = self.placement.replicate(x)
            return self.placement.local(self._predict(*self._state_leaves(), x))
        return self._predict(*self._state_leaves(), x)

    def _state_leaves(self) -> tuple[list[Any], list[Any]]:
        return self._leaves["params"], self._leaves["rest"]

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
        jax.block_until_ready((self._leaves, self._acc))

    # -- checkpoints (polyframe_jax.opt_state) ---------------------------------------------------
    def _set_scale(self, scale: float, good: int) -> None:
        self._ls = self._place(
            {"scale": jax.device_put(np.float32(scale)), "good": jax.device_put(np.int32(good))}
        )

    def loss_scale_state(self) -> dict[str, np.ndarray]:
        """The float16 loss scale and its count of good steps (``{}`` in other precisions)."""
        if self._ls is None:
            return {}
        ls = jax.device_get(self._single(self._ls))
        return {
            SCALE: np.asarray(ls["scale"], np.float32),
            GOOD_STEPS: np.asarray(int(ls["good"]), np.int64),
        }

    def optimizer_state(self) -> dict[str, Any]:
        """The optimizer state in canonical names and layout (with the loss scale)."""
        from polyframe_jax import opt_state

        return {**opt_state.export_state(self), **self.loss_scale_state()}

    def load_optimizer_state(self, state: dict[str, Any]) -> None:
        """Replace the optimizer state by a canonical one; a loss scale in it is restored
        (float16; one missing, as in a float32 checkpoint, leaves the scale as it is)."""
        from polyframe_jax import opt_state

        opt_state.import_state(self, state)
        self.opt_state = self._place(self.opt_state)
        if self._ls is not None and SCALE in state:
            self._set_scale(float(np.asarray(state[SCALE])), int(np.asarray(state[GOOD_STEPS])))

    def train_sums(self) -> dict[str, np.ndarray]:
        """The training sums since the last ``results("train")`` (one device; data parallel:
        ``{}``)."""
        if self.placement is not None:
            return {}
        acc = jax.device_get(self._acc["train"])
        counts = {f"count.{k}": np.asarray(v) for k, v in acc.items() if k != "loss"}
        samples = np.asarray(self._count["train"], np.int64)
        return {"loss": np.asarray(acc["loss"]), "samples": samples, **counts}

    def load_train_sums(self, sums: dict[str, np.ndarray]) -> None:
        """Replace the training sums (what :meth:`train_sums` returned)."""
        acc = {"loss": jnp.asarray(sums["loss"])}
        acc.update({k: jnp.asarray(sums[f"count.{k}"]) for k in self._acc["train"] if k != "loss"})
        self._acc["train"], self._count["train"] = acc, int(sums["samples"])

    def rng_state(self) -> dict[str, Any]:
        """The dropout streams' keys and counters."""
        from polyframe_jax import opt_state

        return opt_state.rng_state(self)

    def load_rng_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`rng_state` returned."""
        from polyframe_jax import opt_state

        opt_state.load_rng_state(self, state)
