"""No function or method in polyframe/ is longer than 60 lines (its ``def`` line through its
last line, decorators excluded), so each one can be read on one screen."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "polyframe"
LIMIT = 60
ALLOWED: set[str] = set()
#: The Trainer is a facade over the training state, the feed, the step driver and the epoch
#: loop (docs/architecture.md); it stays short enough to read at once.
TRAINER_LIMIT = 200


def long_functions(package: Path = PACKAGE, limit: int = LIMIT) -> list[str]:
    """``path:line name (n lines)`` of every function longer than ``limit`` lines."""
    found = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package.parent).as_posix()
        if rel in ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text(), rel)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > limit:
                    found.append(f"{rel}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_no_function_longer_than_the_limit() -> None:
    found = long_functions()
    assert not found, (
        f"functions longer than {LIMIT} lines (split them into named steps): " + "; ".join(found)
    )


def test_the_trainer_facade_stays_small() -> None:
    lines = len((PACKAGE / "trainer.py").read_text().splitlines())
    assert lines <= TRAINER_LIMIT, (
        f"polyframe/trainer.py has {lines} lines, more than {TRAINER_LIMIT}: move the new logic "
        "into train_state.py, train_feed.py, step_driver.py or fit_loop.py"
    )


def test_the_check_sees_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(LIMIT))
    (tmp_path / "mod.py").write_text(f"def short():\n    pass\n\n\ndef long():\n{body}\n")
    found = long_functions(tmp_path, LIMIT)
    assert len(found) == 1 and found[0].endswith(f"long ({LIMIT + 1} lines)")
