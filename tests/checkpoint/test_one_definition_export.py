"""One-definition layers (forward in pf.ops) survive checkpoints and inference export: the
exported artifact runs in a process that never imports polyframe (the pf.ops calls were
traced into the framework's own ops) and gives the model's outputs; a checkpoint written on
one backend resumes on another with the same outputs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import polyframe as pf
from polyframe.interop import EXPORT_FORMATS
from polyframe.plugins import load_plugin
from tests.checkpoint.test_export import FOOTER, NAMES, RUNNERS

EXAMPLE = Path(__file__).resolve().parents[2] / "docs/examples/custom_layer.py"


def _spec() -> pf.Sequential:
    ex = load_plugin(str(EXAMPLE))
    L = pf.layers
    return pf.Sequential(
        [L.Input((12,), name="x"), L.Dense(16), ex.LearnableSwish(), ex.RMSScale(), L.Dense(3)]
    )


def _model(backend: str) -> pf.Model:
    model = pf.build(_spec(), backend=backend, seed=2)
    rng = np.random.default_rng(3)
    model.load_params({k: rng.normal(size=v.shape).astype(np.float32)
                       for k, v in model.params().items()})  # fmt: skip
    return model


# onnx goes through torch.export, so it covers both torch formats
@pytest.mark.parametrize("fmt", ["onnx", "saved_model", "jax.export"])
def test_one_definition_layers_export(fmt: str, tmp_path: Path) -> None:
    backend = EXPORT_FORMATS[fmt][0]  # the format's backend (all three are installed in CI)
    model = _model(backend)
    x = np.random.default_rng(0).normal(size=(5, 12)).astype(np.float32)
    artifact = model.export(tmp_path / NAMES[fmt], format=fmt)
    np.save(tmp_path / "x.npy", x)
    script = (
        f"import numpy\nART = {str(artifact)!r}\nOUT = {str(tmp_path / 'y.npy')!r}\n"
        f"x = numpy.load({str(tmp_path / 'x.npy')!r})\n" + RUNNERS[fmt] + FOOTER
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # polyframe not importable
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    got = np.load(tmp_path / "y.npy")
    assert got.shape == (5, 3)
    assert float(np.abs(got - model(x)).max()) <= 1e-5


def test_one_definition_checkpoint_moves_between_backends(backend: str, tmp_path: Path) -> None:
    model = _model(backend)
    pf.checkpoint.save(tmp_path / "ck", model)
    other = {"torch": "jax", "jax": "tensorflow", "tensorflow": "torch"}[backend]
    back = pf.checkpoint.load(tmp_path / "ck", backend=other)
    assert back.backend == other
    x = np.random.default_rng(1).normal(size=(4, 12)).astype(np.float32)
    assert float(np.abs(back(x) - model(x)).max()) <= 1e-5
    for k, v in model.params().items():
        np.testing.assert_array_equal(back.params()[k], v, err_msg=k)
