"""Compiled train / eval / predict steps: one ``tf.function`` each (XLA by default).

The learning rate enters as a float32 tensor argument (no retrace when it changes); the loss
sum and metric counts accumulate in float64 ``tf.Variable``\\ s inside the compiled step, and
only :meth:`TensorFlowSteps.results` reads them back. Gradient accumulation keeps the summed
gradients in variables; ``steps_per_execution`` runs several steps in one compiled call (a
``tf.while_loop``); ``bfloat16`` / ``float16`` precision gives the Keras layers the
``mixed_bfloat16`` / ``mixed_float16`` dtype policy (float32 variables, low-precision compute).
``float16`` adds dynamic loss scaling by polyframe's one rule (polyframe/loss_scale.py),
written here with two variables and a ``tf.cond`` (Keras' ``LossScaleOptimizer`` keeps the same
rule, but it unscales inside ``apply``, after polyframe's clipping, which must see unscaled
gradients). Data parallel, the ``tf.cond`` sits in the cross-replica context, around the
replicas' update, as in Keras' ``LossScaleOptimizer``.

Data parallelism is a placement of these same steps (``polyframe_tensorflow.distributed``):
the steps keep a mirrored copy of the Keras model made inside the strategy's scope, and each
step body runs inside ``strategy.run`` on this process's replicas; the replicas' gradients are
summed with a cross-replica all-reduce *before* clipping (so the norm is the global one).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from polyframe.backend import AbstractSteps
from polyframe.errors import ConfigError
from polyframe.loss_scale import BACKOFF, GOOD_STEPS, GROWTH, SCALE
from polyframe.metrics import compute
from polyframe.multi_io import loss_results, loss_shape
from polyframe.optim import Optimizer
from polyframe.spec.conv import Conv2D
from polyframe.spec.recurrent import GRU, LSTM
from polyframe.step_config import StepConfig
from polyframe_tensorflow import bf16_grads
from polyframe_tensorflow import metrics as M
from polyframe_tensorflow._env import keras, tf
from polyframe_tensorflow.losses import step_loss
from polyframe_tensorflow.optimizers import keras_optimizer

PHASES = ("train", "eval")
MODES = ("xla", "graph", "eager")
#: Layer kinds whose models run in graph mode on a CPU-only machine / without an XLA update.
RECURRENT = (LSTM, GRU)


def _contains(spec: Any, kinds: tuple[type, ...]) -> bool:
    """Whether a layer of ``spec`` is one of ``kinds``."""
    return any(isinstance(n.layer, kinds) for n in spec.nodes)


def choose_mode(spec: Any, compile: bool | None, precision: str = "float32") -> str:
    """``compile=True``: XLA; ``False``: eager (debugging); ``None``: the fast default, XLA,
    except for convolutional and recurrent models on a CPU-only machine, where TF's graph mode
    measured faster (oneDNN convolutions ~3.5x; the LSTM suite's step 17.2 vs 19.5 ms); its
    optimizer update is still XLA-compiled, except in recurrent models (see :func:`xla_update`).

    ``bfloat16`` defaults to graph mode too: the data-parallel step runs in graph mode (inside
    ``strategy.run``), and bfloat16 numbers depend on the mode (XLA keeps some intermediates in
    float32, graph mode fuses matmul + bias + activation before rounding), so one worker and N
    workers agree only in the same mode (measured: 7e-3 apart across modes, 8e-8 within)."""
    if compile is True:
        return "xla"
    if compile is False:
        return "eager"
    if precision == "bfloat16":
        return "graph"
    if _contains(spec, (Conv2D, *RECURRENT)) and not tf.config.list_logical_devices("GPU"):
        return "graph"
    return "xla"


def xla_update(spec: Any) -> bool:
    """Whether graph mode XLA-compiles the optimizer update: yes (a few fused loops instead of
    one TF kernel per op: the CNN step measured 0.89x of the tuned Keras loop's, 1.05x
    without), except in recurrent models. There the XLA call slows the rest of the step: the
    lstm suite's graph-executor thread spent ~12% more CPU per step with it (one thread does
    all the work; the update alone is cheaper in XLA), polyframe/tuned CPU 1.04-1.14 with it,
    1.00-1.02 without, on a busy machine; on a quiet one the harness measured 1.066 with
    neither (benchmarks/results/lstm_profile.md, session 6), most of it from ``TorchAdam``
    copying its states every step (fixed in polyframe_tensorflow.optimizers, session 7)."""
    return not _contains(spec, RECURRENT)


def _rows(t: Any) -> Any:
    """Rows of a batch (a tensor): a tensor, or a list of them (several inputs / outputs)."""
    return tf.shape(t[0] if isinstance(t, (list, tuple)) else t)[0]


def _count(t: Any) -> int:
    """Rows of a batch on the host (its static shape): a tensor, or a list of them."""
    return int((t[0] if isinstance(t, (list, tuple)) else t).shape[0])


def _head(t: Any, real: Any) -> Any:
    """The first ``real`` rows of a tensor or of each tensor of a list."""
    return [a[:real] for a in t] if isinstance(t, (list, tuple)) else t[:real]


def _total(loss: Any) -> Any:
    """The loss to differentiate: the first entry of a per-output loss vector."""
    return loss if loss.shape.rank == 0 else loss[0]


def clip(grads: list[Any], config: StepConfig) -> list[Any]:
    """Clip by value, then by global norm with torch's ``max / (norm + 1e-6)`` formula."""
    if config.clip_value is not None:
        grads = [tf.clip_by_value(g, -config.clip_value, config.clip_value) for g in grads]
    if config.clip_norm is not None:
        norm = tf.linalg.global_norm(grads)
        coef = tf.minimum(1.0, config.clip_norm / (norm + 1e-6))
        grads = [g * tf.cast(coef, g.dtype) for g in grads]
    return grads


