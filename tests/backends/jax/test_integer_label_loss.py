"""polyframe_jax's integer-label cross-entropy against optax's: the same losses bit for bit,
gradients within one float32 ulp (XLA fuses the select's gradient a little differently from
the gather's scatter-add), and less for a fresh process to trace."""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
optax = pytest.importorskip("optax")

from polyframe_jax.losses import integer_label_cross_entropy  # noqa: E402


def _loss_and_grad(fn):
    def mean_loss(logits, labels):
        return jnp.mean(fn(logits, labels))

    return jax.jit(jax.value_and_grad(mean_loss))


@pytest.mark.parametrize("scale", [1.0, 30.0, 1e4])
@pytest.mark.parametrize("shape", [(32, 10), (7, 3), (64, 1000)])
def test_matches_optax(shape: tuple[int, int], scale: float) -> None:
    rng = np.random.default_rng(shape[1] + int(scale))
    logits = (rng.standard_normal(shape) * scale).astype(np.float32)
    labels = rng.integers(0, shape[1], shape[0]).astype(np.int32)
    mine, mine_grad = _loss_and_grad(integer_label_cross_entropy)(logits, labels)
    ref, ref_grad = _loss_and_grad(optax.softmax_cross_entropy_with_integer_labels)(
        logits, labels
    )
    np.testing.assert_array_equal(np.asarray(mine), np.asarray(ref))
    np.testing.assert_array_max_ulp(np.asarray(mine_grad), np.asarray(ref_grad), maxulp=1)
    per = integer_label_cross_entropy(jnp.asarray(logits), jnp.asarray(labels))
    np.testing.assert_array_equal(
        np.asarray(per),
        np.asarray(optax.softmax_cross_entropy_with_integer_labels(logits, labels)),
    )


def test_traces_no_gather() -> None:
    """What the change is for: the label's logit is a select, not a gather (nor a scatter in
    the gradient)."""
    logits = jnp.zeros((4, 5), jnp.float32)
    labels = jnp.zeros((4,), jnp.int32)
    text = str(
        jax.make_jaxpr(jax.grad(lambda lg: integer_label_cross_entropy(lg, labels).sum()))(logits)
    )
    assert "gather" not in text and "scatter" not in text
    assert "select_n" in text
