"""Exported int8 ONNX (QDQ) runs in onnxruntime alone and matches the numpy oracle."""

from __future__ import annotations

import numpy as np
import pytest

import polyframe as pf
from tests.compress.helpers import cnn_spec, digits, mlp_spec
from tests.conftest import BACKENDS

ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed ([onnx] extra)")
(X_TRAIN, _), (X_TEST, _) = digits()


@pytest.mark.parametrize("scheme", ["int8_weight", "int8_dynamic", "int8_static"])
@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_onnx_qdq_matches_oracle(tmp_path, model: str, scheme: str) -> None:
    spec = mlp_spec(64) if model == "mlp" else cnn_spec(8)
    m = pf.build(spec, BACKENDS[0], seed=3)
    q = pf.compress.quantize(m, scheme, calibration=X_TRAIN[:128])
    path = q.export_onnx(tmp_path / "q.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"x": X_TEST})[0]
    ref = q.reference(X_TEST)
    assert got.shape == ref.shape == (len(X_TEST), 10)
    rel = np.abs(got - ref).max() / np.abs(ref).max()
    if scheme == "int8_weight":
        # onnxruntime rewrites DequantizeLinear(int8 kernel) + MatMul into MatMulNBits, which
        # also quantizes the activations: quantization-level differences, not float ones
        assert rel < 2e-2
        assert (got.argmax(1) == ref.argmax(1)).mean() >= 0.98
    else:  # the same int8 arithmetic: only float rounding in the rescale differs
        assert rel < 1e-4
        assert (got.argmax(1) == ref.argmax(1)).mean() == 1.0


@pytest.mark.skipif("tensorflow" not in BACKENDS, reason="TensorFlow is not installed")
@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_tflite_int8_matches_oracle(tmp_path, model: str, trained) -> None:
    import tensorflow as tf

    m = trained("tensorflow", model)
    q = pf.compress.quantize(m, "int8_static", calibration=X_TRAIN[:256])
    path = q.export_tflite(tmp_path / "q.tflite", X_TRAIN[:256])
    interpreter = tf.lite.Interpreter(model_path=str(path))
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    kinds = {d["dtype"] for d in interpreter.get_tensor_details()}
    assert np.int8 in kinds  # integer kernels inside, float32 at the edges
    interpreter.resize_tensor_input(inp["index"], [len(X_TEST), *X_TEST.shape[1:]])
    interpreter.allocate_tensors()
    interpreter.set_tensor(inp["index"], X_TEST)
    interpreter.invoke()
    got = interpreter.get_tensor(out["index"])
    ref = q.reference(X_TEST)
    rel = np.abs(got - ref).max() / np.abs(ref).max()
    assert rel < 0.1
    assert (got.argmax(1) == ref.argmax(1)).mean() >= 0.98


@pytest.mark.skipif("jax" not in BACKENDS, reason="JAX is not installed")
@pytest.mark.parametrize("scheme", ["int8_dynamic", "int8_static"])
def test_jax_export_of_int8_forward_is_bit_exact(tmp_path, scheme: str) -> None:
    from jax import export

    m = pf.build(cnn_spec(8), "jax", seed=3)
    q = pf.compress.quantize(m, scheme, calibration=X_TRAIN[:128])
    path = q.export_native(tmp_path / "q.jax_export")
    restored = export.deserialize(bytearray(path.read_bytes()))
    got = np.asarray(restored.call(X_TEST[:100]))
    np.testing.assert_array_equal(got, q.reference(X_TEST[:100]))
    assert "i8" in restored.mlir_module()  # int8 constants and integer ops in the program


@pytest.mark.skipif("torch" not in BACKENDS, reason="torch is not installed")
def test_torch_export_of_int8_forward_is_bit_exact(tmp_path) -> None:
    import torch

    m = pf.build(cnn_spec(8), "torch", seed=3)
    q = pf.compress.quantize(m, "int8_static", calibration=X_TRAIN[:128])
    path = q.export_native(tmp_path / "q.pt2")
    program = torch.export.load(str(path))
    ops = {str(n.target) for n in program.graph.nodes}
    assert "aten._int_mm.default" in ops
    got = program.module()(torch.from_numpy(X_TEST[:100])).numpy()
    np.testing.assert_array_equal(got, q.reference(X_TEST[:100]))


@pytest.mark.skipif("tensorflow" not in BACKENDS, reason="TensorFlow is not installed")
def test_tensorflow_native_export_points_to_tflite(tmp_path) -> None:
    q = pf.compress.quantize(pf.build(mlp_spec(16), "tensorflow"), "int8_dynamic")
    with pytest.raises(pf.BackendError, match="cannot export an int8 model natively; use"):
        q.export_native(tmp_path / "x")