class _Accumulators:
    """Device-side sums of one phase: loss * batch and the metric counts; the sample count
    is known on the host (every batch's size is), so the compiled step does not carry it."""

    def __init__(self, phase: str, config: StepConfig, **options: Any) -> None:
        self.plan = config.metrics
        self.loss_spec = config.loss
        self.loss = tf.Variable(
            tf.zeros(loss_shape(config.loss), tf.float64),  # per output: a vector
            dtype=tf.float64,
            trainable=False,
            name=f"{phase}_loss_sum",
            **options,
        )
        self.counts = M.variables(self.plan, phase, **options)
        self.samples = 0

    def add(self, outputs: Any, y: Any, loss: Any, total: Any = None) -> None:
        """Inside the compiled step: add one batch's loss sum (``total``, else ``loss`` times
        the batch size) and metric counts."""
        if total is None:
            total = tf.cast(loss, tf.float64) * tf.cast(_rows(outputs), tf.float64)
        self.loss.assign_add(tf.cast(total, tf.float64))
        if self.counts:
            M.add_counts(self.plan, self.counts, outputs, y)

    def read_and_reset(self) -> dict[str, Any]:
        count = self.samples
        out: dict[str, Any] = loss_results(self.loss_spec, self.loss.numpy(), count)
        counts = {k: v.numpy().copy() for k, v in self.counts.items()}
        out.update(compute(self.plan, counts, int(count)))
        for v in (self.loss, *self.counts.values()):
            v.assign(tf.zeros_like(v))
        self.samples = 0
        return out


class BoundStep:
    """A step method bound to one steps object, as the plain callable its ``tf.function``
    wraps. TF's retracing detector keys a function by its code object, which every closure made
    by one line shares: all steps of all models in a process counted as one function, and a
    process that built a few models got TF's "triggered tf.function retracing" warning from
    their first traces (and tests depended on which ran before). An object without
    ``__code__`` is its own key. Unlike ``functools.partial``, it has no bound arguments for
    TF to inspect on every call (a partial measured 4% of an MLP step; this costs what a
    closure does, 148 vs 149 us per call of a trivial function)."""

    __slots__ = ("_method", "_owner", "__name__", "__weakref__")

    def __init__(self, method: Any, owner: Any) -> None:
        self._method, self._owner = method, owner
        self.__name__ = method.__name__

    def __call__(self, *args: Any) -> Any:
        return self._method(self._owner, *args)


