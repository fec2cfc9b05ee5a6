"""A user-defined layer on every backend: ``RMSScale``, in one file of research code.

    python docs/examples/custom_layer.py --backend jax

A layer kind needs four things, all registered with the decorators polyframe's own layers use:

1. its spec: a frozen dataclass subclassing ``pf.layers.Layer`` (``@pf.layers.register_layer``);
2. its numpy reference, the oracle the backends are checked against (``@pf.register_reference``);
3. one lowering per backend (``@pf.register_lowering("torch" | "tensorflow" | "jax", Kind)``),
   each returning that framework's native layer (signatures: docs/backends/<name>.md).

Each lowering imports its framework inside, so this file runs wherever any one backend is
installed. The script builds a small graph with the new layer, checks it against the numpy
reference and trains it a few epochs.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

import numpy as np

import polyframe as pf

L = pf.layers


# -- 1. the spec: pure data, no framework ---------------------------------------------------
@L.register_layer("RMSScale")
@dataclasses.dataclass(frozen=True)
class RMSScale(L.Layer):
    """``y = x / sqrt(mean(x**2, last axis) + epsilon) * gain`` with a learnable ``gain [C]``."""

    epsilon: float = 1e-6

    def __post_init__(self) -> None:
        if not (isinstance(self.epsilon, float) and self.epsilon > 0):
            raise pf.SpecError(f"RMSScale: epsilon must be a float > 0, got {self.epsilon!r}")

    def param_specs(self, input_shape: tuple[int, ...]) -> dict[str, L.ParamSpec]:
        # the output shape is the input shape: the base class's default output_shape
        return {"gain": L.ParamSpec((input_shape[-1],), "ones")}


# -- 2. the numpy reference (float64 in, float64 out) ---------------------------------------
@pf.register_reference(RMSScale)
def rms_scale_reference(layer: RMSScale, p: dict, x: np.ndarray, ctx: Any) -> np.ndarray:
    """The oracle: what every backend must compute."""
    return x / np.sqrt(np.mean(x**2, axis=-1, keepdims=True) + layer.epsilon) * p["gain"]


# -- 3. one lowering per backend ------------------------------------------------------------
@pf.register_lowering("torch", RMSScale)
def lower_rms_scale_torch(layer: RMSScale, node: Any) -> Any:
    """torch: an ``nn.Module`` whose parameter is named ``weight``, so it needs a codec
    (:class:`polyframe_torch.Lowered`) to map it to the canonical ``gain``."""
    import torch
    from polyframe_torch import Lowered

    class TorchRMSScale(torch.nn.Module):
        def __init__(self, channels: int, eps: float) -> None:
            super().__init__()
            self.weight = torch.nn.Parameter(torch.ones(channels))
            self.eps = eps

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight

    def load(module: TorchRMSScale, local: dict[str, np.ndarray]) -> None:
        with torch.no_grad():  # in place: an optimizer built earlier keeps seeing the Parameter
            module.weight.copy_(torch.from_numpy(np.asarray(local["gain"])))

    def dump(module: TorchRMSScale) -> dict[str, np.ndarray]:
        return {"gain": module.weight.detach().cpu().float().numpy().copy()}

    # layout "channels_last": the module normalizes the last axis of (N, ..., C) tensors
    module = TorchRMSScale(node.input_shape[-1], layer.epsilon)
    return Lowered(module, load, dump, layout="channels_last")


@pf.register_lowering("tensorflow", RMSScale)
def lower_rms_scale_tensorflow(layer: RMSScale, node: Any) -> Any:
    """Keras: a layer whose variable is named ``gain`` in the canonical layout, so the default
    rule (assign / read by name) applies and a bare Keras layer is returned."""
    import keras  # the backend has already imported Keras on TensorFlow when it lowers

    class KerasRMSScale(keras.layers.Layer):
        def __init__(self, eps: float, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.eps = eps

        def build(self, input_shape: tuple) -> None:
            self.gain = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="gain")

        def call(self, x: Any) -> Any:
            ops = keras.ops
            ms = ops.mean(ops.square(x), axis=-1, keepdims=True)
            return x * ops.rsqrt(ms + self.eps) * self.gain

    return KerasRMSScale(layer.epsilon, name=node.name)


@pf.register_lowering("jax", RMSScale)
def lower_rms_scale_jax(layer: RMSScale, node: Any) -> Any:
    """Flax NNX: a module with an ``nnx.Param`` named ``gain`` (default rule, bare module)."""
    import jax
    import jax.numpy as jnp
    from flax import nnx
    from polyframe_jax import lowering_dtype

    class NnxRMSScale(nnx.Module):
        def __init__(self, channels: int, eps: float) -> None:
            self.gain = nnx.Param(jnp.ones((channels,), lowering_dtype()))
            self.eps = eps

        def __call__(self, x: jax.Array) -> jax.Array:
            ms = jnp.mean(jnp.square(x), axis=-1, keepdims=True)
            return x * jax.lax.rsqrt(ms + self.eps) * self.gain[...]

    return NnxRMSScale(node.input_shape[-1], layer.epsilon)


# -- using it: like any built-in layer, in a Sequential or a Graph --------------------------
def build_spec() -> pf.Graph:
    """Two branches: Dense -> RMSScale, plus a linear skip; merged by Add; then logits."""
    x = L.Input((12,), name="features")
    h = RMSScale(name="rms")(L.Dense(16, activation="gelu", name="hidden")(x))
    skip = L.Dense(16, name="skip")(x)
    y = L.Dense(3, name="logits")(L.Add(name="merge")([h, skip]))
    return pf.Graph(inputs=x, outputs=y, name="custom_layer_demo")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Check the layer against the numpy reference, then train a few epochs; returns numbers."""
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
    result = {
        "backend": model.backend,
        "max_abs_diff_vs_reference": diff,
        "loss": history.history["loss"],
        "accuracy": history.history["accuracy"][-1],
        "gain": model.params()["rms.gain"],
    }
    print(
        f"{result['backend']}: |model - reference| = {diff:.2e}; loss "
        f"{result['loss'][0]:.3f} -> {result['loss'][-1]:.3f}; accuracy {result['accuracy']:.3f}"
    )
    return result


if __name__ == "__main__":
    main()
