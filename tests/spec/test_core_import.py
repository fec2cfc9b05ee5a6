"""`import polyframe` imports no framework and is fast; backends are plug-ins."""

from __future__ import annotations

import subprocess
import sys

import pytest

import polyframe as pf

FRAMEWORKS = ("torch", "tensorflow", "keras", "jax", "flax")


def _run(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_import_polyframe_imports_no_framework() -> None:
    out = _run(
        "import sys, polyframe, polyframe.data, polyframe.models; "
        f"print(','.join(m for m in {FRAMEWORKS!r} if m in sys.modules))"
    )
    assert out == ""


def test_import_polyframe_defers_numpy() -> None:
    """numpy is most of an import's cost; it loads with the first model, not with the spec DSL."""
    out = _run("import sys, polyframe as pf; pf.layers.Dense(3); print('numpy' in sys.modules)")
    assert out == "False"


#: Third-party packages whose import would make ``import polyframe`` slow; each loads on first
#: use only. (The import time itself is a speed target, measured by ``polyframe bench``'s
#: extras, not asserted here: a timed test fails on a busy machine.)
_HEAVY = ("numpy", "yaml", "rich", "safetensors", "scipy", "optuna", "tokenizers", "onnx")


def test_import_polyframe_loads_no_heavy_module() -> None:
    code = (
        "import sys, time; t = time.perf_counter(); import polyframe; t = time.perf_counter() - t\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({_HEAVY!r})), t)"
    )
    loaded, took = _run(code).rsplit(" ", 1)
    print(f"import polyframe: {float(took) * 1000:.0f} ms (information only)")
    assert loaded == "[]"


def test_backends_are_entry_points() -> None:
    assert {"torch", "tensorflow", "jax"} <= set(pf.list_backends())


def test_unknown_backend_lists_available() -> None:
    with pytest.raises(
        pf.BackendError, match="unknown backend 'mxnet'; available: jax, tensorflow, torch"
    ):
        pf.get_backend("mxnet")


@pytest.mark.parametrize(
    ("name", "framework"), [("torch", "torch"), ("jax", "jax"), ("tensorflow", "tensorflow")]
)
def test_missing_framework_names_the_pip_extra(name: str, framework: str) -> None:
    code = (
        f"import sys; sys.modules[{framework!r}] = None\n"
        "import polyframe as pf\n"
        f"try:\n    pf.build(pf.models.mlp(), backend={name!r})\n"
        "except pf.BackendError as e:\n    print(e)\n"
    )
    out = _run(code)
    assert f"pip install 'polyframe[{name}]'" in out
    assert f"backend {name!r}" in out
