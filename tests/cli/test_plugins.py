"""Plug-ins: `--plugin MODULE` and an `imports:` list make user layers (one definition in
pf.ops) usable from spec files and the command line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import polyframe as pf
from polyframe.plugins import load_plugin

from .test_cli import polyframe

EXAMPLE = Path(__file__).resolve().parents[2] / "docs/examples/custom_layer.py"


def _spec_yaml(tmp_path: Path) -> Path:
    ex = load_plugin(str(EXAMPLE))
    L = pf.layers
    path = tmp_path / "custom.yaml"
    pf.Sequential(
        [L.Input((8, 8, 1)), L.Flatten(), ex.LearnableSwish(), ex.RMSScale(), L.Dense(10)]
    ).to_yaml(path)
    return path


def test_train_with_plugin(tmp_path: Path) -> None:
    """User layers and a user loss + metric from two --plugin files, through `train`. The
    plumbing is backend-independent (the lowerings are checked per backend in tests/docs and
    tests/conformance): one run on the default backend."""
    backend = pf.backend.default_backend()
    path = _spec_yaml(tmp_path)
    losses = EXAMPLE.parent / "custom_loss_metric.py"
    out = polyframe(
        "train", str(path), "--plugin", str(EXAMPLE), "--plugin", str(losses),
        "--loss", "focal", "--metric", "balanced_accuracy", "--backend", backend,
        "--epochs", "2", "--json", str(tmp_path / "run.json"),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    run = json.loads((tmp_path / "run.json").read_text())["runs"][0]
    assert run["backend"] == backend and 0.5 < run["test_accuracy"] <= 1.0
    history = run["history"]
    assert len(history["balanced_accuracy"]) == 2 and 0.5 < history["balanced_accuracy"][-1] <= 1
    assert history["loss"][-1] < history["loss"][0]


def test_missing_plugin_is_one_line_error(tmp_path: Path) -> None:
    path = _spec_yaml(tmp_path)
    out = polyframe("train", str(path), "--backend", "torch", "--epochs", "1")
    assert out.returncode == 2
    assert "unknown layer kind 'LearnableSwish'" in out.stderr
    assert "--plugin MODULE on the command line, an 'imports:' list" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    out = polyframe("train", str(path), "--plugin", "no_such_plugin_module", "--backend", "torch")
    assert out.returncode == 2
    assert "plug-in module 'no_such_plugin_module' cannot be imported" in out.stderr
    out = polyframe("train", "--loss", "focl", "--backend", "torch", "--epochs", "1")
    assert out.returncode == 2
    assert "unknown loss 'focl'; known: cross_entropy" in out.stderr


def test_imports_list_in_spec_file(tmp_path: Path) -> None:
    path = _spec_yaml(tmp_path)
    relative = os.path.relpath(EXAMPLE, tmp_path)  # .py imports are relative to the file
    text = f"imports: [{relative}]\n" + path.read_text()
    (tmp_path / "with_imports.yaml").write_text(text)
    spec = pf.load_spec(tmp_path / "with_imports.yaml")
    assert [n.layer.kind for n in spec.nodes][1:3] == ["LearnableSwish", "RMSScale"]
    with pytest.raises(pf.SpecError, match="'imports' must be a list"):
        pf.loads_spec("imports: layers_plugin.py\n" + path.read_text())


def test_entry_point_group_is_loaded_for_unknown_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed package's `polyframe.layers` entry point is imported when a spec names a
    kind not registered yet."""
    import dataclasses
    from importlib import metadata

    import polyframe.plugins as plugins

    loaded: list[str] = []

    class FakeEntryPoint:
        name = "fake_pkg"

        def load(self) -> None:
            loaded.append(self.name)

            @pf.layers.register_layer("EntryPointTestLayer")
            @dataclasses.dataclass(frozen=True)
            class EntryPointTestLayer(pf.layers.Layer):
                def forward(self, params: dict, x):  # noqa: ANN001, ANN201
                    return x

    def fake(group: str) -> list:
        return [FakeEntryPoint()] if group == plugins.GROUP else []

    monkeypatch.setattr(metadata, "entry_points", fake)
    monkeypatch.setattr(plugins, "_LOADED_ENTRY_POINTS", False)
    text = "layers:\n- kind: Input\n  shape: [3]\n- kind: EntryPointTestLayer\n"
    spec = pf.loads_spec(text)
    assert loaded == ["fake_pkg"]
    assert spec.nodes[-1].layer.kind == "EntryPointTestLayer"
