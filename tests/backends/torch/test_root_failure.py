"""Which worker failure ``polyframe train --devices N`` reports on torch: the cause (the killed
worker, or the one that raised), not the peers that failed on a broken collective or that the
launcher stopped with SIGTERM in the same second."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from polyframe_torch.distributed import root_failure  # noqa: E402


class _Failure:
    """The two fields of torch elastic's ``ProcessFailure`` that ``root_failure`` reads."""

    def __init__(self, exitcode: int, timestamp: int) -> None:
        self.exitcode, self.timestamp = exitcode, timestamp


def test_root_failure_is_the_killed_worker_when_its_peer_failed_in_the_same_second() -> None:
    peer, killed = _Failure(1, 1000), _Failure(-9, 1000)
    assert root_failure({0: peer, 1: killed}) == (1, killed)


def test_root_failure_is_not_a_worker_the_launcher_stopped() -> None:
    stopped, killed, raised = _Failure(-15, 1000), _Failure(-9, 1000), _Failure(1, 1000)
    assert root_failure({0: stopped, 1: killed}) == (1, killed)
    assert root_failure({0: stopped, 1: raised}) == (1, raised)
    assert root_failure({0: stopped, 1: _Failure(-15, 1000)})[0] == 0


def test_root_failure_is_otherwise_the_earliest_then_the_lowest_rank() -> None:
    first, later, tied = _Failure(1, 999), _Failure(1, 1000), _Failure(2, 999)
    assert root_failure({0: later, 1: first, 2: tied}) == (1, first)
    assert root_failure({3: _Failure(-11, 1001), 2: _Failure(-9, 1000)})[0] == 2
