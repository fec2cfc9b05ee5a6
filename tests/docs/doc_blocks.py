"""Collect the fenced ``python`` and ``bash`` blocks of README.md and docs/**/*.md, with the
markers that docs/contributing.md documents:

- ``<!-- doc-test: skip (REASON) -->`` on the line before a block: the block is not run; the
  suite reports it as skipped with REASON.
- ``<!-- doc-test: skip N,M (REASON) -->`` before a ``bash`` block: only its commands N, M
  (1-based, a command with ``\\`` continuations counts once) are skipped.
- ``<!-- doc-test: fresh -->`` before a ``python`` block: it runs in a new, empty namespace (no
  prelude); later blocks of the file continue in that namespace.

Values are made tiny before a block runs: ``epochs=N``/``--epochs N`` -> 1, ``trials``-> 2,
``rounds`` -> 1.
"""

from __future__ import annotations

import dataclasses
import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"<!--\s*doc-test:\s*(skip|fresh)\s*([0-9,\s]*?)\s*(?:\((.*)\))?\s*-->")
FENCE = re.compile(r"^```(python|bash)\n(.*?)^```", re.S | re.M)
TINY = [
    (re.compile(r"\bepochs=\d+"), "epochs=1"),
    (re.compile(r"--epochs \d+"), "--epochs 1"),
    (re.compile(r"\btrials=\d+"), "trials=2"),
    (re.compile(r"--trials \d+"), "--trials 2"),
    (re.compile(r"\brounds=\d+"), "rounds=1"),
    (re.compile(r"--rounds \d+"), "--rounds 1"),
]


@dataclasses.dataclass(frozen=True)
class Block:
    """One fenced block: its file, first line, language, code, and its marker if any."""

    path: str
    line: int
    lang: str
    code: str
    skip: str | None = None  # the reason, when the whole block is skipped
    skip_commands: tuple[int, ...] = ()  # bash: the 1-based commands skipped
    fresh: bool = False

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def doc_files() -> list[str]:
    """README.md and every docs/**/*.md, relative to the repository root."""
    docs = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").rglob("*.md"))
    return ["README.md", *docs]


def blocks(path: str) -> list[Block]:
    """The python and bash blocks of one doc file, in order, with their markers."""
    text = (ROOT / path).read_text()
    found = []
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = MARKER.search(before)
        skip, commands, fresh = None, (), False
        if marker and marker.group(1) == "fresh":
            fresh = True
        elif marker:
            reason = marker.group(3) or ""
            if not reason:
                raise ValueError(f"{path}:{line}: a doc-test skip marker needs a (reason)")
            numbers = [int(n) for n in re.findall(r"\d+", marker.group(2) or "")]
            if numbers:
                commands = tuple(numbers)
            skip = reason
        found.append(Block(path, line + 1, match.group(1), match.group(2), skip, commands, fresh))
    return found


def tiny(code: str) -> str:
    """The code with epochs, trials and rounds made as small as they can be."""
    for pattern, value in TINY:
        code = pattern.sub(value, code)
    return code


def bash_commands(code: str) -> list[str]:
    """The commands of a bash block: continuations joined, comments and blank lines dropped."""
    joined = re.sub(r"\\\n\s*", " ", code)
    commands = []
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            commands.append(stripped)
    return commands


def command_argv(command: str, python: str) -> tuple[dict[str, str], list[str]]:
    """(environment assignments, argv) of one documented command: ``polyframe`` becomes
    ``python -m polyframe.cli`` and ``python`` the test's interpreter; a trailing ``# comment``
    is dropped."""
    words = shlex.split(tiny(command), comments=True)
    env = {}
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
        key, value = words.pop(0).split("=", 1)
        env[key] = value
    if words and words[0] == "polyframe":
        return env, [python, "-m", "polyframe.cli", *words[1:]]
    if words and words[0] == "python":
        return env, [python, *words[1:]]
    raise ValueError(
        f"doc command {command!r}: only `polyframe ...` and `python ...` commands run in the "
        "doc test; mark the block or the command with <!-- doc-test: skip (reason) -->"
    )
