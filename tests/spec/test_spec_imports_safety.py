"""A spec's ``imports:`` list runs code, so only a spec file the user names (``load_spec``,
``polyframe train FILE``) imports it; a spec that comes with data (a checkpoint's manifest, a
string) is refused before anything is imported."""

from __future__ import annotations

from pathlib import Path

import pytest

import polyframe as pf
from polyframe.spec.serialize import spec_from_dict

LAYERS = "layers:\n- {kind: Input, shape: [3]}\n- {kind: Dense, units: 2}\n"


def _plugin(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "ran"
    plugin = tmp_path / "evil.py"
    plugin.write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    return plugin, marker


def test_data_specs_never_import(tmp_path: Path) -> None:
    plugin, marker = _plugin(tmp_path)
    data = {**pf.models.mlp().to_dict(), "imports": [str(plugin)]}
    with pytest.raises(pf.SpecError, match="never import code; import them yourself first"):
        spec_from_dict(data)  # what pf.checkpoint.load does with a manifest's spec
    with pytest.raises(pf.SpecError, match="never import code"):
        pf.loads_spec(f"imports: [{plugin}]\n{LAYERS}")
    assert not marker.exists()


def test_a_named_spec_file_imports_its_plugins(tmp_path: Path) -> None:
    plugin, marker = _plugin(tmp_path)
    path = tmp_path / "model.yaml"
    path.write_text(f"imports: [{plugin.name}]\n{LAYERS}")  # relative to the file
    spec = pf.load_spec(path)
    assert marker.read_text() == "ran" and spec.output_shape == (2,)
