"""Native weights in and out: import a hand-written native model's weights, export ours in
each native form, and ``polyframe convert``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import polyframe as pf
from tests.checkpoint.helpers import cnn_spec, inputs
from tests.checkpoint.native_models import NATIVE


def test_import_a_native_model_of_the_same_architecture(backend: str, tmp_path: Path) -> None:
    """The framework's own weight file of a hand-written MLP (other layer names) loads by
    order into the polyframe spec, and predicts what the native model predicts, on every
    backend after conversion."""
    make, suffix = NATIVE[backend]
    native_forward = make(tmp_path / "native")
    spec = pf.models.mlp(hidden=(16,))
    model = pf.interop.import_weights(spec, (tmp_path / "native").with_suffix(suffix))
    assert model.backend == backend
    x = inputs()
    diff = float(np.abs(model(x) - native_forward(x)).max())
    print(f"{backend}: imported native weights, max |diff| {diff:.2e}")
    assert diff <= 1e-5
    reference = pf.reference.forward(spec, model.params(), x)
    assert np.abs(reference - native_forward(x)).max() <= 1e-5


def test_export_native_weights_round_trips(backend: str, tmp_path: Path) -> None:
    """A model from any backend written in this backend's native format and read back."""
    _, suffix = NATIVE[backend]
    spec = cnn_spec()
    model = pf.build(spec, backend="jax" if backend != "jax" else "torch", seed=4)
    path = pf.interop.export_weights(model, tmp_path / f"w{suffix}")
    back = pf.interop.import_weights(spec, path)
    assert back.backend == backend
    a, b = model.params(), back.params()
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_import_rejects_another_architecture(backend: str, tmp_path: Path) -> None:
    make, suffix = NATIVE[backend]
    make(tmp_path / "native")
    with pytest.raises(pf.BackendError) as err:
        pf.interop.import_weights(
            pf.models.mlp(hidden=(32,)), (tmp_path / "native").with_suffix(suffix)
        )
    print(f"{backend}: {err.value}")
    message = str(err.value)
    assert str(tmp_path / "native") in message
    assert "but the model's" in message or "same architecture" in message


def test_torch_import_refuses_a_code_carrying_pickle(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")

    class Payload:
        def __reduce__(self):
            import os

            return (os.mkdir, (str(tmp_path / "pwned"),))

    torch.save({"0.weight": Payload()}, tmp_path / "evil.pt")
    with pytest.raises(pf.BackendError, match="is not a readable torch state_dict"):
        pf.interop.import_weights(pf.models.mlp(hidden=(16,)), tmp_path / "evil.pt")
    assert not (tmp_path / "pwned").exists()


@pytest.mark.slow
def test_cli_convert_checkpoint_to_native_and_back(backend: str, tmp_path: Path) -> None:
    _, suffix = NATIVE[backend]
    spec = cnn_spec()
    model = pf.build(spec, backend=backend, seed=2)
    pf.checkpoint.save(tmp_path / "ck", model)
    spec.to_yaml(tmp_path / "spec.yaml")
    run = [sys.executable, "-m", "polyframe.cli", "convert"]
    out = subprocess.run(
        [*run, str(tmp_path / "ck"), str(tmp_path / f"w{suffix}")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert f"{backend} native weights, 10 canonical tensors" in out.stdout
    out = subprocess.run(
        [
            *run,
            str(tmp_path / f"w{suffix}"),
            str(tmp_path / "ck2"),
            "--spec",
            str(tmp_path / "spec.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    a, b = model.params(), pf.checkpoint.load_params(tmp_path / "ck2")
    assert all(np.array_equal(a[k], b[k]) for k in a)
    out = subprocess.run(
        [*run, str(tmp_path / f"w{suffix}"), str(tmp_path / "ck3")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        f"polyframe: error: reading native weights {str(tmp_path / f'w{suffix}')!r} needs the "
        "model's spec: add --spec FILE"
    ]
