"""The sharding rule, checked with example ids (no framework needed): every example of an
epoch reaches exactly one worker and shards differ by at most one example."""

from __future__ import annotations

import numpy as np
import pytest

import polyframe as pf
from polyframe.distributed import check_batch, check_strategy, shard_bounds
from polyframe.errors import ConfigError, DataError


@pytest.mark.parametrize("n", [1, 7, 32, 33, 45, 64])
@pytest.mark.parametrize("world", [2, 4])
@pytest.mark.parametrize("shuffle", [True, False])
def test_every_example_once_per_epoch(n: int, world: int, shuffle: bool) -> None:
    """The placements cut each global batch with ``shard_bounds``: over the workers, every
    example of the 1-worker batch once, in order, shards differing by at most one."""
    ids = np.arange(n)
    loader = pf.data.Loader(ids[:, None].astype(np.float32), ids, batch_size=8, shuffle=shuffle)
    for epoch in range(2):
        seen = []
        for _, yb in loader.epoch(epoch):
            bounds = shard_bounds(len(yb), world)
            shards = [yb[a:b].tolist() for a, b in bounds]
            sizes = [len(s) for s in shards]
            assert max(sizes) - min(sizes) <= 1 and sizes == sorted(sizes, reverse=True)
            assert sum(shards, []) == yb.tolist()
            seen.extend(sum(shards, []))
        assert sorted(seen) == ids.tolist()


def test_shard_bounds_split_as_evenly_as_possible() -> None:
    assert shard_bounds(7, 3) == [(0, 3), (3, 5), (5, 7)]
    assert shard_bounds(1, 2) == [(0, 1), (1, 1)]
    assert shard_bounds(16, 2) == [(0, 8), (8, 16)]


def test_weighted_shard_losses_equal_the_batch_mean() -> None:
    """sum over workers of sum(w * loss) / n == the 1-worker mean, padding included."""
    rng = np.random.default_rng(0)
    losses = rng.random(5)
    per_worker, total = 4, 0.0
    for a, b in shard_bounds(5, 2):
        shard = np.zeros(per_worker)
        w = np.zeros(per_worker)
        shard[: b - a], w[: b - a] = losses[a:b], 1
        total += np.sum(shard * w) / 5
    assert total == pytest.approx(losses.mean(), rel=1e-12)


def test_global_batch_must_split_evenly() -> None:
    with pytest.raises(DataError) as err:
        check_batch(33, 2)
    assert str(err.value) == (
        "the global batch size 33 does not split evenly across 2 workers; use a multiple "
        "of 2 (e.g. 32 or 34)"
    )


def test_unknown_strategy_is_refused() -> None:
    with pytest.raises(
        ConfigError,
        match="unknown strategy 'model_parallel'; expected None or "
        "one of data_parallel \\(model and tensor parallelism are not supported",
    ):
        check_strategy("model_parallel")
