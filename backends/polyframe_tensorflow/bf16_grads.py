"""bfloat16 precision's one gradient rule on TensorFlow: weight gradients are summed in float32.

Keras' ``mixed_bfloat16`` policy runs a Dense layer's ``x @ kernel`` on bfloat16 operands and
its gradient ``dkernel = x.T @ dy`` comes back as a bfloat16 tensor: a sum over this replica's
rows, rounded. Under data parallelism N replicas would round N partial sums before the float32
all-reduce adds them, where one replica rounds the whole batch's sum once. :class:`Dense` keeps
the bfloat16 forward but returns the kernel and bias gradients accumulated in float32 (the
products of the same bfloat16 operands); :func:`round_grads` rounds them to bfloat16 once,
after the all-reduce. That is JAX's rule (the gradient of the float32 -> bfloat16 cast of the
master weight, applied to the global batch's float32 sum), so one replica trains as before
and N replicas train as one. Other dtype policies run Keras' own ``Dense.call``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from polyframe_tensorflow._env import keras, tf


def _matmul(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor | None) -> tf.Tensor:
    """``x @ kernel (+ bias)`` on bfloat16 operands; float32 kernel and bias gradients."""

    @tf.custom_gradient
    def forward(x: tf.Tensor, kernel: tf.Tensor, *bias: tf.Tensor) -> Any:
        y = tf.matmul(x, kernel)
        if bias:
            y = y + bias[0]

        def grad(dy: tf.Tensor) -> Any:
            dx = tf.matmul(dy, kernel, transpose_b=True)
            dy32 = tf.reshape(tf.cast(dy, tf.float32), [-1, tf.shape(dy)[-1]])
            x32 = tf.reshape(tf.cast(x, tf.float32), [-1, tf.shape(x)[-1]])
            dk = tf.matmul(x32, dy32, transpose_a=True)
            return (dx, dk, tf.reduce_sum(dy32, 0)) if bias else (dx, dk)

        return y, grad

    return forward(x, kernel) if bias is None else forward(x, kernel, bias)


@keras.saving.register_keras_serializable(package="polyframe")
class Dense(keras.layers.Dense):
    """``keras.layers.Dense``; under ``mixed_bfloat16`` its kernel and bias gradients are
    accumulated in float32 (see the module docstring)."""

    def call(self, inputs: Any, training: Any = None) -> Any:
        if self.compute_dtype != "bfloat16" or self.quantization_mode or self.lora_enabled:
            return super().call(inputs, training=training)
        kernel = tf.convert_to_tensor(self.kernel)  # the autocast (bfloat16) read
        bias = None if self.bias is None else tf.convert_to_tensor(self.bias)
        x = _matmul(tf.cast(inputs, tf.bfloat16), kernel, bias)
        return x if self.activation is None else self.activation(x)


def mask(model: Any) -> list[bool]:
    """For each trainable variable of ``model``: is its gradient summed in float32 (a
    :class:`Dense` variable or one of :func:`recompute_layers` under ``mixed_bfloat16``)?"""
    chosen = [
        layer
        for layer in model._flatten_layers()
        if isinstance(layer, Dense) and layer.compute_dtype == "bfloat16"
    ]
    chosen += [layer for layer in recompute_layers(model) if layer.compute_dtype == "bfloat16"]
    ids = {id(v) for layer in chosen for v in layer.trainable_variables}
    return [id(v) in ids for v in model.trainable_variables]


def round_grads(grads: list[Any], which: list[bool]) -> list[Any]:
    """``grads`` with those marked in ``which`` rounded to bfloat16 values (kept float32)."""
    return [
        tf.cast(tf.cast(g, tf.bfloat16), g.dtype) if m else g
        for g, m in zip(grads, which, strict=True)
    ]


def _rounded(t: Any) -> Any:
    """A floating tensor's bfloat16 value as float32 (other tensors unchanged)."""
    return tf.cast(tf.cast(t, tf.bfloat16), tf.float32) if t.dtype.is_floating else t


