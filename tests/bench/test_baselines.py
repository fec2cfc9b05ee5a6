"""Finding the native baselines: the installed polyframe_baselines package, --baselines DIR or
$POLYFRAME_BASELINES; a named directory that is not one is a ConfigError; with none, the bench
times polyframe alone after a one-line notice (not an error)."""

from __future__ import annotations

from pathlib import Path

import pytest

import polyframe as pf
from polyframe.bench import baselines, runner


def test_installed_package_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(baselines.ENV, raising=False)
    found = baselines.find_baselines()
    assert found is not None and found.name == "polyframe_baselines"
    assert (found / "torch_loops.py").is_file()


def test_explicit_and_environment_directories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "my_loops"
    copy.mkdir()
    (copy / "__init__.py").write_text("")
    (copy / "step_loop.py").write_text("")
    assert baselines.find_baselines(copy) == copy.resolve()
    monkeypatch.setenv(baselines.ENV, str(copy))
    assert baselines.find_baselines() == copy.resolve()
    with pytest.raises(
        pf.ConfigError, match="is not a baselines directory .it has no step_loop.py"
    ):
        baselines.find_baselines(tmp_path)


def test_none_found_times_polyframe_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch")
    monkeypatch.setattr(runner, "find_baselines", lambda explicit: None)
    said: list[str] = []
    result = pf.bench.run(
        suite="mlp", backend="torch", against="tuned", rounds=1, warmup_steps=0, steps=2,
        extras=False, log=said.append,
    )  # fmt: skip
    assert said[0].startswith("polyframe bench: no native baselines found") and "\n" not in said[0]
    assert list(result["groups"][0]["implementations"]) == ["polyframe"]
    pf.bench.validate(result)
