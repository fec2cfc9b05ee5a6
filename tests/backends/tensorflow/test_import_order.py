"""A TensorFlow process loads no torch; torch, torch.compile and torchvision after TensorFlow
do not crash (polyframe/import_order.py): one fresh process, as a user's script would run."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

from polyframe.errors import DataError
from polyframe.import_order import (
    GUARD_ENV,
    TritonAfterTensorFlowFinder,
    check_torchvision_importable,
)

if not all(importlib.util.find_spec(m) for m in ("tensorflow", "torchvision")):
    pytest.skip("needs TensorFlow, torch and torchvision installed", allow_module_level=True)

TF_THEN_TORCH = """
import json, sys
import polyframe as pf
(x, y), _ = pf.data.load("digits")

def first_loss(backend):
    model = pf.build(pf.models.mlp(), backend=backend, seed=0)
    trainer = pf.Trainer(model, optimizer=pf.optim.Adam(1e-3), loss="cross_entropy", metrics=())
    return trainer.fit(x[:32], y[:32], batch_size=32, shuffle=False).history["loss"][0]

out = {"tf_loss": first_loss("tensorflow")}
out["loaded_after_tf"] = [m for m in ("torch", "triton", "torchvision") if m in sys.modules]
out["torch_loss"] = first_loss("torch")  # torch.optim loads torch._dynamo, which loads triton
import torch
a = torch.arange(4.0, requires_grad=True)
# aot_eager: dynamo and AOT autograd, the path that loads triton, without the C++ build of
# inductor (~35 s cold here); inductor after TensorFlow was checked by hand the same way.
s = torch.compile(lambda t: (t * t).sum(), backend="aot_eager")(a)
s.backward()
out["compiled"], out["grad"] = s.item(), a.grad.tolist()
import torchvision.transforms.v2.functional as F
out["flip"] = F.horizontal_flip(torch.arange(6.0).reshape(1, 2, 3)).tolist()
print(json.dumps(out))
"""


def test_tensorflow_first_loads_no_torch_then_torch_compile_and_torchvision_work() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", TF_THEN_TORCH], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-3000:]}"
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["loaded_after_tf"] == []
    assert out["torch_loss"] == pytest.approx(out["tf_loss"], abs=1e-5)  # same initial weights
    assert out["compiled"] == 14.0 and out["grad"] == [0.0, 2.0, 4.0, 6.0]
    assert out["flip"] == [[[2.0, 1.0, 0.0], [5.0, 4.0, 3.0]]]


def test_guard_turned_off_gives_one_line_instead_of_a_crash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(GUARD_ENV, "0")
    monkeypatch.setattr(
        sys,
        "meta_path",
        [f for f in sys.meta_path if not isinstance(f, TritonAfterTensorFlowFinder)],
    )
    if "tensorflow" not in sys.modules:
        monkeypatch.setitem(sys.modules, "tensorflow", type(sys)("tensorflow"))
    for name in ("triton", "torchvision"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    with pytest.raises(DataError) as info:
        check_torchvision_importable()
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith("TensorFlow is already imported, and loading torchvision now")
    assert "import torchvision (or triton) before tensorflow" in msg
