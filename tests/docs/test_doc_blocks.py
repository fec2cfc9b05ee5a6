"""Every fenced ``python`` and ``bash`` block of README.md and docs/**/*.md runs, with tiny
epochs (tests/docs/doc_blocks.py parses them; docs/contributing.md documents the markers).

- Python: one test case per doc file; its blocks run in order in one namespace, in-process,
  after a prelude (PRELUDE below: the digits split, the zoo mlp spec, a model on the file's
  backend — torch, or <name> for docs/backends/<name>.md — and a Trainer).
- Bash: one test case per doc file; ``polyframe ...`` and ``python ...`` commands run as
  subprocesses of this interpreter.
- Blocks and commands marked ``<!-- doc-test: skip (reason) -->`` are reported as skipped with
  that reason, one test case each.
Everything runs in a temporary directory holding a ``docs`` link to the repository's docs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import BACKENDS
from tests.docs.doc_blocks import ROOT, Block, bash_commands, blocks, command_argv, doc_files, tiny

PRELUDE = """
import numpy as np
import polyframe as pf
(x, y), (xt, yt) = pf.data.load("digits")
x, y, xv, yv = x[:-200], y[:-200], x[-200:], y[-200:]
spec = pf.models.mlp()
model = pf.build(spec, backend=BACKEND, seed=0)
trainer = pf.Trainer(model, optimizer=pf.optim.Adam(1e-3), loss="cross_entropy",
                     metrics=["accuracy"])