def _float32_policy(layer: Any) -> contextlib.AbstractContextManager:
    """``layer`` and its sublayers computing in float32 while active."""

    @contextlib.contextmanager
    def scope() -> Iterator[None]:
        layers = list(layer._flatten_layers())
        saved = [sub.dtype_policy for sub in layers]
        for sub in layers:
            sub.dtype_policy = "float32"
        try:
            yield
        finally:
            for sub, policy in zip(layers, saved, strict=True):
                sub.dtype_policy = policy

    return scope()


def _recomputing(layer: Any, call: Any) -> Any:
    """``call`` (``layer``'s own) through a ``tf.custom_gradient`` whose gradient runs
    ``layer`` again in float32 on the bfloat16 values of its inputs and weights."""
    variables = list(layer.trainable_variables)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if layer.compute_dtype != "bfloat16":
            return call(*args, **kwargs)
        leaves = tf.nest.flatten((args, kwargs), expand_composites=False)
        where = [i for i, v in enumerate(leaves) if tf.is_tensor(v) and v.dtype.is_floating]
        structure: list[Any] = []

        def run(inputs: Any, weights: Any) -> Any:
            filled = list(leaves)
            for i, t in zip(where, inputs, strict=True):
                filled[i] = t
            a, k = tf.nest.pack_sequence_as((args, kwargs), filled)
            with keras.StatelessScope(state_mapping=list(zip(variables, weights, strict=True))):
                return call(*a, **k)

        @tf.custom_gradient
        def forward(*tensors: Any) -> Any:
            inputs, weights = tensors[: len(where)], tensors[len(where) :]
            out = run(inputs, weights)
            structure.append(out)
            flat = tf.nest.flatten(out)

            def grad(*douts: Any) -> Any:
                xs = [_rounded(t) for t in tensors]
                with tf.GradientTape() as tape, _float32_policy(layer):
                    tape.watch(xs)
                    again = tf.nest.flatten(run(xs[: len(where)], xs[len(where) :]))
                found = tape.gradient(
                    again, xs, output_gradients=[tf.cast(d, tf.float32) for d in douts]
                )
                found = [
                    tf.zeros_like(x) if g is None else g for g, x in zip(found, xs, strict=True)
                ]
                # input gradients in the inputs' dtype, as autocast hands them on
                return [tf.cast(g, t.dtype) for g, t in zip(found, tensors, strict=True)]

            return flat, grad

        masters = [tf.convert_to_tensor(v._value) for v in variables]  # float32, not autocast
        flat = forward(*[leaves[i] for i in where], *masters)
        return tf.nest.pack_sequence_as(structure[-1], flat)

    return wrapped


def _stateless(layer: Any) -> bool:
    """Whether ``layer``'s call reads no state but its weights: no statistics (batch norm:
    the recompute would update them twice) and no dropout (the recompute would draw other
    masks); an unused dropout seed (rate 0) is allowed."""
    if any(v.name != "seed_generator_state" for v in layer.non_trainable_variables):
        return False
    rates = ("rate", "dropout", "recurrent_dropout")
    return not any(getattr(sub, r, 0) for sub in layer._flatten_layers() for r in rates)


def recompute_layers(model: Any) -> list[Any]:
    """The top-level layers of ``model`` to run through :func:`recomputing`: those with
    trainable weights that are not :class:`Dense` (its own float32 backward) or an
    embedding (a lookup: no sum over the batch in bfloat16) and are :func:`_stateless`."""
    return [
        layer
        for layer in model.layers
        if layer.trainable_variables
        and not isinstance(layer, (Dense, keras.layers.Embedding))
        and _stateless(layer)
    ]


@contextlib.contextmanager
def recomputing(layers: list[Any]) -> Iterator[None]:
    """While active (while a train step is traced), ``layers`` compute their weight
    gradients in float32 (their ``call`` is replaced on the instance and restored after)."""
    for layer in layers:
        layer.call = _recomputing(layer, layer.call)
    try:
        yield
    finally:
        for layer in layers:
            del layer.call
