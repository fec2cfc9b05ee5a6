"""``polyframe import-native`` / ``polyframe diff`` on the docs' native torch CNN (in-process
``main``, so one interpreter serves every command); docs/porting.md's code runs in
tests/docs/test_doc_blocks.py."""

from __future__ import annotations

from pathlib import Path

import pytest

import polyframe as pf
from polyframe.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs/examples/native_cnn.py"


def test_cli_import_native_then_diff_the_checkpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    pytest.importorskip("torch")
    from tests.conftest import BACKENDS

    code = main(
        [
            "import-native", f"{EXAMPLE}:make", "--spec", str(tmp_path / "cnn.yaml"),
            "--checkpoint", str(tmp_path / "ck"), "--backends", ",".join(BACKENDS),
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.splitlines()[0] == "captured 10 layers, 8 tensors"
    lines = [line for line in out.splitlines() if "max |diff|" in line]
    assert [line.split(":")[0] for line in lines] == ["reference", *BACKENDS]
    assert max(float(line.split()[-1]) for line in lines) <= 1e-5
    spec = pf.load_spec(tmp_path / "cnn.yaml")
    assert [n.layer.kind for n in spec.nodes][:4] == ["Conv2D", "Activation", "Conv2D", "Add"]
    if len(BACKENDS) < 2:
        return
    code = main(["diff", str(tmp_path / "ck"), "--backends", ",".join(BACKENDS)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"every layer within tolerance on {', '.join(BACKENDS)}" in out
    lines = out.splitlines()
    rows = lines[1 : next(i for i, line in enumerate(lines) if line.startswith("loss:"))]
    assert [r.split()[0] for r in rows][:4] == ["conv1", "activation_0", "conv2", "add_0"]
    assert len(rows) == 10 and not any("!" in r for r in rows)


def test_cli_diff_of_a_native_model(capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("torch")
    from tests.conftest import BACKENDS

    if len(BACKENDS) < 2:
        pytest.skip(f"diff needs two backends; usable here: {BACKENDS}")
    code = main(
        ["diff", f"{EXAMPLE}:make", "--backends", ",".join(BACKENDS), "--optimizer", "adam"]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "fc1" in out and "every layer within tolerance" in out


def test_cli_import_native_uncovered_module_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    pytest.importorskip("torch")
    source = tmp_path / "bad.py"
    source.write_text(
        "import torch\n\ndef make():\n"
        "    return torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.ELU()), torch.randn(2, 4)\n"
    )
    assert main(["import-native", f"{source}:make"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(
        "polyframe: error: Sequential.forward, node '_1' (module '1'): torch module '1' (ELU) "
        "is not covered"
    )


def test_cli_convert_needs_flatten_order_only_when_ambiguous(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    torch = pytest.importorskip("torch")
    L = pf.layers
    pf.Sequential([L.Input((2, 2, 3)), L.Flatten(), L.Dense(4)]).to_yaml(str(tmp_path / "s.yaml"))
    torch.save(torch.nn.Linear(12, 4).state_dict(), tmp_path / "net.pt")
    run = [
        "convert",
        str(tmp_path / "net.pt"),
        str(tmp_path / "ck"),
        "--spec",
        str(tmp_path / "s.yaml"),
    ]
    assert main(run) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].endswith("(polyframe convert: --flatten-order)")
    assert main([*run, "--flatten-order", "chw"]) == 0
    assert "wrote" in capsys.readouterr().out
    assert pf.checkpoint.load_params(tmp_path / "ck")["dense_0.kernel"].shape == (12, 4)
