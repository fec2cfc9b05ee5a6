"""Weight quantization-aware training (straight-through estimator) as a callback: the same
100-step loss trajectory on every backend, kernels on the int8 grid during training."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import polyframe as pf
from polyframe.compress.qat import fake_quant
from tests.compress.helpers import digits, mlp_spec
from tests.conftest import BACKENDS

(X_TRAIN, Y_TRAIN), (X_TEST, Y_TEST) = digits()
_RUNS: dict[str, dict[str, Any]] = {}


class _Losses(pf.callbacks.Callback):
    wants_batch_logs = True

    def __init__(self, qat: Any) -> None:
        self.losses: list[float] = []
        self.qat, self.seen = qat, {}

    def on_train_batch_end(self, step: int, logs: Any = None) -> None:
        self.losses.append(float(logs["loss"]))
        if step == 50:  # what the next step computes with: the fake-quantized kernels
            self.trainer.steps.sync()
            kernel = self.trainer.model.params()["dense_0.kernel"]
            self.seen = {"module": kernel, "master": self.qat.master["dense_0.kernel"].copy()}


def _run(backend: str) -> dict[str, Any]:
    """100 Adam steps (batch 32 on 3,200 = 2.2 epochs of the digits train split) with QAT."""
    if backend not in _RUNS:
        model = pf.build(mlp_spec(32), backend, seed=0)
        qat = pf.compress.QuantizationAware()
        losses = _Losses(qat)
        trainer = pf.Trainer(
            model, pf.optim.Adam(lr=1e-3), compile=False if backend == "torch" else None
        )
        x, y = X_TRAIN[:1280], Y_TRAIN[:1280]  # 40 steps an epoch
        trainer.fit(x, y, batch_size=32, epochs=3, seed=0, callbacks=[qat, losses])
        _RUNS[backend] = {
            "model": model, "qat": qat, "losses": np.array(losses.losses[:100]),
            "seen": losses.seen,
        }  # fmt: skip
    return _RUNS[backend]


def test_qat_trajectory_agrees_across_backends(backend: str) -> None:
    run = _run(backend)
    assert run["losses"].shape == (100,)
    seen = run["seen"]
    np.testing.assert_array_equal(seen["module"], fake_quant(seen["master"]))
    assert not np.array_equal(seen["module"], seen["master"])
    assert run["losses"][-1] < 0.8 * run["losses"][0]  # it learns
    others = [b for b in BACKENDS if b != backend]
    if not others:
        pytest.skip("only one backend is installed: nothing to compare the trajectory with")
    ref = _run("torch" if backend != "torch" else others[0])
    np.testing.assert_allclose(run["losses"], ref["losses"], rtol=1e-4)
    # after fit the module holds the float master kernels; the int8 model quantizes them
    params = run["model"].params()
    for key, w in run["qat"].master.items():
        np.testing.assert_array_equal(params[key], w)
    q = pf.compress.quantize(run["model"], "int8_dynamic")
    deq = q.tensors["dense_0.kernel"].astype(np.float32) * q.tensors["dense_0.kernel_scale"]
    np.testing.assert_array_equal(deq, fake_quant(params["dense_0.kernel"]))
