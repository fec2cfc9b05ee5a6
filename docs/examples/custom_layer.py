"""User-defined layers on every backend, each one definition: ``LearnableSwish`` and
``RMSScale`` (an RMSNorm-style layer with a learnable gain).

    python docs/examples/custom_layer.py --backend jax

A layer kind is a frozen dataclass subclassing ``pf.layers.Layer``: constructor arguments
(the YAML/JSON fields), ``param_specs`` (shapes and canonical initializers) and ``forward``
written once in ``pf.ops``. From that one class polyframe derives the float64 numpy reference,
a native ``torch.nn.Module``, a Keras layer and a ``flax.nnx.Module``; ``pf.testing.check_layer``
checks them all. The script builds a small graph with both layers, checks it against the numpy
reference and trains it a few epochs.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

import numpy as np

import polyframe as pf
from polyframe import ops

L = pf.layers


@L.register_layer("LearnableSwish")
@dataclasses.dataclass(frozen=True)
class LearnableSwish(L.Layer):
    """``y = x * sigmoid(beta * x)`` with one learnable ``beta`` per channel."""

    def param_specs(self, input_shape: tuple[int, ...]) -> dict[str, L.ParamSpec]:
        return {"beta": L.ParamSpec((input_shape[-1],), "ones")}

    def forward(self, params: dict, x: Any) -> Any:
        return x * ops.sigmoid(params["beta"] * x)


@L.register_layer("RMSScale")
@dataclasses.dataclass(frozen=True)
class RMSScale(L.Layer):
    """``y = x / sqrt(mean(x**2, last axis) + epsilon) * gain`` with a learnable ``gain [C]``."""

    epsilon: float = 1e-6

    def __post_init__(self) -> None:
        if not (isinstance(self.epsilon, float) and self.epsilon > 0):
            raise pf.SpecError(f"RMSScale: epsilon must be a float > 0, got {self.epsilon!r}")

    def param_specs(self, input_shape: tuple[int, ...]) -> dict[str, L.ParamSpec]:
        return {"gain": L.ParamSpec((input_shape[-1],), "ones")}

    def forward(self, params: dict, x: Any) -> Any:
        ms = ops.mean(x * x, axis=-1, keepdims=True)
        return x * ops.rsqrt(ms + self.epsilon) * params["gain"]


# -- using them: like any built-in layer, in a Sequential or a Graph ------------------------
def build_spec() -> pf.Graph:
    """Dense -> LearnableSwish -> RMSScale, plus a linear skip; merged by Add; then logits."""
    x = L.Input((12,), name="features")
    h = RMSScale(name="rms")(LearnableSwish(name="swish")(L.Dense(16, name="hidden")(x)))
    skip = L.Dense(16, name="skip")(x)
    y = L.Dense(3, name="logits")(L.Add(name="merge")([h, skip]))
    return pf.Graph(inputs=x, outputs=y, name="custom_layer_demo")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Check the layers against the numpy reference, then train a few epochs; returns numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=None, help="torch | tensorflow | jax")
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args(argv)

    spec = build_spec()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 12)).astype(np.float32)
    y = np.argmax(x[:, :3] * 2.0 + x[:, 3:6], axis=1)

    model = pf.build(spec, backend=args.backend, seed=0)
    want = pf.reference.forward(spec, pf.init_params(spec, 0), x[:32])
    diff = float(np.max(np.abs(model(x[:32]) - want)))
    trainer = pf.Trainer(model, optimizer=pf.optim.Adam(1e-2), metrics=["accuracy"])
    history = trainer.fit(x, y, batch_size=32, epochs=args.epochs, seed=0)
    params = model.params()
    result = {
        "backend": model.backend,
        "max_abs_diff_vs_reference": diff,
        "loss": history.history["loss"],
        "accuracy": history.history["accuracy"][-1],
        "gain": params["rms.gain"],
        "beta": params["swish.beta"],
    }
    print(
        f"{result['backend']}: |model - reference| = {diff:.2e}; loss "
        f"{result['loss'][0]:.3f} -> {result['loss'][-1]:.3f}; accuracy {result['accuracy']:.3f}"
    )
    return result


if __name__ == "__main__":
    main()
