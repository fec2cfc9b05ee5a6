"""The tfds source loads TensorFlow but no torch; the torchvision source and torch.compile
after it in the same process do not crash (polyframe/import_order.py). One fresh process, as a
script would run."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

if not all(importlib.util.find_spec(m) for m in ("tensorflow_datasets", "torchvision")):
    pytest.skip("needs tensorflow-datasets and torchvision installed", allow_module_level=True)

TFDS_THEN_TORCHVISION = """
import json, sys
import polyframe as pf
out = {}
try:
    pf.data.load("tfds:mnist", data_dir=sys.argv[2])  # the source imports tfds + TensorFlow
except pf.DataError as exc:
    out["missing"] = str(exc)
import tensorflow_datasets as tfds
with tfds.testing.mock_data(num_examples=6):
    (x, y), _ = pf.data.load("tfds:mnist")
out["tfds_shape"] = list(x.shape)
out["loaded_after_tfds"] = [m for m in ("torch", "triton", "torchvision") if m in sys.modules]
(x, y), _ = pf.data.load("torchvision:MNIST", root=sys.argv[1])  # loads torch and triton
out["tv_shape"], out["tv_max"], out["tv_labels"] = list(x.shape), float(x.max()), y[:4].tolist()
import torch
a = torch.arange(3.0, requires_grad=True)
s = torch.compile(lambda t: (t * t).sum(), backend="aot_eager")(a)  # see test_import_order.py
s.backward()
out["compiled"], out["grad"] = s.item(), a.grad.tolist()
print(json.dumps(out))
"""


def test_tfds_source_loads_no_torch_then_torchvision_source_works(
    mnist_root: tuple[Path, dict], tmp_path: Path
) -> None:
    root, _ = mnist_root
    proc = subprocess.run(
        [sys.executable, "-c", TFDS_THEN_TORCHVISION, str(root), str(tmp_path / "tfds")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-3000:]}"
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["missing"].startswith("tfds data set 'mnist' is not prepared in")
    assert out["tfds_shape"] == [6, 28, 28, 1]
    assert out["loaded_after_tfds"] == []
    assert out["tv_shape"] == [40, 28, 28, 1] and out["tv_max"] == 1.0
    assert out["tv_labels"] == [0, 1, 2, 3]
    assert out["compiled"] == 5.0 and out["grad"] == [0.0, 2.0, 4.0]
