"""The MNIST and CIFAR-10 examples run end to end on small local data (one backend each here;
the conformance suite covers the backends)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _main(script: str):
    return runpy.run_path(str(ROOT / "docs/examples" / script))["main"]


def _need(backend: str) -> None:
    from polyframe.backend import backend_status, list_backends

    if backend not in list_backends() or not backend_status(backend)[0]:
        pytest.skip(f"the {backend} backend is not usable here")


def test_mnist_mlp_on_torchvision_idx_files(
    mnist_root: tuple[Path, dict], capsys: pytest.CaptureFixture
) -> None:
    _need("torch")
    root, _ = mnist_root
    args = ["--backend", "torch", "--data", "torchvision:MNIST", "--data-dir", str(root)]
    result = _main("mnist_mlp.py")([*args, "--epochs", "2", "--limit", "32"])
    out = capsys.readouterr().out
    assert "torchvision:MNIST: 32 train, 16 test, images (28, 28, 1) float32" in out
    assert 0.0 <= result["accuracy"] <= 1.0 and result["loss"] > 0


def test_cifar10_cnn_on_tfds_mock_data(capsys: pytest.CaptureFixture) -> None:
    import tensorflow_datasets as tfds

    _need("torch")
    with tfds.testing.mock_data(num_examples=24):
        result = _main("cifar10_cnn.py")(
            ["--backend", "torch", "--data", "tfds:cifar10", "--epochs", "1", "--limit", "16"]
        )
    out = capsys.readouterr().out
    assert "tfds:cifar10: 16 train, 16 test, images (32, 32, 3) float32" in out
    assert 0.0 <= result["accuracy"] <= 1.0 and result["loss"] > 0


@pytest.mark.parametrize("script", ["mnist_mlp.py", "cifar10_cnn.py"])
def test_example_user_error_is_one_line_exit_2(script: str, tmp_path: Path) -> None:
    import subprocess
    import sys

    missing = tmp_path / "missing.npz"
    out = subprocess.run(
        [sys.executable, str(ROOT / "docs/examples" / script), "--data", f"npz:{missing}"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 2, out.stderr
    assert (
        out.stderr.strip()
        == f"error: no .npz file at '{missing}'; an npz: source is a local file, there is nothing to download"
    )


def test_example_help_is_not_cut_mid_sentence() -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, str(ROOT / "docs/examples/cifar10_cnn.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "backend, from torchvision or tensorflow-datasets." in " ".join(out.stdout.split())