class TensorFlowSteps(AbstractSteps):
    """Train / eval / predict over a Keras model; parameters are updated in place, so
    :meth:`sync` has nothing to copy."""

    def __init__(
        self,
        model: keras.Model,
        spec: Any,
        optimizer: Optimizer,
        config: StepConfig,
        mode: str = "xla",
        placement: Any = None,
    ) -> None:
        if mode not in MODES:
            raise ConfigError(f"mode must be one of {MODES}, got {mode!r}")
        self.spec, self.opt_spec = spec, optimizer  # the canonical names of checkpoints
        self.placement = placement
        self.user = model  # the user's Keras model (``sync`` / ``pull`` copy to and from it)
        if placement is None:
            self._build(model, optimizer, config, mode)
            return
        from polyframe_tensorflow.lower import lower
        from polyframe_tensorflow.params import export_params

        with placement.strategy.scope():  # variables made in the scope are mirrored
            dtype = str(model.trainable_variables[0].dtype) if model.trainable_variables else None
            replica = lower(spec, export_params(model), dtype or "float32")
            if config.sync_batchnorm:
                from polyframe_tensorflow.batchnorm import CanonicalBatchNorm

                for layer in replica._flatten_layers():
                    if isinstance(layer, CanonicalBatchNorm):
                        layer.synchronized = True
            self._build(replica, optimizer, config, "graph")  # strategy.run: no XLA around it
            self._dp_train = tf.function(self._closure(type(self)._dp_train_step))
            self._dp_many = tf.function(self._closure(type(self)._dp_train_many_step))
            self._dp_accumulate = tf.function(self._closure(type(self)._dp_accumulate_step))
            self._dp_eval = tf.function(self._closure(type(self)._dp_eval_step))

    def _build(self, model: Any, optimizer: Optimizer, config: StepConfig, mode: str) -> None:
        self.model = model
        self.config = config
        if config.precision in ("bfloat16", "float16"):
            for layer in model._flatten_layers(include_self=False):  # nested layers too
                layer.dtype_policy = f"mixed_{config.precision}"
        # gradients summed in float32, rounded to bfloat16 after the all-reduce (bf16_grads)
        bf16 = config.precision == "bfloat16"
        self._bf16_mask = bf16_grads.mask(model) if bf16 else []
        self._bf16_layers = bf16_grads.recompute_layers(model) if bf16 else []
        if config.deterministic:
            tf.config.experimental.enable_op_determinism()
        self.optimizer = keras_optimizer(optimizer)
        self.optimizer.build(model.trainable_variables)
        # data parallel: per-replica sums (read back summed over the replicas)
        local = (
            {}
            if self.placement is None
            else {
                "synchronization": tf.VariableSynchronization.ON_READ,
                "aggregation": tf.VariableAggregation.SUM,
            }
        )
        self._acc = {phase: _Accumulators(phase, config, **local) for phase in PHASES}
        self._scale: tf.Variable | None = None  # float16: the loss scale and its good steps
        if config.precision == "float16":
            # every replica computes the same value (from all-reduced gradients)
            same = (
                {}
                if self.placement is None
                else {"aggregation": tf.VariableAggregation.ONLY_FIRST_REPLICA}
            )
            self._scale = tf.Variable(
                float(config.loss_scale.initial), dtype=tf.float32, trainable=False, **same
            )
            self._good = tf.Variable(0, dtype=tf.int64, trainable=False, **same)
        self._gacc: list[tf.Variable] = []
        if config.accum_steps > 1:
            self._gacc = [
                tf.Variable(tf.zeros_like(v), trainable=False, **local)
                for v in model.trainable_variables
            ]
            self._pending = tf.Variable(0.0, dtype=tf.float32, trainable=False, **local)
        self.mode = mode
        self._last: Any = None
        self._lr: float | None = None  # the rate last written into the optimizer
        # The update is elementwise work over every variable: in graph mode (unfused TF
        # kernels, one per op) it runs as an XLA-compiled function inside the step, fused into
        # a few loops, except in recurrent models (see xla_update).
        self._apply: Any = self._apply_update
        if mode == "graph" and xla_update(self.spec):
            self._apply = tf.function(self._closure(type(self)._apply_update), jit_compile=True)
        self._train_fn = self._wrap(type(self)._train_step)
        self._accumulate_fn = self._wrap(type(self)._accumulate_step)
        self._train_many_fn = self._wrap(type(self)._train_many_step)
        # evaluate/predict see any batch size (the last batch of every call is partial):
        # relaxed shapes after the first, as Keras 3 does, instead of a retrace warning
        self._eval_fn = self._wrap(type(self)._eval_step, reduce_retracing=True)
        self._predict_fn = self._wrap(type(self)._predict_step, reduce_retracing=True)

    def _closure(self, method: Any) -> Any:
        """``method`` bound to this object (see :class:`BoundStep`)."""
        return BoundStep(method, self)

    def _wrap(self, method: Any, reduce_retracing: bool = False) -> Any:
        """``tf.function`` of a bound step, XLA-compiled in mode 'xla'."""
        if self.mode == "eager":
            return self._closure(method)
        return tf.function(
            self._closure(method),
            jit_compile=self.mode == "xla",
            reduce_retracing=reduce_retracing,
        )

    # -- the compiled bodies ---------------------------------------------------------------
    def _outputs(self, x: Any, training: bool) -> Any:
        out = self.model(x, training=training)
        return tf.nest.map_structure(lambda o: tf.cast(o, tf.float32), out)

    def _scaled(self, loss: Any) -> Any:
        """The loss the gradients are taken of (times the loss scale under float16)."""
        return loss if self._scale is None else loss * self._scale

    def _grads(self, x: Any, y: Any, w: Any) -> tuple[Any, Any, list[Any]]:
        with tf.GradientTape() as tape, bf16_grads.recomputing(self._bf16_layers):
            out = self._outputs(x, True)
            loss = step_loss(self.config.loss, out, y, w)
            total = _total(loss)
            scaled = self._scaled(total)
        grads = tape.gradient(scaled, self.model.trainable_variables)
        # Embedding gradients come as IndexedSlices; torch's (canonical) update rules are dense
        grads = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in grads]
        self._acc["train"].add(out, y, loss)
        return total, out, grads

    def _train_step(self, x: Any, y: Any, w: Any = None, lr: Any = None) -> Any:
        loss, _, grads = self._grads(x, y, w)
        if self._gacc:
            n = tf.cast(_rows(x), tf.float32)
            total = self._pending + n
            grads = [(a + n * g) / total for a, g in zip(self._gacc, grads, strict=True)]
            for a in self._gacc:
                a.assign(tf.zeros_like(a))
            self._pending.assign(0.0)
        if lr is not None:  # train_many: each step's own rate; train: set by the caller
            self.optimizer.learning_rate.assign(lr)
        self._apply(grads)
        return loss

    def _apply_update(self, grads: list[Any], factor: float = 1.0) -> None:
        """Clip and apply (``factor`` multiplies the clipped gradients: data parallel).
        bfloat16: the float32 sums rounded once first. float16: unscale first, skip the
        update when a gradient is inf/nan, move the scale."""
        variables = self.model.trainable_variables
        if self._scale is None:
            grads = clip(self._round(grads), self.config)
            self.optimizer.apply([g * factor for g in grads] if factor != 1.0 else grads, variables)
            return
        grads, finite = self._unscale(grads)

        def update() -> Any:
            clipped = clip(grads, self.config)
            self.optimizer.apply([g * factor for g in clipped], variables)
            return tf.constant(True)

        tf.cond(finite, update, lambda: tf.constant(False))
        self._move_scale(finite)

    def _unscale(self, grads: list[Any]) -> tuple[list[Any], Any]:
        """float16: the gradients divided by the loss scale, and whether all are finite."""
        inv = 1.0 / self._scale
        grads = [g * tf.cast(inv, g.dtype) for g in grads]
        finite = tf.reduce_all(tf.stack([tf.reduce_all(tf.math.is_finite(g)) for g in grads]))
        return grads, finite

    def _move_scale(self, finite: Any) -> None:
        """The loss-scale rule (polyframe/loss_scale.py) after a step (``finite``: applied)."""
        good = tf.where(finite, self._good + 1, tf.constant(0, tf.int64))
        grow = tf.equal(good, self.config.loss_scale.growth_interval)
        scale = self._scale.read_value()
        self._scale.assign(tf.where(finite, tf.where(grow, scale * GROWTH, scale), scale * BACKOFF))
        self._good.assign(tf.where(grow, tf.constant(0, tf.int64), good))

    def _round(self, grads: list[Any]) -> list[Any]:
        """bfloat16: the float32-summed weight gradients rounded once (bf16_grads)."""
        return bf16_grads.round_grads(grads, self._bf16_mask) if any(self._bf16_mask) else grads

    def _accumulate_step(self, x: Any, y: Any, w: Any = None) -> Any:
        loss, _, grads = self._grads(x, y, w)
        n = tf.cast(_rows(x), tf.float32)
        for a, g in zip(self._gacc, grads, strict=True):
            a.assign_add(n * g)
        self._pending.assign_add(n)
        return loss

    def _train_many_step(self, xs: Any, ys: Any, lrs: Any, ws: Any = None) -> Any:
        k = tf.shape(lrs)[0]
        losses = tf.TensorArray(tf.float32, size=k)
        for i in tf.range(k):
            w = None if ws is None else ws[i]
            losses = losses.write(i, self._train_step(xs[i], ys[i], w, lrs[i]))
        return losses.stack()

    def _eval_step(self, x: Any, y: Any) -> None:
        out = self._outputs(x, False)
        self._acc["eval"].add(out, y, step_loss(self.config.loss, out, y, None))

    def _predict_step(self, x: Any) -> Any:
        return self.model(x, training=False)

    # -- data parallel: the same bodies inside ``strategy.run`` ------------------------------
    def _dp_grads(self, x: Any, y: Any, w: Any, real: Any, n: Any) -> tuple[Any, list[Any]]:
        """This replica's part of the global loss ``sum(w * l) / n`` and its gradients; the
        counts of its ``real`` rows (a replica without examples runs one row of weight 0)."""
        rows = tf.cast(_rows(x), tf.float32)
        with tf.GradientTape() as tape, bf16_grads.recomputing(self._bf16_layers):
            out = self._outputs(x, True)
            loss = step_loss(self.config.loss, out, y, w)
            part = _total(loss) * rows / n
            scaled = self._scaled(part)
        grads = tape.gradient(scaled, self.model.trainable_variables)
        grads = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in grads]
        self._acc["train"].add(_head(out, real), _head(y, real), None, total=loss * rows)
        return part, grads

    def _dp_reduced_grads(self, x: Any, y: Any, w: Any, real: Any, n: Any) -> Any:
        """This replica's loss part and the all-reduced (accumulated) gradients."""
        part, grads = self._dp_grads(x, y, w, real, n)
        if self._gacc:
            total = self._pending + n
            grads = [(a + n * g) / total for a, g in zip(self._gacc, grads, strict=True)]
            for a in self._gacc:
                a.assign(tf.zeros_like(a))
            self._pending.assign(0.0)
        ctx = tf.distribute.get_replica_context()
        return part, ctx.all_reduce(tf.distribute.ReduceOp.SUM, grads)

    def _dp_replica_train(self, x: Any, y: Any, w: Any, real: Any, n: Any) -> Any:
        part, grads = self._dp_reduced_grads(x, y, w, real, n)
        # Keras' optimizer sums the replicas' gradients again: hand it 1/replicas of each
        replicas = tf.distribute.get_replica_context().num_replicas_in_sync
        self._apply_update(grads, 1.0 / replicas)
        return part

    def _dp_replica_grads16(self, x: Any, y: Any, w: Any, real: Any, n: Any) -> Any:
        part, grads = self._dp_reduced_grads(x, y, w, real, n)
        return (part, *self._unscale(grads))

    def _dp_replica_apply16(self, grads: Any) -> None:
        replicas = tf.distribute.get_replica_context().num_replicas_in_sync
        clipped = clip(list(grads), self.config)
        factor = 1.0 / replicas
        self.optimizer.apply([g * factor for g in clipped], self.model.trainable_variables)

    def _dp_train16(self, grads_fn: Any, args: tuple) -> Any:
        """A float16 data-parallel step, in the cross-replica context: the update is skipped
        by a ``tf.cond`` out here, since Keras' ``apply`` synchronizes the replicas and
        TensorFlow allows no synchronization inside a replica's control flow (Keras'
        ``LossScaleOptimizer`` does the same)."""
        strategy = self.placement.strategy
        parts, grads, finite = strategy.run(grads_fn, args=args)
        finite = strategy.experimental_local_results(finite)[0]

        def update() -> Any:
            strategy.run(self._closure(type(self)._dp_replica_apply16), args=(grads,))
            return tf.constant(True)

        tf.cond(finite, update, lambda: tf.constant(False))
        self._move_scale(finite)
        return strategy.reduce(tf.distribute.ReduceOp.SUM, parts, axis=None)

    def _dp_replica_accumulate(self, x: Any, y: Any, w: Any, real: Any, n: Any) -> Any:
        part, grads = self._dp_grads(x, y, w, real, n)
        for a, g in zip(self._gacc, grads, strict=True):
            a.assign_add(n * g)
        self._pending.assign_add(n)
        return part

    def _dp_run(self, fn: Any, *args: Any) -> Any:
        strategy = self.placement.strategy
        parts = strategy.run(self._closure(fn), args=args)
        return strategy.reduce(tf.distribute.ReduceOp.SUM, parts, axis=None)

    def _dp_train_step(self, x: Any, y: Any, w: Any, real: Any, n: Any) -> Any:
        if self._scale is not None:
            grads_fn = self._closure(type(self)._dp_replica_grads16)
            return self._dp_train16(grads_fn, (x, y, w, real, n))
        return self._dp_run(type(self)._dp_replica_train, x, y, w, real, n)

    def _dp_accumulate_step(self, x: Any, y: Any, w: Any, real: Any, n: Any) -> Any:
        return self._dp_run(type(self)._dp_replica_accumulate, x, y, w, real, n)

    def _dp_train_many_step(self, xs: Any, ys: Any, ws: Any, real: Any, n: Any, lrs: Any) -> Any:
        k = tf.shape(lrs)[0]
        losses = tf.TensorArray(tf.float32, size=k)
        for i in tf.range(k):
            self.optimizer.learning_rate.assign(lrs[i])

            def one(xs: Any, ys: Any, ws: Any, real: Any, i: Any = i) -> Any:
                return self._dp_replica_train(xs[i], ys[i], ws[i], real, n)

            def one16(xs: Any, ys: Any, ws: Any, real: Any, i: Any = i) -> Any:
                return self._dp_replica_grads16(xs[i], ys[i], ws[i], real, n)

            if self._scale is not None:
                loss = self._dp_train16(one16, (xs, ys, ws, real))
            else:
                parts = self.placement.strategy.run(one, args=(xs, ys, ws, real))
                loss = self.placement.strategy.reduce(tf.distribute.ReduceOp.SUM, parts, axis=None)
            losses = losses.write(i, loss)
        return losses.stack()

    def _dp_eval_step(self, x: Any, y: Any, w: Any, real: Any) -> None:
        def replica(x: Any, y: Any, w: Any, real: Any) -> None:
            out = self._outputs(x, False)
            rows = tf.cast(_rows(x), tf.float32)
            total = step_loss(self.config.loss, out, y, w) * rows
            self._acc["eval"].add(_head(out, real), _head(y, real), None, total=total)

        self.placement.strategy.run(replica, args=(x, y, w, real))

    # -- AbstractSteps ---------------------------------------------------------------------
    def _set_lr(self, lr: float) -> None:
        """Write ``lr`` into the optimizer's rate variable when it changes. Not an argument of
        the compiled step: each argument of a ``tf.function`` call costs tens of microseconds
        of Python dispatch, every step, while a constant rate is written once."""
        if self._lr != lr:
            self.optimizer.learning_rate.assign(lr)
            self._lr = lr

    def train(self, x: Any, y: Any, lr: float, w: Any = None) -> None:
        """One optimizer step (a new ``lr`` value does not retrace)."""
        self._set_lr(lr)
        if self.placement is not None:
            where = self.placement
            self._last = self._dp_train(x, y, w, where.real, tf.constant(where.n, tf.float32))
            self._acc["train"].samples += where.n
            return
        self._last = self._train_fn(x, y) if w is None else self._train_fn(x, y, w)
        self._acc["train"].samples += _count(x)

    def accumulate(self, x: Any, y: Any, w: Any = None) -> None:
        """Add this micro-batch's gradient, weighted by its size (no step)."""
        if not self._gacc:
            raise ConfigError("accumulate() needs steps built with accum_steps > 1")
        if self.placement is not None:
            where = self.placement
            n = tf.constant(where.n, tf.float32)
            self._last = self._dp_accumulate(x, y, w, where.real, n)
            self._acc["train"].samples += where.n
            return
        self._last = self._accumulate_fn(x, y, w)
        self._acc["train"].samples += _count(x)

    def train_many(self, xs: Any, ys: Any, lrs: Any, ws: Any = None) -> None:
        """``len(lrs)`` steps in one compiled call."""
        if self.placement is not None:
            where, lrs = self.placement, tf.constant(np.asarray(lrs, np.float32))
            n = tf.constant(where.n, tf.float32)
            self._last = self._dp_many(xs, ys, ws, where.real, n, lrs)
            self._lr = None
            self._acc["train"].samples += where.n * int(lrs.shape[0])
            return
        self._last = self._train_many_fn(xs, ys, tf.constant(np.asarray(lrs, np.float32)), ws)
        self._lr = None  # the loop wrote each step's rate
        self._acc["train"].samples += int(xs.shape[0]) * int(xs.shape[1])

    def last_losses(self) -> np.ndarray:
        """Losses of the last call's steps (a host sync)."""
        return np.atleast_1d(np.asarray(self._last.numpy(), np.float64))

    def evaluate(self, x: Any, y: Any) -> None:
        """Accumulate the loss and metrics of a batch in inference mode."""
        if self.placement is not None:
            where = self.placement
            self._dp_eval(x, y, where.weights, where.real)
            self._acc["eval"].samples += where.n
            return
        self._eval_fn(x, y)
        self._acc["eval"].samples += _count(x)

    def predict(self, x: Any) -> Any:
        """Inference-mode outputs (a device tensor)."""
        return self._predict_fn(x)

    def results(self, phase: str) -> dict[str, Any]:
        """Mean loss per sample and metrics since the last call for ``phase``; resets them."""
        if phase not in self._acc:
            raise ConfigError(f"phase must be one of {PHASES}, got {phase!r}")
        return self._acc[phase].read_and_reset()

    def sync(self) -> None:
        """Nothing to do on one device (the steps update the Keras model in place); data
        parallel: copy the mirrored copy's parameters into the user's model."""
        if self.placement is not None:
            from polyframe_tensorflow.params import export_params, import_params

            import_params(self.user, export_params(self.model))

    def pull(self) -> None:
        """Nothing to do on one device; data parallel: copy the user's model's parameters
        into the mirrored copy."""
        if self.placement is not None:
            from polyframe_tensorflow.params import export_params, import_params

            import_params(self.model, export_params(self.user))

    def wait(self) -> None:
        """Block until the queued steps are done (reads one scalar)."""
        self._acc["train"].loss.numpy()
        self._acc["eval"].loss.numpy()

    # -- checkpoints (polyframe_tensorflow.opt_state) ---------------------------------------------------
    def loss_scale_state(self) -> dict[str, np.ndarray]:
        """The float16 loss scale and its count of good steps (``{}`` in other precisions)."""
        if self._scale is None:
            return {}
        return {
            SCALE: np.asarray(self._scale.numpy(), np.float32),
            GOOD_STEPS: np.asarray(int(self._good.numpy()), np.int64),
        }

    def optimizer_state(self) -> dict[str, Any]:
        """The optimizer state in canonical names and layout (with the loss scale)."""
        from polyframe_tensorflow import opt_state

        return {**opt_state.export_state(self), **self.loss_scale_state()}

    def load_optimizer_state(self, state: dict[str, Any]) -> None:
        """Replace the optimizer state by a canonical one; a loss scale in it is restored
        (float16; one missing, as in a float32 checkpoint, leaves the scale as it is)."""
        from polyframe_tensorflow import opt_state

        opt_state.import_state(self, state)
        if self._scale is not None and SCALE in state:
            self._scale.assign(float(np.asarray(state[SCALE])))
            self._good.assign(int(np.asarray(state[GOOD_STEPS])))

    def train_sums(self) -> dict[str, np.ndarray]:
        """The training sums since the last ``results("train")`` (one device; data parallel
        keeps per-replica sums: ``{}``)."""
        if self.placement is not None:
            return {}
        acc = self._acc["train"]
        counts = {f"count.{k}": v.numpy().copy() for k, v in acc.counts.items()}
        samples = np.asarray(acc.samples, np.int64)
        return {"loss": np.asarray(acc.loss.numpy()), "samples": samples, **counts}

    def load_train_sums(self, sums: dict[str, np.ndarray]) -> None:
        """Replace the training sums (what :meth:`train_sums` returned)."""
        acc = self._acc["train"]
        acc.loss.assign(sums["loss"])
        for k, v in acc.counts.items():
            v.assign(sums[f"count.{k}"])
        acc.samples = int(sums["samples"])

    def rng_state(self) -> dict[str, Any]:
        """The dropout layers' seed-generator states."""
        from polyframe_tensorflow import opt_state

        return opt_state.rng_state(self)

    def load_rng_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`rng_state` returned."""
        from polyframe_tensorflow import opt_state

        opt_state.load_rng_state(self, state)
