"""In-process A/B of one suite on TensorFlow: polyframe's ``Trainer.fit`` against the tuned
Keras loop (``polyframe_baselines.tensorflow_loops``) and variants between the two.

Every variant lives in one process built like a ``polyframe bench`` worker (``thread_env(1)``,
``allocator_env()``: the script re-executes itself with them), with the same initial weights
and batches. ``fit`` is one long ``Trainer.fit`` whose epochs are its windows; at the end of
each epoch the other variants run one window each, in an order rotated every round. Each
window is 16 steps (``--steps``) and its host sync, timed with ``time.process_time`` (CPU
seconds of the process, all threads) and ``time.perf_counter``; garbage collection is off.

Variants (``--variants``, comma-separated):

- ``fit``: polyframe's ``Trainer.fit`` (the benchmarked path).
- ``tuned``: the tuned Keras loop of ``polyframe bench``.
- ``steps``: polyframe's ``TensorFlowSteps.train`` called directly, batches converted per step.
- ``steps-tensor``: the same with ``TorchAdam`` written as before session 7 (the update takes
  ``m``/``v`` from the tensors it assigned, not from the variables).
- ``keras-step``: the tuned loop's step (Keras' ``Adam`` and loss) on a polyframe-built model.

    python benchmarks/tf_step_ab.py --suite lstm --rounds 20

benchmarks/results/lstm_profile.md (session 7) used it.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from typing import Any, Callable

from polyframe.bench.allocator import allocator_env
from polyframe.bench.threads import thread_env

VARIANTS = ("fit", "tuned", "steps", "steps-tensor", "keras-step")


def _worker_env() -> None:
    """Re-execute this script with a benchmark worker's environment (once)."""
    want = {**thread_env(1), **allocator_env(), "POLYFRAME_COMPILE_CACHE": "0"}
    if any(os.environ.get(k) != v for k, v in want.items()):
        env = {**os.environ, **want}
        env.pop("KERAS_BACKEND", None)
        os.execve(sys.executable, [sys.executable, *sys.argv], env)


def _tensor_adam() -> Any:
    """``TorchAdam`` as it was before session 7: same numbers, update from the assigned
    tensors (two consumers each, so ``AssignVariableOp`` copies them)."""
    from keras import ops
    from polyframe_tensorflow.optimizers import TorchAdam

    class TensorAdam(TorchAdam):
        def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
            dtype = variable.dtype
            g = self._grad(gradient, variable)
            i = self._get_variable_index(variable)
            m, v = self.m[i], self.v[i]
            step_size, sqrt_bc2 = self._corrections or self._bias_corrections(learning_rate)
            step_size, sqrt_bc2 = ops.cast(step_size, dtype), ops.cast(sqrt_bc2, dtype)
            new_m = m + (1.0 - self.beta_1) * (g - m)
            new_v = v * self.beta_2 + (1.0 - self.beta_2) * g * g
            self.assign(m, new_m)
            self.assign(v, new_v)
            denom = ops.sqrt(new_v) / sqrt_bc2 + self.epsilon
            self.assign_sub(variable, step_size * new_m / denom)

    return TensorAdam


def _steps_window(suite: Any, x: Any, y: Any, optimizer: Any = None) -> Callable[[], None]:
    """``TensorFlowSteps.train`` over the batches (converted per step, as ``fit`` does)."""
    from polyframe.bench.polyframe_impl import PolyframeImpl

    impl = PolyframeImpl(suite, "tensorflow", x, y, 0)
    steps = impl.trainer.steps
    if optimizer is not None:  # before the first trace
        steps.optimizer = optimizer
        optimizer.build(steps.model.trainable_variables)
    be, b = impl.model.backend_impl, suite.batch_size
    batches = [(x[i : i + b], y[i : i + b]) for i in range(0, len(x), b)]

    def window() -> None:
        for xb, yb in batches:
            steps.train(be.from_numpy(xb), be.from_numpy(yb), suite.lr)
        steps.results("train")

    return window


def _keras_step_window(suite: Any, x: Any, y: Any) -> Callable[[], None]:
    """The tuned loop's ``train_step`` on a polyframe-built model."""
    import keras
    import tensorflow as tf

    import polyframe as pf

    model = pf.build(suite.spec(), backend="tensorflow", seed=0).native
    optimizer = keras.optimizers.Adam(learning_rate=suite.lr)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function(jit_compile=False)
    def train_step(xb: Any, yb: Any) -> Any:
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, model(xb, training=True))
        grads = tape.gradient(loss, model.trainable_weights)
        optimizer.apply(grads, model.trainable_weights)
        return loss

    b = suite.batch_size
    batches = [(x[i : i + b], y[i : i + b]) for i in range(0, len(x), b)]

    def window() -> None:
        loss = None
        for xb, yb in batches:
            loss = train_step(tf.convert_to_tensor(xb), tf.convert_to_tensor(yb))
        float(loss.numpy())

    return window


