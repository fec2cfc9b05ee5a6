"""JAX's persistent compilation cache under polyframe's cache directory: the first process
writes it, a second one with the same model loads from it; the switch turns it off."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from polyframe.cache_dir import cache_dir, compile_cache_enabled

if importlib.util.find_spec("jax") is None:
    pytest.skip("needs JAX installed", allow_module_level=True)

ONE_STEP = """
import json, jax
events = []
jax.monitoring.register_event_listener(lambda name, **kw: events.append(name))
import polyframe as pf
(x, y), _ = pf.data.load("digits")
model = pf.build(pf.models.mlp(), backend="jax", seed=0)
trainer = pf.Trainer(model, optimizer=pf.optim.Adam(1e-3), loss="cross_entropy", metrics=())
loss = trainer.fit(x[:32], y[:32], batch_size=32, shuffle=False).history["loss"][0]
print(json.dumps({"dir": jax.config.jax_compilation_cache_dir, "loss": loss,
                  "hits": events.count("/jax/compilation_cache/cache_hits"),
                  "misses": events.count("/jax/compilation_cache/cache_misses")}))
"""


def _run(code: str, **env: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _files(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}


def test_second_process_loads_the_first_ones_compiled_step(tmp_path: Path) -> None:
    first = _run(ONE_STEP, POLYFRAME_CACHE_DIR=str(tmp_path), POLYFRAME_COMPILE_CACHE="1")
    assert first["dir"] == str(tmp_path / "jax")
    written = _files(tmp_path / "jax")
    assert first["hits"] == 0 and len(written) == first["misses"]
    # one program, the train step: building the model (polyframe_jax.placeholders) and the
    # optimizer state (polyframe_jax.opt_init) run none; each would be one more to load in
    # every process
    assert first["misses"] == 1
    second = _run(ONE_STEP, POLYFRAME_CACHE_DIR=str(tmp_path), POLYFRAME_COMPILE_CACHE="1")
    assert second["hits"] == first["misses"] and second["misses"] == 0
    assert _files(tmp_path / "jax") == written  # read, not rewritten
    assert second["loss"] == first["loss"]


def test_switch_turns_the_cache_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import jax
    from polyframe_jax.compile_cache import enable_compile_cache

    monkeypatch.setenv("POLYFRAME_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("POLYFRAME_COMPILE_CACHE", "0")
    before = jax.config.jax_compilation_cache_dir
    jax.config.update("jax_compilation_cache_dir", None)
    try:
        assert enable_compile_cache() is None
        assert jax.config.jax_compilation_cache_dir is None
    finally:
        jax.config.update("jax_compilation_cache_dir", before)
    assert not (tmp_path / "jax").exists()


def test_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POLYFRAME_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/x/cache")
    assert cache_dir("jax") == Path("/x/cache/polyframe/jax")
    monkeypatch.setenv("POLYFRAME_CACHE_DIR", "/y/pf")
    assert cache_dir() == Path("/y/pf")
    monkeypatch.setenv("POLYFRAME_COMPILE_CACHE", "off")
    assert compile_cache_enabled() is False
    monkeypatch.setenv("POLYFRAME_COMPILE_CACHE", "1")
    assert compile_cache_enabled() is True
