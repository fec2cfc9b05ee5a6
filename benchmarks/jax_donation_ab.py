"""In-process A/B of polyframe's JAX train step under buffer-donation variants, against the
docs and tuned flax.nnx loops (``polyframe_baselines.jax_loops``).

All implementations live in one process with the same initial weights and batches; their
windows alternate (the order reversed every round) and each window is timed with both
``time.perf_counter`` (wall) and ``time.process_time`` (CPU seconds of all threads). XLA keeps
its default thread pool, as in ``polyframe bench`` (unlike benchmarks/jax_step_ab.py). The
polyframe variants replace ``JaxSteps._train`` by the same function jitted with other
``donate_argnums`` (arguments: params, rest, optimizer state, accumulators, x, y, lr):
``all`` is what polyframe donates on GPU and TPU (and did on CPU before session 5);
``opt`` donates the optimizer state and accumulators; ``acc`` the accumulators only;
``none`` nothing (polyframe's CPU choice now). ``tuned-kept`` is the tuned loop with nothing
donated. ``--hlo`` prints the compiled steps' copy, while and fusion counts and XLA's cost
analysis. Results: benchmarks/results/lstm_profile.md.

    python benchmarks/jax_donation_ab.py --suite lstm --steps 32 --rounds 12 \\
        --impls tuned,tuned-kept,docs,all,none --hlo
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from xla_summary import summary  # benchmarks/ is the script's directory

#: ``donate_argnums`` of ``JaxSteps._train`` per variant.
DONATE = {"all": (0, 1, 2, 3), "opt": (2, 3), "acc": (3,), "none": ()}
STATE = ("params", "rest", "opt")


def _polyframe(suite: Any, x: Any, y: Any, donate: tuple[int, ...]) -> Any:
    """polyframe's bench implementation with its train step jitted with ``donate``."""
    import jax

    from polyframe.bench.polyframe_impl import PolyframeImpl

    impl = PolyframeImpl(suite, "jax", x, y, 0)
    steps = impl.trainer.steps
    steps._train = jax.jit(steps._leafwise(steps._train_fn, STATE, STATE), donate_argnums=donate)
    return impl


def _tuned_kept(suite: Any, params: dict, x: Any, y: Any) -> Any:
    """The tuned loop with nothing donated (``jax_loops.make``'s 'tuned', ``donate_argnums=()``)."""
    import jax
    import numpy as np
    import optax
    from flax import nnx
    from polyframe_baselines.jax_loops import _loss
    from polyframe_baselines.jax_models import MODELS
    from polyframe_baselines.step_loop import StepLoop, split

    model = MODELS[suite.baseline_model](params)
    graphdef, state = nnx.split((model, nnx.Optimizer(model, optax.adam(suite.lr), wrt=nnx.Param)))

    @jax.jit
    def pure_step(state: Any, x: Any, y: Any) -> Any:
        model, optimizer = nnx.merge(graphdef, state)
        loss, grads = nnx.value_and_grad(_loss)(model, x, y)
        optimizer.update(model, grads)
        return nnx.state((model, optimizer)), loss

    box = [state]

    def step(xb: Any, yb: Any) -> Any:
        box[0], loss = pure_step(box[0], xb, yb)
        return loss

    return StepLoop(step, float, split(x, y.astype(np.int32), suite.batch_size), "", "")


def print_hlo(suite: Any, impl: Any, x: Any, y: Any) -> None:
    """Op counts and cost analysis of polyframe's train step under every donation variant."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    steps = impl.trainer.steps
    xb, yb = jnp.asarray(x[: suite.batch_size]), jnp.asarray(y[: suite.batch_size], np.int32)
    leaves = steps._leaves
    args = (leaves["params"], leaves["rest"], leaves["opt"], steps._acc["train"], xb, yb)
    for name, donate in DONATE.items():
        fn = jax.jit(steps._leafwise(steps._train_fn, STATE, STATE), donate_argnums=donate)
        compiled = fn.lower(*args, steps._lr_array(suite.lr), None).compile()
        print(f"{name:>5}: {summary(compiled, ('copy', 'while', 'fusion'))}")


def main() -> None:
    """Parse the arguments, build the loops, print median wall and CPU ms per step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="lstm")
    parser.add_argument("--steps", type=int, default=32, help="steps per window")
    parser.add_argument("--rounds", type=int, default=12, help="windows per implementation")
    parser.add_argument("--impls", default="tuned,tuned-kept,docs,all,none")
    parser.add_argument("--hlo", action="store_true", help="also print the compiled steps")
    args = parser.parse_args()

    from polyframe_baselines import jax_loops

    from polyframe.bench.suites import get_suites
    from polyframe.init import init_params

    suite = get_suites(args.suite)[0]
    x, y = suite.data(args.steps, 0)
    params = init_params(suite.spec(), 0)
    impls: dict[str, Any] = {}
    for name in args.impls.split(","):
        if name in ("docs", "tuned"):
            impls[name] = jax_loops.make(
                suite.baseline_model, name, params, x, y, suite.batch_size, suite.lr
            )
        elif name == "tuned-kept":
            impls[name] = _tuned_kept(suite, params, x, y)
        else:
            impls[f"pf-{name}"] = _polyframe(suite, x, y, DONATE[name])
    if args.hlo:
        print_hlo(suite, next(i for n, i in impls.items() if n.startswith("pf-")), x, y)
    for impl in impls.values():  # compile and warm up
        impl.first_step()
        impl.run_window()
    wall: dict[str, list[float]] = {name: [] for name in impls}
    cpu: dict[str, list[float]] = {name: [] for name in impls}
    order = list(impls)
    for _ in range(args.rounds):
        for name in order:
            w, c = time.perf_counter(), time.process_time()
            impls[name].run_window()
            wall[name].append((time.perf_counter() - w) / args.steps * 1e3)
            cpu[name].append((time.process_time() - c) / args.steps * 1e3)
        order.reverse()
    first = next(iter(impls))
    w0, c0 = statistics.median(wall[first]), statistics.median(cpu[first])
    for name in impls:
        w, c = statistics.median(wall[name]), statistics.median(cpu[name])
        print(
            f"{name:>8}: wall {w:.2f} ms/step, CPU {c:.2f} ms/step; "
            f"/{first}: wall {w / w0:.3f}, CPU {c / c0:.3f}"
        )


if __name__ == "__main__":
    main()