def _windows(name: str, suite: Any, x: Any, y: Any) -> Callable[[], None]:
    """One window of variant ``name`` (everything but ``fit``)."""
    if name == "tuned":
        from polyframe.bench.baselines import find_baselines, import_baseline
        from polyframe.init import init_params

        loops = import_baseline(find_baselines(), "tensorflow_loops")
        params = init_params(suite.spec(), 0)
        return loops.make(suite.baseline_model, "tuned", params, x, y, suite.batch_size, suite.lr)
    if name == "steps":
        return _steps_window(suite, x, y)
    if name == "steps-tensor":
        return _steps_window(suite, x, y, _tensor_adam()(suite.lr))
    return _keras_step_window(suite, x, y)


def run(suite_name: str, names: list[str], rounds: int, warm: int, steps: int) -> dict:
    """``{variant: (CPU seconds per window, wall seconds per window)}`` after ``warm`` rounds."""
    from polyframe.bench.polyframe_impl import PolyframeImpl
    from polyframe.bench.suites import get_suites

    suite = get_suites(suite_name)[0]
    x, y = suite.data(steps, 0)
    others = {n: _windows(n, suite, x, y) for n in names if n != "fit"}
    others = {n: getattr(w, "run_window", w) for n, w in others.items()}
    for window in others.values():
        window()  # traces
    times: dict[str, tuple[list, list]] = {n: ([], []) for n in names}
    order = [n for n in names if n != "fit"]

    def one_round(r: int) -> None:
        for n in order[r % len(order) :] + order[: r % len(order)] if order else []:
            cpu, wall = time.process_time(), time.perf_counter()
            others[n]()
            if r >= warm:
                times[n][0].append(time.process_time() - cpu)
                times[n][1].append(time.perf_counter() - wall)

    gc.disable()
    try:
        if "fit" not in names:
            for r in range(warm + rounds):
                one_round(r)
        else:
            _fit_rounds(PolyframeImpl(suite, "tensorflow", x, y, 0), one_round, times, warm, rounds)
    finally:
        gc.enable()
    return times


class _Done(Exception):
    """Ends the long ``fit``."""


def _fit_rounds(impl: Any, one_round: Callable, times: dict, warm: int, rounds: int) -> None:
    """The long ``fit``: each epoch is a ``fit`` window, followed by one round of the others."""
    import polyframe as pf

    impl.first_step()
    clock = {"r": 0}

    class Gate(pf.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.cpu, self.wall = time.process_time(), time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            cpu, wall = time.process_time() - self.cpu, time.perf_counter() - self.wall
            r = clock["r"]
            if r >= warm:
                times["fit"][0].append(cpu)
                times["fit"][1].append(wall)
            one_round(r)
            clock["r"] = r + 1
            if clock["r"] >= warm + rounds:
                raise _Done

    try:
        impl.trainer.fit(impl.loader, epochs=10**9, callbacks=[Gate()])
    except _Done:
        pass


def main() -> None:
    """Parse the arguments, run, print median ms per step and ratios against the first."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--suite", default="lstm")
    p.add_argument("--variants", default="tuned,fit,steps,steps-tensor,keras-step")
    p.add_argument("--rounds", type=int, default=20, help="timed windows per variant")
    p.add_argument("--warm", type=int, default=3, help="untimed rounds first")
    p.add_argument("--steps", type=int, default=16, help="steps per window")
    args = p.parse_args()
    names = args.variants.split(",")
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        p.error(f"unknown variants {unknown}; known: {', '.join(VARIANTS)}")
    _worker_env()
    times = run(args.suite, names, args.rounds, args.warm, args.steps)
    ms = {n: [statistics.median(t) / args.steps * 1e3 for t in times[n]] for n in names}
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"{args.suite}: {args.rounds} windows x {args.steps} steps; load average {load}")
    print(f"{'variant':14s} {'CPU ms/step':>11s} {'ratio':>6s} {'wall ms':>8s} {'ratio':>6s}")
    ref = ms[names[0]]
    for n in names:
        cpu, wall = ms[n]
        print(f"{n:14s} {cpu:11.3f} {cpu / ref[0]:6.3f} {wall:8.3f} {wall / ref[1]:6.3f}")


if __name__ == "__main__":
    main()
