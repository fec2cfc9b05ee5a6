"""TensorFlow's persistent XLA cache flag: added under polyframe's cache directory, a user's
own directory kept; off unless POLYFRAME_COMPILE_CACHE=1 (TensorFlow logs error lines when it
loads its own entries; benchmarks/startup.py measures reuse)."""

from __future__ import annotations

from pathlib import Path

import pytest
from polyframe_tensorflow.compile_cache import FLAG, xla_cache_flags


def test_xla_cache_flag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYFRAME_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("POLYFRAME_COMPILE_CACHE", "1")
    assert xla_cache_flags("--tf_xla_auto_jit=0") == (
        f"--tf_xla_auto_jit=0 {FLAG}={tmp_path / 'tensorflow'}"
    )
    assert (tmp_path / "tensorflow").is_dir()
    assert xla_cache_flags(f"{FLAG}=/mine") == f"{FLAG}=/mine"
    monkeypatch.setenv("POLYFRAME_COMPILE_CACHE", "0")
    assert xla_cache_flags("") == ""
    monkeypatch.delenv("POLYFRAME_COMPILE_CACHE")
    assert xla_cache_flags("") == ""  # off by default
