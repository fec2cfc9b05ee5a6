"""polyframe optimizer specs -> optax gradient transformations (the learning rate is applied by
the step, as a traced argument, so a schedule never recompiles)."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import optax

from polyframe.errors import ConfigError
from polyframe.optim import SGD, Adam, Optimizer


def _bias_correction(decay: float, count: jax.Array) -> jax.Array:
    """``1 - decay**t`` to float32 precision. optax's ``1 - decay**t`` in float32 loses ~1e-5
    relative for ``decay=0.999`` at small ``t`` (torch computes it in float64)."""
    return -jnp.expm1(count.astype(jnp.float32) * math.log(decay)) if decay > 0 else 1.0


def scale_by_adam_torch(b1: float, b2: float, eps: float) -> optax.GradientTransformation:
    """torch's Adam direction ``m_hat / (sqrt(v_hat) + eps)``; state is optax's
    ``ScaleByAdamState`` (``count``, ``mu``, ``nu``) so optax tooling can read it."""
    base = optax.scale_by_adam(b1=b1, b2=b2, eps=eps, eps_root=0.0)

    def update(updates, state, params=None):
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        nu = optax.tree.update_moment_per_elem_norm(updates, state.nu, b2, 2)
        count = optax.safe_increment(state.count)
        c1, c2 = _bias_correction(b1, count), _bias_correction(b2, count)
        out = jax.tree.map(lambda m, v: (m / c1) / (jnp.sqrt(v / c2) + eps), mu, nu)
        return out, optax.ScaleByAdamState(count=count, mu=mu, nu=nu)

    return optax.GradientTransformation(base.init, update)


def direction(opt: Optimizer) -> optax.GradientTransformation:
    """The update direction ``d``; the step applies ``p -= lr * d``.

    SGD: ``optax.trace`` is torch's ``buf = m*buf + g`` (``d = buf``; Nesterov ``d = g + m*buf``).
    Adam: :func:`scale_by_adam_torch` (torch's ``m_hat / (sqrt(v_hat) + eps)``).
    """
    if isinstance(opt, SGD):
        if opt.momentum == 0:
            return optax.identity()
        return optax.trace(decay=opt.momentum, nesterov=opt.nesterov)
    if isinstance(opt, Adam):
        return scale_by_adam_torch(opt.beta1, opt.beta2, opt.eps)
    raise ConfigError(f"the jax backend has no lowering for optimizer {type(opt).__name__!r}")
