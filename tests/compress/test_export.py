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
