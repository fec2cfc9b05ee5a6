"""Named sources, read for real: tfds through its mock_data, torchvision from IDX files,
npz from a file. Both image sources give the same dtype, shape and value range."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import polyframe as pf


def _check_images(x: np.ndarray, y: np.ndarray, n: int, shape: tuple[int, ...]) -> None:
    assert x.shape == (n, *shape) and x.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.int64
    assert 0.0 <= x.min() and x.max() <= 1.0 and x.max() > 0.5
    assert 0 <= y.min() and y.max() <= 9


def test_tfds_mnist_from_mock_data(tmp_path: Path) -> None:
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=12):
        (x, y), (xt, yt) = pf.data.load("tfds:mnist", data_dir=str(tmp_path))
        xs, ys = pf.data.load("tfds:mnist:test")
    _check_images(x, y, 12, (28, 28, 1))
    _check_images(xt, yt, 12, (28, 28, 1))
    _check_images(xs, ys, 12, (28, 28, 1))


def test_tfds_cifar10_from_mock_data() -> None:
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=5):
        (x, y), _ = pf.data.load("tfds:cifar10")
    _check_images(x, y, 5, (32, 32, 3))


def test_tfds_missing_without_download(tmp_path: Path) -> None:
    with pytest.raises(pf.DataError) as info:
        pf.data.load("tfds:mnist", data_dir=str(tmp_path))
    msg = str(info.value)
    assert "'mnist'" in msg and str(tmp_path) in msg
    assert "download=True" in msg and "--download" in msg and "tfds build mnist" in msg
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_tfds_unknown_data_set() -> None:
    with pytest.raises(pf.DataError, match="tfds cannot open data set 'no_such_set_xyz'"):
        pf.data.load("tfds:no_such_set_xyz")


def test_torchvision_mnist_from_idx_files(mnist_root: tuple[Path, dict]) -> None:
    root, arrays = mnist_root
    (x, y), (xt, yt) = pf.data.load("torchvision:MNIST", data_dir=str(root))
    _check_images(x, y, 40, (28, 28, 1))
    _check_images(xt, yt, 16, (28, 28, 1))
    images, labels = arrays["train"]
    np.testing.assert_array_equal(x[..., 0], images.astype(np.float32) / 255)
    np.testing.assert_array_equal(y, labels)
    assert x.min() == 0.0 and x.max() == 1.0
    xs, ys = pf.data.load("torchvision:MNIST:test", root=str(root))
    np.testing.assert_array_equal(xs, xt)


def test_tfds_and_torchvision_agree_on_layout(mnist_root: tuple[Path, dict]) -> None:
    import tensorflow_datasets as tfds

    root, _ = mnist_root
    tv, _ = pf.data.load("torchvision:MNIST", data_dir=str(root))
    with tfds.testing.mock_data(num_examples=40):
        tf, _ = pf.data.load("tfds:mnist")
    for a, b in zip(tv, tf, strict=True):
        assert a.shape == b.shape and a.dtype == b.dtype
    assert tv[0].min() >= 0 and tf[0].min() >= 0 and tv[0].max() <= 1 and tf[0].max() <= 1


def test_torchvision_missing_without_download(tmp_path: Path) -> None:
    for name, folder in (("MNIST", "MNIST/raw"), ("CIFAR10", "cifar-10-batches-py")):
        with pytest.raises(pf.DataError) as info:
            pf.data.load(f"torchvision:{name}", data_dir=str(tmp_path))
        msg = str(info.value)
        assert f"torchvision data set {name} is not in" in msg and str(tmp_path / folder) in msg
        assert "download=True" in msg and "--download" in msg
        assert info.value.__cause__ is None and info.value.__suppress_context__


def test_torchvision_unknown_names() -> None:
    with pytest.raises(pf.DataError, match="unknown torchvision data set 'ImageNet'; known: MNIST"):
        pf.data.load("torchvision:ImageNet")
    with pytest.raises(pf.DataError, match="splits 'train' and 'test', not 'val'"):
        pf.data.load("torchvision:MNIST:val")


def test_npz_source(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    xi = rng.integers(0, 256, (10, 8, 8), dtype=np.uint8)
    np.savez(
        tmp_path / "m.npz",
        x_train=xi,
        y_train=np.arange(10) % 10,
        x_test=xi[:4],
        y_test=np.arange(4),
    )
    (x, y), (xt, yt) = pf.data.load(f"npz:{tmp_path / 'm.npz'}")
    _check_images(x, y, 10, (8, 8, 1))
    xs, ys = pf.data.load("npz:m.npz:test", data_dir=str(tmp_path))
    np.testing.assert_array_equal(xs, xt)
    with pytest.raises(pf.DataError, match="no .npz file at"):
        pf.data.load(f"npz:{tmp_path / 'nothing.npz'}")
    with pytest.raises(pf.DataError, match="names one split, but a train and a test split"):
        pf.data.load_train_test("npz:m.npz:test", data_dir=str(tmp_path))


def test_cli_trains_on_npz_and_reports_missing_data(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from polyframe.backend import list_backends
    from polyframe.cli import main

    if "torch" not in list_backends():
        pytest.skip("the torch backend is not installed")
    (x, y), (xt, yt) = pf.data.load("digits")
    path = tmp_path / "digits.npz"
    np.savez(path, x_train=x, y_train=y, x_test=xt, y_test=yt)
    assert main(["train", "--backend", "torch", "--epochs", "2", "--data", f"npz:{path}"]) == 0
    assert "test accuracy" in capsys.readouterr().out
    code = main(
        ["train", "--backend", "torch", "--data", "torchvision:MNIST", "--data-dir", str(tmp_path)]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "--download" in err[0] and str(tmp_path) in err[0]
