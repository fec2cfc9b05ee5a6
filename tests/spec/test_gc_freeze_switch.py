"""``polyframe.gc_freeze``: once per framework, and off with ``POLYFRAME_GC_FREEZE=0``."""

from __future__ import annotations

import pytest

from polyframe import gc_freeze


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record ``gc.freeze`` calls instead of freezing the test process; no framework frozen."""
    seen: list[str] = []
    monkeypatch.setattr(gc_freeze.gc, "freeze", lambda: seen.append("freeze"))
    monkeypatch.setattr(gc_freeze, "_FROZEN", set())
    monkeypatch.delenv(gc_freeze.GC_FREEZE_ENV, raising=False)
    return seen


def test_freezes_once_per_framework(calls: list[str]) -> None:
    assert gc_freeze.freeze_import_objects("torch") is True
    assert gc_freeze.freeze_import_objects("torch") is False
    assert gc_freeze.freeze_import_objects("jax") is True
    assert calls == ["freeze", "freeze"]


@pytest.mark.parametrize("value", ["0", "off", "False"])
def test_switched_off(calls: list[str], monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(gc_freeze.GC_FREEZE_ENV, value)
    assert gc_freeze.gc_freeze_enabled() is False
    assert gc_freeze.freeze_import_objects("tensorflow") is False
    assert calls == []
