"""The text and speech examples: the spec files run through `polyframe train` with source
options in --data (tiny generated data), the shared real data reads as its README says, and
the committed recorded results meet the targets with identical metrics on every backend."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import polyframe as pf
from polyframe.data.shared import shared_data_dir

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "docs" / "examples" / "results"
BACKENDS = ("torch", "tensorflow", "jax")


def test_options_in_the_name(tmp_path: Path) -> None:
    pytest.importorskip("tokenizers", reason="tokenizing needs tokenizers (polyframe[text])")
    path = tmp_path / "t.tsv"
    path.write_text(
        "label\ttext\n" + "".join(f"{'ab'[i % 2]}\tword{i} and more\n" for i in range(10))
    )
    tok = tmp_path / "tok.json"
    (x, y), (xt, _) = pf.data.load(
        f"tsv:{path}?labels=b,a&seq_len=6&vocab_size=300&tokenizer={tok}"
    )
    assert x.shape == (8, 6) and x.dtype == np.int32 and xt.shape == (2, 6) and tok.is_file()
    texts, labels = pf.data.load(f"tsv:{path}?labels=b,a&split=train")
    odd = np.array([int(t.split()[0][4:]) % 2 for t in texts])  # rows labelled 'b'
    assert labels.tolist() == (1 - odd).tolist() and y.dtype == np.int64  # 'b' is id 0
    with pytest.raises(pf.errors.DataError, match="bad option 'seq_len' in"):
        pf.data.load(f"tsv:{path}?seq_len")


def test_spoken_digits_spec_trains_through_the_cli(tmp_path: Path) -> None:
    from polyframe.backend import backend_status
    from polyframe.data.audio import write_wav

    pytest.importorskip("scipy", reason="the audio sources need scipy (polyframe[audio])")
    if not backend_status("torch")[0]:
        pytest.skip("the torch backend is not usable here")

    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for digit in range(10):
            (tmp_path / split / str(digit)).mkdir(parents=True)
            write_wav(tmp_path / split / str(digit) / "a.wav", 0.1 * rng.normal(size=3000), 8000)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "polyframe.cli",
            "train",
            str(ROOT / "docs/examples/spoken_digits.yaml"),
            "--backend",
            "torch",
            "--epochs",
            "1",
            "--batch-size",
            "10",
            "--data",
            f"audiodir:{tmp_path}?length=8000&sample_rate=8000",
            "--json",
            str(tmp_path / "r.json"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ),
    )
    assert out.returncode == 0, out.stderr[-2000:]
    run = json.loads((tmp_path / "r.json").read_text())["runs"][0]
    assert run["backend"] == "torch" and 0.0 <= run["test_accuracy"] <= 1.0 and run["epochs"] == 1


def _shared() -> Path:
    base = shared_data_dir()
    if base is None:
        pytest.skip(
            "shared data absent: set POLYFRAME_SHARED_DATA or put it in <repo>/../shared/data"
        )
    return base


def test_shared_real_data_reads_as_documented() -> None:
    base = _shared()
    (x, y), (xt, yt) = pf.data.load(f"tsv:{base}/sms_spam/train.tsv", labels=("ham", "spam"))
    assert len(x) + len(xt) == 3901 and len(xt) == 780
    assert 0.12 < float(np.concatenate([y, yt]).mean()) < 0.14  # about 13% spam
    test_clips, test_labels = pf.data.load(f"audiodir:{base}/fsdd", length=8000, split="test")
    assert test_clips.shape == (200, 8000) and np.bincount(test_labels).tolist() == [20] * 10


@pytest.mark.parametrize(
    "example, metric, target", [("sms_spam", "f1", 0.92), ("spoken_digits", "accuracy", 0.95)]
)
def test_recorded_results_meet_targets_on_every_backend(
    example: str, metric: str, target: float
) -> None:
    records = {b: json.loads((RESULTS / f"{example}_{b}.json").read_text()) for b in BACKENDS}
    for b, r in records.items():
        assert r["backend"] == b and r["command"].startswith(
            f"python docs/examples/{example}.py --backend {b}"
        )
        assert r[metric] >= target, (b, r[metric])
    keys = [k for k in records["torch"] if k not in ("backend", "seconds", "command")]
    for b in BACKENDS[1:]:
        assert {k: records[b][k] for k in keys} == {k: records["torch"][k] for k in keys}, b
