"""One benchmark suite's description (:class:`Suite`); the registered suites are in
:mod:`polyframe.bench.suites`, a user's spec as a suite in :mod:`polyframe.bench.spec_suite`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np


@dataclass(frozen=True)
class Suite:
    """One benchmark model: ``spec()`` builds it; batches are ``(batch_size, *input_shape)``
    float32 in [0, 1) (token ids in ``[0, vocab)`` when ``vocab``) with integer labels;
    Adam(``lr``) and softmax cross-entropy. ``references`` names the comparisons that have
    hand-written code under ``polyframe_baselines`` (backends/polyframe_baselines/) (``docs``,
    ``tuned``, ``keras``); ``model`` the baselines' model builder when it is not ``name``;
    ``family`` a group of suites chosen together by that name (``--suite overhead``)."""

    name: str
    spec: Callable[[], Any]
    batch_size: int
    steps_per_window: int
    why: str
    lr: float = 1e-3
    requires: tuple[str, ...] = ()
    vocab: int = 0
    references: tuple[str, ...] = ("docs", "tuned", "keras")
    model: str = ""
    family: str = ""

    @property
    def baseline_model(self) -> str:
        """The model builder the native loops use (``model``, default: the suite's name)."""
        return self.model or self.name

    def data(self, n_batches: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """``n_batches`` batches of synthetic data, the same for every implementation."""
        spec = self.spec()
        n = n_batches * self.batch_size
        # separate streams: the first k batches are the same whatever n_batches is
        rng = np.random.default_rng([seed, 1])
        shape = (n, *spec.input_shape)
        if self.vocab:
            x = rng.integers(0, self.vocab, size=shape).astype(spec.input_dtype)
        else:
            x = rng.random(shape, dtype=np.float32)
        labels = np.random.default_rng([seed, 2]).integers(0, spec.output_shape[-1], size=n)
        y = labels.astype(np.int64)
        return x, y
