"""In-process A/B of one suite on JAX: polyframe's ``Trainer.fit`` against the tuned flax.nnx
loop (``polyframe_baselines.jax_loops``), and the two compiled train steps side by side.

Both implementations live in one process with the same initial weights and batches; their
windows alternate (A B, then B A) and each is timed with ``time.process_time`` (CPU seconds of
the process, all threads), so a busy shared machine moves both alike. XLA runs on one thread
(``--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1``) unless ``XLA_FLAGS``
is already set. ``--hlo`` also prints each compiled step's op counts and XLA's cost analysis
(flops, bytes accessed): what benchmarks/results/resnet_profile.md compares.

    python benchmarks/jax_step_ab.py --suite resnet --steps 8 --rounds 7 --hlo
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import time
from typing import Any

from xla_summary import summary  # benchmarks/ is the script's directory

os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)

#: Op kinds whose counts tell the two programs apart.
OPS = ("convolution", "dot", "fusion", "reduce", "transpose", "copy", "pad", "divide", "sqrt")


def _tuned_program(suite: Any, params: dict) -> tuple[Any, Any]:
    """The tuned loop's jitted step and its state (as ``jax_loops.make`` builds them)."""
    import jax
    import optax
    from flax import nnx
    from polyframe_baselines.jax_loops import _loss
    from polyframe_baselines.jax_models import MODELS

    model = MODELS[suite.baseline_model](params)
    graphdef, state = nnx.split((model, nnx.Optimizer(model, optax.adam(suite.lr), wrt=nnx.Param)))

    @functools.partial(jax.jit, donate_argnums=0)
    def pure_step(state: Any, x: Any, y: Any) -> Any:
        model, optimizer = nnx.merge(graphdef, state)
        loss, grads = nnx.value_and_grad(_loss)(model, x, y)
        optimizer.update(model, grads)
        return nnx.state((model, optimizer)), loss

    return pure_step, state


def compare_programs(suite: Any, impl: Any, params: dict, x: Any, y: Any) -> None:
    """Print op counts and cost analysis of polyframe's and the tuned loop's train step."""
    import jax.numpy as jnp
    import numpy as np

    xb, yb = jnp.asarray(x[: suite.batch_size]), jnp.asarray(y[: suite.batch_size], np.int32)
    steps = impl.trainer.steps
    leaves = steps._leaves
    lowered = {
        "polyframe": steps._train.lower(
            leaves["params"],
            leaves["rest"],
            leaves["opt"],
            steps._acc["train"],
            xb,
            yb,
            steps._lr_array(suite.lr),
            None,
        ),
    }
    tuned, state = _tuned_program(suite, params)
    lowered["tuned"] = tuned.lower(state, xb, yb)
    for name, low in lowered.items():
        print(f"{name:>9}: {summary(low.compile(), OPS)}")


def main() -> None:
    """Parse the arguments, build both loops, print per-window CPU ms per step and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="resnet")
    parser.add_argument("--steps", type=int, default=8, help="steps per window")
    parser.add_argument("--rounds", type=int, default=7, help="windows per implementation")
    parser.add_argument("--hlo", action="store_true", help="also compare the compiled steps")
    args = parser.parse_args()

    from polyframe_baselines import jax_loops

    from polyframe.bench.polyframe_impl import PolyframeImpl
    from polyframe.bench.suites import get_suites
    from polyframe.init import init_params

    suite = get_suites(args.suite)[0]
    x, y = suite.data(args.steps, 0)
    params = init_params(suite.spec(), 0)
    impls = {
        "polyframe": PolyframeImpl(suite, "jax", x, y, 0),
        "tuned": jax_loops.make(
            suite.baseline_model, "tuned", params, x, y, suite.batch_size, suite.lr
        ),
    }
    if args.hlo:
        compare_programs(suite, impls["polyframe"], params, x, y)
    for impl in impls.values():  # compile and warm up
        impl.first_step()
        impl.run_window()
    ms: dict[str, list[float]] = {name: [] for name in impls}
    order = list(impls)
    for _ in range(args.rounds):
        for name in order:
            start = time.process_time()
            impls[name].run_window()
            ms[name].append((time.process_time() - start) / args.steps * 1e3)
        order.reverse()
    med = {name: statistics.median(v) for name, v in ms.items()}
    for name, values in ms.items():
        print(f"{name:>9}: {med[name]:.1f} CPU ms/step  ({' '.join(f'{v:.1f}' for v in values)})")
    print(f"polyframe/tuned: {med['polyframe'] / med['tuned']:.3f}")


if __name__ == "__main__":
    main()
