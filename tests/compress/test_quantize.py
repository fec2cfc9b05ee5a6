"""int8 post-training quantization: every backend's int32 accumulators equal the numpy
oracle's exactly, float outputs agree, checkpoints cross backends, calibration keeps accuracy,
and bad input is named."""

from __future__ import annotations

import json

import numpy as np
import pytest

import polyframe as pf
from tests.compress.helpers import accuracy, cnn_spec, digits, mlp_spec

(X_TRAIN, Y_TRAIN), (X_TEST, Y_TEST) = digits()
X = X_TEST[:64]
_SEQ = np.random.default_rng(0).normal(size=(192, 16, 4)).astype(np.float32)


def _conv1d_spec() -> pf.Sequential:
    L = pf.layers
    return pf.Sequential(
        [L.Input((16, 4)), L.Conv1D(8, 3, padding="same", activation="relu"),
         L.Conv1D(8, 3, strides=2), L.Flatten(), L.Dense(10)]
    )  # fmt: skip


SPECS = {"mlp": mlp_spec, "cnn": cnn_spec, "conv1d": _conv1d_spec}


def _inputs(model: str) -> tuple[np.ndarray, np.ndarray]:
    """(calibration, evaluation) inputs of the right shape for ``model``."""
    return (_SEQ[:128], _SEQ[128:]) if model == "conv1d" else (X_TRAIN[:128], X)


def _quantized(backend: str, model: str, scheme: str) -> pf.compress.QuantizedModel:
    m = pf.build(SPECS[model](), backend, seed=3)
    return pf.compress.quantize(m, scheme, calibration=_inputs(model)[0])


@pytest.mark.parametrize("scheme", ["int8_dynamic", "int8_static"])
@pytest.mark.parametrize("model", ["mlp", "cnn", "conv1d"])
def test_int32_accumulators_equal_oracle(backend: str, model: str, scheme: str) -> None:
    q = _quantized(backend, model, scheme)
    X = _inputs(model)[1]
    expected: dict[str, np.ndarray] = {}
    ref = q.reference(X, expected)
    got = q.accumulators(X)
    assert sorted(got) == sorted(expected) and len(got) == (2 if model == "mlp" else 3)
    for name, acc in expected.items():
        assert got[name].dtype == np.int32 and got[name].shape == acc.shape
        np.testing.assert_array_equal(got[name], acc, err_msg=name)
    out = q(X)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5 * np.abs(ref).max())
    # exact layers between the int8 ones (ReLU, pooling, Flatten): the outputs match bitwise
    np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_int8_weight_only_matches_oracle(backend: str, model: str) -> None:
    q = _quantized(backend, model, "int8_weight")
    ref = q.reference(X)
    assert q.accumulators(X) == {}
    np.testing.assert_allclose(q(X), ref, rtol=1e-5, atol=1e-5 * np.abs(ref).max())
    kernel = q.tensors["dense_0.kernel" if model == "mlp" else "conv2d_0.kernel"]
    assert kernel.dtype == np.int8 and np.abs(kernel).max() == 127


@pytest.mark.parametrize("scheme", ["int8_weight", "int8_dynamic", "int8_static"])
def test_quantized_checkpoint_runs_on_other_backend(
    tmp_path, saver: str, loader: str, scheme: str
) -> None:
    q = _quantized(saver, "cnn", scheme)
    path = q.save(tmp_path / "q")
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["quantization"]["scheme"] == scheme
    assert manifest["quantization"]["layers"] == ["conv2d_0", "conv2d_1", "dense_0"]
    q2 = pf.compress.load_quantized(path, backend=loader)
    assert q2.backend == loader and q2.tensors["conv2d_1.kernel"].dtype == np.int8
    assert q2.tensors["conv2d_1.kernel_scale"].dtype == np.float32
    for name, acc in q.accumulators(X).items():
        np.testing.assert_array_equal(q2.accumulators(X)[name], acc, err_msg=name)
    np.testing.assert_allclose(q2(X), q(X), rtol=1e-5, atol=1e-6)
    with pytest.raises(pf.CheckpointError, match=rf"int8 model \({scheme}\); load it with"):
        pf.checkpoint.load(path, backend=loader)


@pytest.mark.parametrize("method", ["minmax", "percentile"])
def test_static_int8_accuracy_close_to_float(backend: str, method: str, trained) -> None:
    m = trained(backend, "mlp")
    float_acc = accuracy(m(X_TEST), Y_TEST)
    loader = pf.data.Loader(X_TRAIN[:512], Y_TRAIN[:512], batch_size=128, shuffle=False)
    q = pf.compress.quantize(m, "int8_static", calibration=loader, method=method)
    assert float_acc > 90
    assert abs(accuracy(q(X_TEST), Y_TEST) - float_acc) <= 0.5
    expected: dict[str, np.ndarray] = {}
    q.reference(X_TEST, expected)  # trained weights: still bit for bit
    for name, acc in q.accumulators(X_TEST).items():
        np.testing.assert_array_equal(acc, expected[name], err_msg=name)
    assert q.info["method"] == method


def test_layer_without_int8_path_is_named(backend: str) -> None:
    spec = pf.Sequential(
        [pf.layers.Input((8, 8, 1)), pf.layers.Flatten(), pf.layers.Dense(16),
         pf.layers.LayerNorm(), pf.layers.Dense(10)]
    )  # fmt: skip
    m = pf.build(spec, backend)
    with pytest.raises(pf.ConfigError) as err:
        pf.compress.quantize(m, "int8_dynamic", layers=["dense_0", "layer_norm_0"])
    msg = str(err.value)
    assert "'layer_norm_0'" in msg and "'LayerNorm'" in msg
    assert "Dense, Conv2D, Conv1D" in msg
    q = pf.compress.quantize(m, "int8_dynamic")  # default: the layers that have a path
    assert q.int8_layers == ("dense_0", "dense_1")


def test_calibration_of_wrong_shape_names_both_shapes(backend: str) -> None:
    m = pf.build(mlp_spec(), backend)
    with pytest.raises(pf.DataError) as err:
        pf.compress.quantize(m, "int8_static", calibration=np.zeros((5, 64), np.float32))
    msg = str(err.value)
    assert "calibration data" in msg and "(5, 64)" in msg and "(batch, 8, 8, 1)" in msg
    with pytest.raises(pf.ConfigError, match="needs calibration"):
        pf.compress.quantize(m, "int8_static")
    with pytest.raises(pf.ConfigError, match="unknown quantization scheme 'int4'"):
        pf.compress.quantize(m, "int4")