texts = train_texts = ["win a free prize now", "see you at lunch", "call me later"]
"""
ALL_BACKENDS = ("torch", "tensorflow", "jax")
OWN_PACKAGES = {"polyframe", *(f"polyframe_{name}" for name in ALL_BACKENDS)}


def _check_porting(out: str, namespace: dict) -> None:
    diffs = [float(v) for v in re.findall(r"max \|diff\| ([0-9.e+-]+)", out)]
    assert len(diffs) == 12  # reference + 3 backends, for torch, Keras and Flax
    assert max(diffs) <= 1e-5
    assert "every layer within tolerance on torch, tensorflow, jax" in out


def _check_readme(out: str, namespace: dict) -> None:
    result = namespace["trainer"].evaluate(namespace["xt"], namespace["yt"])
    assert set(result) == {"loss", "accuracy"} and 0.0 <= result["accuracy"] <= 1.0
    assert "accuracy" in out


# What a doc's python blocks must have printed or left behind, beyond running without an error.
CHECKS: dict[str, Callable[[str, dict], None]] = {
    "docs/porting.md": _check_porting,
    "README.md": _check_readme,
}


def _file_backend(path: str) -> str:
    match = re.fullmatch(r"docs/backends/(\w+)\.md", path)
    return match.group(1) if match else "torch"


def _cases(lang: str) -> list[str]:
    return [
        path
        for path in doc_files()
        if any(
            b.lang == lang
            and not (b.skip and not b.skip_commands)
            and (lang == "python" or _run_commands(b))
            for b in blocks(path)
        )
    ]


def _run_commands(block: Block) -> list[str]:
    return [
        c
        for i, c in enumerate(bash_commands(block.code), 1)
        if not (block.skip and (not block.skip_commands or i in block.skip_commands))
    ]


def _skipped() -> list[pytest.ParameterSet]:
    params = []
    for path in doc_files():
        for block in blocks(path):
            if not block.skip:
                continue
            if block.skip_commands:
                commands = bash_commands(block.code)
                for i in block.skip_commands:
                    params.append(
                        pytest.param(
                            commands[i - 1],
                            id=f"{block.where}#{i}",
                            marks=pytest.mark.skip(reason=f"{block.where}#{i}: {block.skip}"),
                        )
                    )
            else:
                params.append(
                    pytest.param(
                        block.code,
                        id=block.where,
                        marks=pytest.mark.skip(reason=f"{block.where}: {block.skip}"),
                    )
                )
    return params


@pytest.fixture
def doc_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary working directory with ``docs`` linking to the repository's docs and the
    ``model.yaml`` the commands name (the zoo mlp)."""
    import polyframe as pf

    (tmp_path / "docs").symlink_to(ROOT / "docs", target_is_directory=True)
    pf.models.mlp().to_yaml(str(tmp_path / "model.yaml"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def registries() -> Iterator[None]:
    """The doc runs with polyframe's own layers, lowerings, references, losses and metrics
    only; what it registers is forgotten after it and what tests had registered comes back, so
    two docs (or a doc and a test) may register the same name."""
    from polyframe import backend, losses, metrics
    from polyframe.reference import registry
    from polyframe.spec import layer

    tables = [  # (table, the registered object's origin)
        (layer._LAYERS, lambda k, v: v),
        (backend._LOWERINGS, lambda k, v: k[1]),
        (registry._REFERENCES, lambda k, v: k),
        (losses._CUSTOM, lambda k, v: v.fn),
        (metrics._CUSTOM, lambda k, v: v.update),
    ]

    def drop_foreign() -> list[dict]:
        removed = []
        for table, origin in tables:
            foreign = {
                k: v
                for k, v in table.items()
                if getattr(origin(k, v), "__module__", "").split(".")[0] not in OWN_PACKAGES
            }
            for k in foreign:
                del table[k]
            removed.append(foreign)
        return removed

    saved = drop_foreign()
    yield
    drop_foreign()
    for (table, _), before in zip(tables, saved, strict=True):
        table.update(before)


def _module_namespace(monkeypatch: pytest.MonkeyPatch) -> dict:
    """A fresh module's namespace, in sys.modules while the test runs (dataclasses need it)."""
    module = types.ModuleType("doc_test_namespace")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return module.__dict__


def _need_backends(path: str) -> None:
    missing = [b for b in ALL_BACKENDS if b not in BACKENDS]
    if missing:  # the docs use every backend, and the file's own one most of all
        pytest.skip(f"{path}: the docs' code needs every backend; not usable here: {missing}")


@pytest.mark.parametrize("path", _cases("python"))
def test_doc_python_blocks_run(
    path: str,
    doc_dir: Path,
    registries: None,
    capsys: pytest.CaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _need_backends(path)
    namespace = _module_namespace(monkeypatch)
    namespace["BACKEND"] = _file_backend(path)
    exec(compile(PRELUDE, f"{path}[prelude]", "exec"), namespace)  # noqa: S102 - our own code
    ran = 0
    for block in blocks(path):
        if block.lang != "python" or block.skip:
            continue
        if block.fresh:
            namespace = _module_namespace(monkeypatch)
        code = compile(tiny(block.code), block.where, "exec")
        exec(code, namespace)  # noqa: S102 - our own docs
        ran += 1
    assert ran >= 1
    check = CHECKS.get(path)
    if check is not None:
        check(capsys.readouterr().out, namespace)


@pytest.mark.parametrize("path", _cases("bash"))
def test_doc_bash_commands_run(path: str, doc_dir: Path) -> None:
    _need_backends(path)
    for block in blocks(path):
        if block.lang != "bash":
            continue
        for command in _run_commands(block):
            assignments, argv = command_argv(command, sys.executable)
            env = {**os.environ, **assignments}
            done = subprocess.run(  # noqa: S603 - our own docs' commands
                argv, cwd=doc_dir, env=env, capture_output=True, text=True, timeout=300
            )
            assert done.returncode == 0, (
                f"{block.where}: `{command}` exited {done.returncode}:\n"
                f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
            )
            assert "Traceback" not in done.stderr, f"{block.where}: `{command}`:\n{done.stderr}"


@pytest.mark.parametrize("code", _skipped())
def test_doc_skipped_blocks(code: str) -> None:
    """Never runs: each skip-marked block or command shows up as SKIPPED with its reason."""
    raise AssertionError(f"a skip-marked doc block ran: {code}")


def test_markers_and_tiny_values_parse(tmp_path: Path) -> None:
    """The parser reads skip lists, reasons and fresh markers; a skip without a reason fails."""
    readme = {b.line: b for b in blocks("README.md")}
    commands = next(b for b in readme.values() if b.lang == "bash" and b.skip_commands)
    assert commands.skip_commands == (2, 4, 5, 6, 7, 9, 10) and "30 epochs" in commands.skip
    assert len(bash_commands(commands.code)) == 10
    assert any(b.fresh and "pf.Trainer" in b.code for b in readme.values())
    assert tiny("fit(epochs=20); --epochs 8 --trials 20 trials=5 --rounds 12") == (
        "fit(epochs=1); --epochs 1 --trials 2 trials=2 --rounds 1"
    )
    env, argv = command_argv("POLYFRAME_BACKEND=tf polyframe train --epochs 9  # c", "py")
    assert env == {"POLYFRAME_BACKEND": "tf"}
    assert argv == ["py", "-m", "polyframe.cli", "train", "--epochs", "1"]
    with pytest.raises(ValueError, match="only `polyframe ...` and `python ...`"):
        command_argv("make test", "py")
    bad = tmp_path / "bad.md"
    bad.write_text("<!-- doc-test: skip -->\n```bash\npolyframe info\n```\n")
    with pytest.raises(ValueError, match="needs a \\(reason\\)"):
        blocks(str(bad))
