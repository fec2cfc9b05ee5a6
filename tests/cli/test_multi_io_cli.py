"""`polyframe train` on a two-input, two-output Graph: a spec file whose `imports:` names a
plug-in (a user layer in the shared encoder), named npz arrays (x_train.<input>,
y_train.<output>, ...), per-output losses and weights on the command line; the logged
per-output losses equal an in-process Trainer run's."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

import polyframe as pf
from polyframe.plugins import load_plugin

from .test_cli import polyframe

EXAMPLE = Path(__file__).resolve().parents[2] / "docs/examples/custom_layer.py"


def _spec(ex) -> pf.Graph:
    L = pf.layers
    xa, xb = L.Input((6,), name="x_a"), L.Input((6,), name="x_b")
    dense, swish = L.Dense(8, name="enc"), ex.LearnableSwish(name="swish")
    h = L.Concatenate(name="cat")([swish(dense(xa)), swish(dense(xb))])
    return pf.Graph([xa, xb], [L.Dense(3, name="cls")(h), L.Dense(2, name="reg")(h)])


def _data(n: int, seed: int) -> tuple[dict, dict]:
    rng = np.random.default_rng(seed)
    xa, xb = (rng.normal(size=(n, 6)).astype(np.float32) for _ in range(2))
    y_cls = np.argmax(xa[:, :3] + xb[:, :3], axis=1).astype(np.int64)
    y_reg = np.stack([xa[:, 0] - xb[:, 1], np.tanh(xa[:, 2])], axis=1).astype(np.float32)
    return {"x_a": xa, "x_b": xb}, {"cls": y_cls, "reg": y_reg}


def test_train_two_heads_from_a_spec_file_with_a_plugin(tmp_path: Path) -> None:
    backend = pf.backend.default_backend()
    ex = load_plugin(str(EXAMPLE))
    spec = _spec(ex)
    path = tmp_path / "two_heads.yaml"
    spec.to_yaml(path)
    relative = os.path.relpath(EXAMPLE, tmp_path)  # .py imports are relative to the file
    path.write_text(f"imports: [{relative}]\n" + path.read_text())
    (x, y), (xt, yt) = _data(64, 1), _data(32, 2)
    arrays = {f"x_train.{k}": v for k, v in x.items()} | {f"y_train.{k}": v for k, v in y.items()}
    arrays |= {f"x_test.{k}": v for k, v in xt.items()} | {f"y_test.{k}": v for k, v in yt.items()}
    np.savez(tmp_path / "two_heads.npz", **arrays)
    out = polyframe(
        "train", str(path), "--data", f"npz:{tmp_path / 'two_heads.npz'}",
        "--loss", "cls=cross_entropy,reg=mse", "--loss-weights", "cls=1,reg=0.5",
        "--backend", backend, "--epochs", "2", "--json", str(tmp_path / "run.json"),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    history = json.loads((tmp_path / "run.json").read_text())["runs"][0]["history"]
    keys = ("loss", "cls_loss", "reg_loss", "cls_accuracy", "val_loss", "val_cls_loss")
    assert all(len(history[k]) == 2 for k in keys), sorted(history)
    # the same run in process: the recipe's defaults (Adam 2e-3, batch 32, seed 0)
    trainer = pf.Trainer(
        pf.build(spec, backend=backend, seed=0),
        optimizer=pf.optim.Adam(2e-3),
        loss={"cls": "cross_entropy", "reg": "mse"},
        loss_weights={"cls": 1.0, "reg": 0.5},
    )
    want = trainer.fit(x, y, batch_size=32, epochs=2, seed=0, validation_data=(xt, yt)).history
    for k in keys:
        np.testing.assert_allclose(history[k], want[k], rtol=1e-6, err_msg=k)
    total = np.array(history["val_cls_loss"]) + 0.5 * np.array(history["val_reg_loss"])
    np.testing.assert_allclose(history["val_loss"], total, rtol=1e-6)
