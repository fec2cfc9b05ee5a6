"""polyframe optimizer specs -> optax gradient transformations giving the update direction
``d``; the step applies ``p -= lr * d`` with the learning rate as a traced argument, so a
schedule never recompiles. Each direction is torch's formula (``polyframe.optim``)."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from polyframe.errors import ConfigError
from polyframe.optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop


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


class RMSpropState(NamedTuple):
    """``nu``: mean square; ``mg``: mean gradient (centered); ``buf``: momentum buffer."""

    nu: Any
    mg: Any
    buf: Any


def scale_by_rmsprop_torch(
    alpha: float, eps: float, momentum: float, centered: bool
) -> optax.GradientTransformation:
    """torch's RMSprop direction: ``g / (sqrt(v - mg^2) + eps)``, through a momentum buffer
    when ``momentum > 0`` (``d = buf``)."""

    def init(params):
        def zeros():  # a fresh tree each: the steps donate the state, so no sharing
            return jax.tree.map(jnp.zeros_like, params)

        return RMSpropState(zeros(), zeros() if centered else (), zeros() if momentum else ())

    def update(updates, state, params=None):
        nu = jax.tree.map(lambda v, g: alpha * v + (1 - alpha) * g * g, state.nu, updates)
        if centered:
            mg = jax.tree.map(lambda m, g: alpha * m + (1 - alpha) * g, state.mg, updates)
            avg = jax.tree.map(lambda v, m: jnp.sqrt(v - m * m) + eps, nu, mg)
        else:
            mg, avg = (), jax.tree.map(lambda v: jnp.sqrt(v) + eps, nu)
        d = jax.tree.map(lambda g, a: g / a, updates, avg)
        buf = ()
        if momentum:
            buf = jax.tree.map(lambda b, u: momentum * b + u, state.buf, d)
            d = buf
        return d, RMSpropState(nu, mg, buf)

    return optax.GradientTransformation(init, update)


def scale_by_adagrad_torch(eps: float, initial: float) -> optax.GradientTransformation:
    """torch's Adagrad direction ``g / (sqrt(s) + eps)`` with ``s += g^2`` (eps outside the
    root, unlike ``optax.scale_by_rss``)."""

    def init(params):
        return jax.tree.map(lambda p: jnp.full_like(p, initial), params)

    def update(updates, state, params=None):
        s = jax.tree.map(lambda a, g: a + g * g, state, updates)
        return jax.tree.map(lambda g, a: g / (jnp.sqrt(a) + eps), updates, s), s

    return optax.GradientTransformation(init, update)


def _decay(opt: Optimizer) -> optax.GradientTransformation:
    """``d += wd * p`` on the decayed parameters (rank >= 2 unless ``decay_all``)."""
    if not opt.weight_decay:
        return optax.identity()
    mask = lambda params: jax.tree.map(lambda p: opt.decays(tuple(p.shape)), params)  # noqa: E731
    return optax.add_decayed_weights(opt.weight_decay, mask)


def direction(opt: Optimizer) -> optax.GradientTransformation:
    """The update direction ``d``; the step applies ``p -= lr * d``.

    Coupled decay (SGD, Adam, RMSprop, Adagrad) adds ``wd * p`` to the gradient first; AdamW
    adds it to the Adam direction (``p -= lr * (adam + wd * p)``, which is torch's
    ``p *= 1 - lr * wd`` followed by the Adam step).
    """
    if isinstance(opt, SGD):
        core = optax.trace(decay=opt.momentum, nesterov=opt.nesterov) if opt.momentum else None
        return optax.chain(_decay(opt), core or optax.identity())
    if isinstance(opt, AdamW):
        return optax.chain(scale_by_adam_torch(opt.beta1, opt.beta2, opt.eps), _decay(opt))
    if isinstance(opt, Adam):
        return optax.chain(_decay(opt), scale_by_adam_torch(opt.beta1, opt.beta2, opt.eps))
    if isinstance(opt, RMSprop):
        core = scale_by_rmsprop_torch(opt.alpha, opt.eps, opt.momentum, opt.centered)
        return optax.chain(_decay(opt), core)
    if isinstance(opt, Adagrad):
        core = scale_by_adagrad_torch(opt.eps, opt.initial_accumulator_value)
        return optax.chain(_decay(opt), core)
    raise ConfigError(
        f"the jax backend has no lowering for optimizer {type(opt).__name__!r}; "
        "known: SGD, Adam, AdamW, RMSprop, Adagrad"
    )
