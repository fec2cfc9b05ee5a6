"""flax.nnx + optax training loops: ``docs`` as the Flax NNX MNIST tutorial teaches it
(``nnx.Optimizer``, an ``@nnx.jit`` step over the module and optimizer); ``tuned`` as Flax's
performance notes recommend (``nnx.split`` once, ``jax.jit`` over the pure state, the state
buffers donated)."""

from __future__ import annotations

import functools

import flax
import jax
import numpy as np
import optax
from flax import nnx

from .jax_models import MODELS
from .step_loop import StepLoop, split


def _loss(model: nnx.Module, x: jax.Array, y: jax.Array) -> jax.Array:
    return optax.softmax_cross_entropy_with_integer_labels(model(x), y).mean()


def make(
    suite: str,
    variant: str,
    params: dict,
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    lr: float,
) -> StepLoop:
    """The ``variant`` ('docs' or 'tuned') loop of ``suite``."""
    model = MODELS[suite](params)
    optimizer = nnx.Optimizer(model, optax.adam(lr), wrt=nnx.Param)
    batches = split(x, y.astype(np.int32), batch_size)
    version = f"jax {jax.__version__}, flax {flax.__version__}, optax {optax.__version__}"
    device = str(jax.devices()[0])

    if variant == "docs":

        @nnx.jit
        def train_step(model, optimizer, x, y):  # noqa: ANN001 - as in the tutorial
            loss, grads = nnx.value_and_grad(_loss)(model, x, y)
            optimizer.update(model, grads)
            return loss

        def step(xb: np.ndarray, yb: np.ndarray) -> jax.Array:
            return train_step(model, optimizer, xb, yb)

    else:
        graphdef, state = nnx.split((model, optimizer))

        @functools.partial(jax.jit, donate_argnums=0)
        def pure_step(state, x, y):  # noqa: ANN001
            model, optimizer = nnx.merge(graphdef, state)
            loss, grads = nnx.value_and_grad(_loss)(model, x, y)
            optimizer.update(model, grads)
            return nnx.state((model, optimizer)), loss

        def step(xb: np.ndarray, yb: np.ndarray) -> jax.Array:
            nonlocal state
            state, loss = pure_step(state, xb, yb)
            return loss

    return StepLoop(step, lambda loss: float(loss), batches, version, device)
