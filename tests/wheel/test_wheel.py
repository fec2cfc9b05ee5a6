"""The built wheel (not the editable checkout) works on its own: installed into a fresh venv
that reuses this environment's already-installed frameworks (so the test stays fast), from a
directory outside the repository, ``polyframe info``, ``polyframe train --epochs 1`` and
``polyframe bench --suite mlp --rounds 1`` run, and the bench finds the native baselines that
ship in the wheel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 600) -> str:
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, f"{' '.join(cmd)}\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}"
    return out.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    tmp = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "POLYFRAME_BASELINES")}
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
          "-w", str(tmp / "dist"), str(ROOT)], tmp, env)  # fmt: skip
    wheel = next((tmp / "dist").glob("polyframe-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "polyframe_baselines/torch_loops.py" in names and "polyframe/cli.py" in names
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp, env)
    site = next((venv / "lib").glob("python*/site-packages"))
    # the frameworks of this environment, after the venv's own site-packages (where the wheel
    # goes): a plain path entry, so this environment's editable-install hooks do not run
    (site / "_frameworks.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
          "-q", "--no-deps", str(wheel)], tmp, env)  # fmt: skip
    return venv, env


def test_wheel_imports_from_the_venv(installed: tuple[Path, dict[str, str]]) -> None:
    venv, env = installed
    code = "import polyframe, polyframe_torch; print(polyframe.__file__, polyframe_torch.__file__)"
    out = _run([str(venv / "bin" / "python"), "-c", code], venv, env)
    assert all(str(venv) in p for p in out.split()), out


def test_info_train_and_bench_from_the_wheel(installed: tuple[Path, dict[str, str]]) -> None:
    venv, env = installed
    cli = str(venv / "bin" / "polyframe")
    out = _run([cli, "info"], venv, env)
    assert all(f"  {b}" in out for b in ("torch", "tensorflow", "jax")), out
    out = _run([cli, "train", "--backend", "torch", "--epochs", "1"], venv, env)
    assert "test accuracy" in out
    result = venv / "bench.json"
    _run([cli, "bench", "--suite", "mlp", "--rounds", "1", "--backend", "torch",
          "--against", "tuned", "--warmup-steps", "0", "--no-extras", "--json", str(result)],
         venv, {**env, "OMP_NUM_THREADS": "1"})  # fmt: skip
    group = json.loads(result.read_text())["groups"][0]
    assert list(group["implementations"]) == ["polyframe", "tuned"]  # baselines from the wheel
    assert group["ratios"]["polyframe/tuned"]["median"] > 0
