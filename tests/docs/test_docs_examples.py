"""The README's example and the docs/examples scripts run, on every backend."""

from __future__ import annotations

import re
import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_readme_example_runs(backend: str, capsys: pytest.CaptureFixture) -> None:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Ten lines\n\n(?:<!--.*?-->\n)?```python\n(.*?)```", text, re.S).group(1)
    assert len([line for line in block.splitlines() if line.strip()]) <= 10
    code = block.replace('backend="torch"', f"backend={backend!r}").replace("epochs=10", "epochs=3")
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    result = namespace["trainer"].evaluate(namespace["xt"], namespace["yt"])
    assert result["accuracy"] > 0.8
    assert "accuracy" in capsys.readouterr().out


def test_train_digits_example(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["train_digits.py", "--backend", backend, "--epochs", "3"])
    module = runpy.run_path(str(ROOT / "docs/examples/train_digits.py"))
    result = module["main"](["--backend", backend, "--epochs", "3"])
    assert result["accuracy"] > 0.85
