"""One-definition layers vs built-in layers inside a transformer block: step time per backend.

    python benchmarks/one_definition_block.py --json benchmarks/results/one_definition_block.json

Two graphs that compute the same function: a pre-norm transformer block (RMSNorm ->
MultiHeadAttention -> residual -> RMSNorm -> feed-forward (Dense-gelu-Dense) -> residual), mean
pooling and a classifier. In ``builtin`` the norms and the feed-forward are polyframe's
built-in layers (hand-written lowerings: torch modules, Keras layers, nnx modules); in
``one_definition`` they are layers written once in ``pf.ops`` (generic lowerings). Method: per
backend, both models start from the same canonical weights (the one-definition layers take the
built-in ones' values), train with Adam on the same batches; one warm-up epoch (compilation),
then ``rounds`` timed epochs per variant in mirrored order (A B B A ...); the step time is
the median over rounds of an epoch's wall time / steps (``trainer.timing['train_s']``). The
ratio is one_definition / builtin. The first-step losses of the two variants are compared
to show they train the same function.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import statistics
from typing import Any

import numpy as np

import polyframe as pf
from polyframe import ops

L = pf.layers
T, E, HEADS, HIDDEN, CLASSES, BATCH, STEPS = 16, 64, 4, 128, 4, 16, 10


@L.register_layer("BenchRMSNorm")
@dataclasses.dataclass(frozen=True)
class OpsRMSNorm(L.Layer):
    """RMSNorm written in pf.ops (same parameters and formula as the built-in RMSNorm)."""

    epsilon: float = 1e-6

    def param_specs(self, input_shape: tuple[int, ...]) -> dict[str, L.ParamSpec]:
        return {"gamma": L.ParamSpec((input_shape[-1],), "ones")}

    def forward(self, params: dict, x: Any) -> Any:
        ms = ops.mean(x * x, axis=-1, keepdims=True)
        return x * ops.rsqrt(ms + self.epsilon) * params["gamma"]


@L.register_layer("BenchFeedForward")
@dataclasses.dataclass(frozen=True)
class OpsFeedForward(L.Layer):
    """Dense(hidden, gelu) -> Dense(width) written in pf.ops."""

    hidden: int = HIDDEN

    def param_specs(self, input_shape: tuple[int, ...]) -> dict[str, L.ParamSpec]:
        e = input_shape[-1]
        return {
            "kernel1": L.ParamSpec((e, self.hidden), "glorot_uniform"),
            "bias1": L.ParamSpec((self.hidden,), "zeros"),
            "kernel2": L.ParamSpec((self.hidden, e), "glorot_uniform"),
            "bias2": L.ParamSpec((e,), "zeros"),
        }

    def forward(self, params: dict, x: Any) -> Any:
        h = ops.gelu(ops.matmul(x, params["kernel1"]) + params["bias1"])
        return ops.matmul(h, params["kernel2"]) + params["bias2"]


def block(one_definition: bool) -> pf.Graph:
    """The block with built-in or one-definition norms and feed-forward."""
    x = L.Input((T, E), name="x")
    norm1 = OpsRMSNorm(name="norm1") if one_definition else L.RMSNorm(name="norm1")
    norm2 = OpsRMSNorm(name="norm2") if one_definition else L.RMSNorm(name="norm2")
    r = L.Add(name="res1")([x, L.MultiHeadAttention(HEADS, name="mha")(norm1(x))])
    h = norm2(r)
    if one_definition:
        f = OpsFeedForward(name="ffn")(h)
    else:
        f = L.Dense(E, name="ffn_out")(L.Dense(HIDDEN, activation="gelu", name="ffn_in")(h))
    y = L.Dense(CLASSES, name="head")(L.GlobalAvgPool1D(name="pool")(L.Add(name="res2")([r, f])))
    return pf.Graph(inputs=x, outputs=y, name="one_def" if one_definition else "builtin")


def shared_params(seed: int) -> tuple[dict, dict]:
    """Canonical weights of the built-in block and the same values for the other one."""
    builtin = pf.init_params(block(False), seed)
    ops_params = {k: v for k, v in builtin.items() if not k.startswith("ffn_")}
    ops_params.update({
        "ffn.kernel1": builtin["ffn_in.kernel"], "ffn.bias1": builtin["ffn_in.bias"],
        "ffn.kernel2": builtin["ffn_out.kernel"], "ffn.bias2": builtin["ffn_out.bias"],
    })  # fmt: skip
    return builtin, ops_params


def measure(backend: str, rounds: int, seed: int = 0) -> dict[str, Any]:
    """Median step time of each variant on ``backend`` and their first-step losses."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(BATCH * STEPS, T, E)).astype(np.float32)
    y = rng.integers(0, CLASSES, size=len(x))
    params = dict(zip(("builtin", "one_definition"), shared_params(seed), strict=True))
    trainers, first = {}, {}
    for name in params:
        model = pf.build(block(name == "one_definition"), backend=backend, seed=seed)
        model.load_params(params[name])
        trainers[name] = pf.Trainer(model, optimizer=pf.optim.Adam(1e-3), metrics=[])
        first[name] = float(trainers[name].evaluate(x[:BATCH], y[:BATCH])["loss"])
        trainers[name].fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)  # warm
    times: dict[str, list[float]] = {name: [] for name in params}
    order = ["builtin", "one_definition"]
    for r in range(rounds):
        for name in order if r % 2 == 0 else order[::-1]:
            trainer = trainers[name]
            trainer.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
            times[name].append(trainer.timing["train_s"] / STEPS)
    step = {name: statistics.median(v) for name, v in times.items()}
    return {
        "backend": backend,
        "step_ms": {k: 1000 * v for k, v in step.items()},
        "ratio": step["one_definition"] / step["builtin"],
        "first_loss": first,
        "first_loss_rel_diff": abs(first["one_definition"] - first["builtin"]) / first["builtin"],
        "rounds_ms": {k: [1000 * t for t in v] for k, v in times.items()},
    }


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Run every chosen backend; print a table; optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="all")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args(argv)
    names = pf.list_backends() if args.backend == "all" else args.backend.split(",")
    load = os.getloadavg()
    rows = [measure(name, args.rounds) for name in names]
    for r in rows:
        print(
            f"{r['backend']:<11} builtin {r['step_ms']['builtin']:7.2f} ms  one-definition "
            f"{r['step_ms']['one_definition']:7.2f} ms  ratio {r['ratio']:.3f}  first-loss "
            f"diff {r['first_loss_rel_diff']:.1e}"
        )
    if args.json_path:
        meta = {
            "machine": platform.platform(), "cpus": os.cpu_count(),
            "load_before": load, "load_after": os.getloadavg(),
            "shape": {"T": T, "E": E, "heads": HEADS, "hidden": HIDDEN, "batch": BATCH,
                      "steps_per_epoch": STEPS, "rounds": args.rounds},
            "method": __doc__,
        }  # fmt: skip
        with open(args.json_path, "w") as fh:
            json.dump({"meta": meta, "rows": rows}, fh, indent=2)
    return rows


if __name__ == "__main__":
    main()
