"""Canonical initializers, in numpy, from a seed.

Each parameter draws from its own stream, seeded by ``(seed, crc32(name))``: the same seed
gives the same values on every backend, and adding a layer does not change the others'.
Fans follow one rule: the last axis is the output, the one before it the input, and any
leading axes are the receptive field (``[kh, kw, in, out]`` conv kernels).
"""

from __future__ import annotations

import math
import zlib
from typing import Callable

import numpy as np

from polyframe.errors import SpecError
from polyframe.spec.layer import ParamSpec

Initializer = Callable[[tuple[int, ...], "np.random.Generator"], np.ndarray]


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def _glorot_uniform(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    fan_in, fan_out = _fans(shape)
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape)


def _glorot_normal(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    fan_in, fan_out = _fans(shape)
    return rng.normal(0.0, math.sqrt(2.0 / (fan_in + fan_out)), shape)


def _he_uniform(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    limit = math.sqrt(6.0 / _fans(shape)[0])
    return rng.uniform(-limit, limit, shape)


def _he_normal(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    return rng.normal(0.0, math.sqrt(2.0 / _fans(shape)[0]), shape)


def _lecun_normal(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    return rng.normal(0.0, math.sqrt(1.0 / _fans(shape)[0]), shape)


def _torch_default(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """torch.nn's default for Linear/Conv weights: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    limit = 1.0 / math.sqrt(_fans(shape)[0])
    return rng.uniform(-limit, limit, shape)


def _orthogonal(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """A (semi-)orthogonal ``[rows, cols]`` matrix (QR of a Gaussian, signs fixed), as Keras
    and Flax initialize recurrent kernels; leading axes are folded into the rows."""
    if len(shape) < 2:
        return rng.normal(0.0, 1.0, shape)
    rows, cols = math.prod(shape[:-1]), shape[-1]
    a = rng.normal(0.0, 1.0, (max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))
    return (q if rows >= cols else q.T).reshape(shape)


INITIALIZERS: dict[str, Initializer] = {
    "zeros": lambda shape, rng: np.zeros(shape),
    "ones": lambda shape, rng: np.ones(shape),
    "glorot_uniform": _glorot_uniform,
    "glorot_normal": _glorot_normal,
    "he_uniform": _he_uniform,
    "he_normal": _he_normal,
    "lecun_normal": _lecun_normal,
    "torch_default": _torch_default,
    "normal": lambda shape, rng: rng.normal(0.0, 0.02, shape),
    "orthogonal": _orthogonal,
}


def register_initializer(name: str, fn: Initializer) -> None:
    """Add a named initializer usable as ``kernel_init=name`` in any layer spec."""
    INITIALIZERS[name] = fn


def param_rng(seed: int, name: str) -> np.random.Generator:
    """The random stream of one named parameter."""
    return np.random.default_rng([int(seed), zlib.crc32(name.encode())])


def init_param(name: str, spec: ParamSpec, seed: int, dtype: str = "float32") -> np.ndarray:
    """Initial value of one canonical parameter."""
    try:
        fn = INITIALIZERS[spec.init]
    except KeyError:
        raise SpecError(
            f"{name}: unknown initializer {spec.init!r}; known: {', '.join(sorted(INITIALIZERS))}"
        ) from None
    return np.asarray(fn(spec.shape, param_rng(seed, name)), dtype=dtype)


def init_params(spec, seed: int = 0, dtype: str = "float32") -> dict[str, np.ndarray]:
    """All canonical parameters of a model spec (trainable and state), from ``seed``."""
    return {name: init_param(name, ps, seed, dtype) for name, ps in spec.param_specs().items()}
