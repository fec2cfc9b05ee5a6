"""``pf.diff`` / ``polyframe diff``: one backend's lowering perturbed at one layer is named
first; a correct model reports every layer within tolerance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import polyframe as pf
from polyframe.cli import main

L = pf.layers
SPEC = pf.Sequential(
    [
        L.Input((6, 6, 2)),
        L.Conv2D(3, 3, activation="relu"),
        L.BatchNorm(),
        L.Flatten(),
        L.Dense(8, activation="tanh"),
        L.Dense(6, activation="relu"),
        L.Dense(4),
    ]
)
X = np.random.default_rng(0).normal(size=(4, 6, 6, 2)).astype(np.float32)
Y = np.array([0, 1, 2, 3])


def _perturb(monkeypatch: pytest.MonkeyPatch, backend: str, param: str, by: float) -> None:
    """Make ``backend``'s lowering load ``param`` off by ``by`` (every other backend exact)."""
    be = pf.get_backend(backend)
    original = type(be).lower

    def lower(self: Any, spec: Any, params: dict, dtype: str = "float32") -> Any:
        if param in params:
            params = {**params, param: params[param] + np.float32(by)}
        return original(self, spec, params, dtype)

    monkeypatch.setattr(type(be), "lower", lower)


def test_a_perturbed_lowering_is_named_first(
    backend: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    """``polyframe diff`` (in-process, so the test's perturbation applies) on a spec whose
    ``dense_1`` is lowered 1e-3 off on one backend."""
    _perturb(monkeypatch, backend, "dense_1.bias", 1e-3)
    np.savez(tmp_path / "b.npz", x=X, y=Y)
    SPEC.to_yaml(str(tmp_path / "spec.yaml"))
    from tests.conftest import BACKENDS

    if len(BACKENDS) < 2:
        pytest.skip(f"diff needs two backends; usable here: {BACKENDS}")
    spec_file, batch = str(tmp_path / "spec.yaml"), str(tmp_path / "b.npz")
    code = main(["diff", spec_file, "--data", batch, "--backends", ",".join(BACKENDS)])
    out = capsys.readouterr().out
    print(out)
    assert code == 1
    assert f"first exceeded: 'dense_1' (activation) on {backend}" in out
    assert "largest jump: at 'dense_1'" in out
    rows = {line.split()[0]: line for line in out.splitlines()[1:7]}
    assert "!" not in rows["conv2d_0"] + rows["batch_norm_0"] + rows["dense_0"]
    assert "!" in rows["dense_1"]


def test_a_correct_model_is_within_tolerance_everywhere() -> None:
    from tests.conftest import BACKENDS

    if len(BACKENDS) < 2:
        pytest.skip(f"diff needs two backends; usable here: {BACKENDS}")
    report = pf.diff(SPEC, backends=BACKENDS, data=(X, Y), optimizer="sgd", lr=0.1)
    print(report.summary())
    assert report.first is None and report.ok
    assert [r.name for r in report.layers] == [n.name for n in SPEC.nodes]
    for row in report.layers:
        assert max(row.activation.values()) <= 1e-5
        if row.gradient is not None:
            assert max(row.gradient.values()) <= 1e-5
            assert max(row.gradient_oracle.values()) <= 1e-5
            assert max(row.update.values()) <= 1e-6
    assert not report.grows
    assert "every layer within tolerance" in report.summary()


def test_an_oracle_mismatch_in_gradients_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """A backend whose forward agrees but whose gradient is off (scaled) is flagged by the
    gradient check, with the activations all within tolerance."""
    from tests.conftest import BACKENDS

    if len(BACKENDS) < 3:  # 2: the median of both is halfway, and both are flagged
        pytest.skip(f"singling out one backend takes three; usable here: {BACKENDS}")
    be = pf.get_backend(BACKENDS[0])
    original = type(be).gradients

    def gradients(self: Any, native: Any, x: Any, cot: Any, names: tuple) -> Any:
        dx, grads = original(self, native, x, cot, names)
        return dx, {**grads, "dense_0.kernel": grads["dense_0.kernel"] * 1.01}

    monkeypatch.setattr(type(be), "gradients", gradients)
    report = pf.diff(SPEC, backends=BACKENDS, data=(X, Y))
    assert report.first == ("dense_0", "gradient", (BACKENDS[0],))
