"""The sharding rule, checked with example ids (no framework needed): every example of an
epoch reaches exactly one worker, shards differ by at most one example, and padding rows
carry weight 0."""

from __future__ import annotations

import numpy as np
import pytest

import polyframe as pf
from polyframe.distributed import (
    Topology,
    check_batch,
    check_strategy,
    shard_bounds,
    sharded_batches,
)
from polyframe.errors import ConfigError, DataError


@pytest.mark.parametrize("n", [1, 7, 32, 33, 45, 64])
@pytest.mark.parametrize(("processes", "local"), [(1, 2), (2, 1), (2, 2), (4, 1)])
@pytest.mark.parametrize("shuffle", [True, False])
def test_every_example_once_per_epoch(n: int, processes: int, local: int, shuffle: bool) -> None:
    world, batch = processes * local, 8
    ids = np.arange(n)
    loader = pf.data.Loader(
        ids[:, None].astype(np.float32), ids, batch_size=batch, shuffle=shuffle, seed=3
    )
    per_worker = check_batch(batch, world)
    for epoch in range(2):
        seen, sizes = [], []
        streams = [
            list(sharded_batches(loader, epoch, Topology(r, processes, local), per_worker))
            for r in range(processes)
        ]
        assert {len(s) for s in streams} == {len(loader)}
        for step in range(len(loader)):
            want = [b[1] for b in loader.epoch(epoch)][step]  # the 1-worker batch
            got_step = []
            for stream in streams:
                x, y, w, total = stream[step]
                assert total == len(want) and x.shape == (local * per_worker, 1)
                assert set(np.unique(w)) <= {0.0, 1.0}
                for k in range(local):
                    rows = slice(k * per_worker, (k + 1) * per_worker)
                    real = y[rows][w[rows] > 0]
                    sizes.append(len(real))
                    got_step.extend(real.tolist())
                    assert (x[rows][w[rows] == 0] == 0).all()  # padding: zero rows
            assert got_step == want.tolist()  # same examples, same order as 1 worker
            seen.extend(got_step)
            step_sizes = sizes[-world:]
            assert max(step_sizes) - min(step_sizes) <= 1
            assert step_sizes == sorted(step_sizes, reverse=True)  # extras go to low ranks
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
