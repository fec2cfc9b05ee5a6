"""Must show: no module of the package imports ``polyframe.cli`` (the CLI sits on top of
``polyframe.recipe``; only the CLI's own modules may import it)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: The command's own modules (they register with or start the command).
CLI_MODULES = {"polyframe/cli.py", "polyframe/__main__.py"}


def _imports_cli(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "polyframe.cli":
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "polyframe":
            if any(alias.name == "cli" for alias in node.names):
                return True
        if isinstance(node, ast.Import) and any(a.name == "polyframe.cli" for a in node.names):
            return True
    return False


def test_no_module_imports_the_cli() -> None:
    files = [*ROOT.glob("polyframe/**/*.py"), *ROOT.glob("backends/**/*.py")]
    assert len(files) > 50
    offenders = [
        str(f.relative_to(ROOT))
        for f in files
        if str(f.relative_to(ROOT)) not in CLI_MODULES and _imports_cli(f)
    ]
    assert offenders == []


def test_the_old_data_parallel_paths_are_gone() -> None:
    """One steps contract and one checkpoint format: no ParallelSteps, epoch_checkpoint or
    last.npz anywhere in the package or the backends."""
    files = [*ROOT.glob("polyframe/**/*.py"), *ROOT.glob("backends/**/*.py")]
    hits = [
        (str(f.relative_to(ROOT)), word)
        for f in files
        for word in ("ParallelSteps", "epoch_checkpoint", "last.npz")
        if word in f.read_text()
    ]
    assert hits == []
