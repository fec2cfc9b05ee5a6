"""Inference export: each artifact runs in a process that never imports polyframe, with the
framework alone, and gives the model's outputs within 1e-5."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import polyframe as pf
from polyframe.backend import backend_status
from polyframe.interop import EXPORT_FORMATS
from tests.checkpoint.helpers import cnn_spec, inputs

#: Each runner reads x.npy, runs the artifact, writes y.npy, and proves polyframe stayed out.
RUNNERS = {
    "torch.export": "import torch\n"
    "m = torch.export.load(ART).module()\n"
    "y = m(torch.from_numpy(x)).detach().numpy()\n",
    "onnx": "import onnxruntime as ort\n"
    "s = ort.InferenceSession(ART, providers=['CPUExecutionProvider'])\n"
    "y = s.run(None, {'x': x})[0]\n",
    "saved_model": "import tensorflow as tf\n"
    "m = tf.saved_model.load(ART)\n"
    "y = m.serve(tf.constant(x)).numpy()\n",
    "jax.export": "from jax import export\n"
    "y = export.deserialize(bytearray(open(ART, 'rb').read())).call(x)\n",
}
FOOTER = (
    "import sys, numpy\n"
    "leaked = sorted(m for m in sys.modules if m.startswith('polyframe'))\n"
    "assert not leaked, leaked\n"
    "numpy.save(OUT, numpy.asarray(y))\n"
)
NAMES = {
    "torch.export": "model.pt2",
    "onnx": "model.onnx",
    "saved_model": "saved_model",
    "jax.export": "model.jax_export",
}


def _model_with_statistics(backend: str) -> pf.Model:
    """The test CNN with non-trivial batch-norm statistics (inference uses them)."""
    model = pf.build(cnn_spec(), backend=backend, seed=6)
    params = model.params()
    rng = np.random.default_rng(1)
    params["batch_norm_0.moving_mean"] = rng.normal(0, 0.1, 4).astype(np.float32)
    params["batch_norm_0.moving_var"] = rng.uniform(0.5, 2.0, 4).astype(np.float32)
    model.load_params(params)
    return model


@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
def test_exported_artifact_runs_without_polyframe(fmt: str, tmp_path: Path) -> None:
    """A model exported to ``fmt`` by the format's backend runs in a clean process: batch 5,
    not the traced 2."""
    backend = EXPORT_FORMATS[fmt][0]
    usable, why = backend_status(backend)
    if not usable:
        pytest.skip(f"{fmt} needs the {backend} backend: {why}")
    model = _model_with_statistics(backend)
    x = inputs(5)
    artifact = model.export(tmp_path / NAMES[fmt], format=fmt)
    np.save(tmp_path / "x.npy", x)
    script = (
        f"import numpy\nART = {str(artifact)!r}\nOUT = {str(tmp_path / 'y.npy')!r}\n"
        f"x = numpy.load({str(tmp_path / 'x.npy')!r})\n" + RUNNERS[fmt] + FOOTER
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # polyframe not importable
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    got = np.load(tmp_path / "y.npy")
    assert got.shape == (5, 10)
    diff = float(np.abs(got - model(x)).max())
    print(f"{fmt} from {backend}: max |diff| {diff:.2e}")
    assert diff <= 1e-5


@pytest.mark.slow
def test_cli_export_a_checkpoint(backend: str, tmp_path: Path) -> None:
    model = _model_with_statistics(backend)
    pf.checkpoint.save(tmp_path / "ck", model)
    fmt = {"torch": "torch.export", "tensorflow": "saved_model", "jax": "jax.export"}[backend]
    dest = tmp_path / NAMES[fmt]
    out = subprocess.run(
        [sys.executable, "-m", "polyframe.cli", "export", str(tmp_path / "ck"), str(dest)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"wrote {dest}: {fmt}"
    assert dest.exists()


def test_export_from_another_backend_relowers(tmp_path: Path) -> None:
    """A jax model exported to torch.export: the same weights, lowered on torch first."""
    for name in ("torch", "jax"):
        if not backend_status(name)[0]:
            pytest.skip(f"needs the {name} backend")
    torch = pytest.importorskip("torch")
    model = _model_with_statistics("jax")
    artifact = model.export(tmp_path / "model.pt2")
    x = inputs(3)
    got = torch.export.load(str(artifact)).module()(torch.from_numpy(x)).detach().numpy()
    assert float(np.abs(got - model(x)).max()) <= 1e-5


def test_unknown_export_format(backend: str, tmp_path: Path) -> None:
    model = pf.build(cnn_spec(), backend=backend)
    with pytest.raises(
        pf.BackendError,
        match="unknown export format 'tflite'; known: torch.export, onnx, saved_model, jax.export",
    ):
        model.export(tmp_path / "m", format="tflite")
