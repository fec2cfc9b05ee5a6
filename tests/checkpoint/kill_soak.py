"""The kill soak's machinery (benchmarks/kill_soak.py, tests/checkpoint/test_kill_soak.py,
tests/checkpoint/test_crash.py): a small training driver that checkpoints every K steps and
resumes from its directory, run as a child process and SIGKILLed at chosen moments.

A kill lands either at a random moment (the parent sends SIGKILL after a seeded random delay:
mid-step, or mid-write when a checkpoint is being written) or exactly at a point of the atomic
write through ``POLYFRAME_CHECKPOINT_KILL=PHASE:N`` (polyframe/checkpoint/atomic.py: ``write``,
``rename``, ``published``, ``retire``). After every kill each visible checkpoint must verify;
the final parameters and optimizer state must equal an uninterrupted run's bitwise.

    python -m tests.checkpoint.kill_soak child BACKEND DIRECTORY EPOCHS   # the driver
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES, BATCH, EVERY_STEPS, KEEP_LAST = 256, 32, 2, 2  # 8 steps an epoch, a save every 2
RANDOM = "random"  # a kill sent by the parent after a random delay
PHASES = (RANDOM, "write", "rename", "published", "retire")


def newest_verified(directory: Path) -> int:
    """The global step of the newest checkpoint in ``directory`` that verifies (0: none)."""
    import polyframe as pf

    ckpt, _ = pf.checkpoint.newest_valid(directory)
    return int(ckpt.training.get("global_step", 0)) if ckpt is not None else 0


def newest_name(directory: Path) -> str:
    """The name of the newest visible checkpoint ('' when there is none)."""
    import polyframe as pf

    paths = pf.checkpoint.list_checkpoints(directory)
    return paths[-1].name if paths else ""


def train(backend: str, directory: Path, epochs: int, announce: bool = False) -> Any:
    """The driver: the digits MLP, Adam, ``ModelCheckpoint(every_n_steps=2, keep_last=2)``,
    resuming from ``directory``'s newest valid checkpoint when there is one. Returns
    ``(model, trainer)``."""
    import polyframe as pf

    (x, y), _ = pf.data.load("digits")
    model = pf.build(pf.models.mlp(hidden=(32,)), backend=backend, seed=0)
    trainer = pf.Trainer(model, optimizer=pf.optim.Adam(1e-2), metrics=[])
    resume = directory if newest_verified(directory) else None
    if announce:
        print(f"resume {newest_verified(directory) if resume else 0}", flush=True)
    cb = pf.callbacks.ModelCheckpoint(directory, every_n_steps=EVERY_STEPS, keep_last=KEEP_LAST)
    trainer.fit(
        x[:EXAMPLES],
        y[:EXAMPLES],
        batch_size=BATCH,
        epochs=epochs,
        seed=3,
        callbacks=[cb],
        resume_from=resume,
        verbose=0,
    )
    return model, trainer


def start_child(
    backend: str, directory: Path, epochs: int, phase: str | None = None, at_write: int = 1
) -> subprocess.Popen:
    """Run :func:`train` in a new process; ``phase`` (not ``random``) arms the atomic-write
    kill hook at that phase of the child's ``at_write``-th checkpoint write."""
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "backends")]),
    }
    env.pop("POLYFRAME_CHECKPOINT_KILL", None)
    if phase not in (None, RANDOM):
        env["POLYFRAME_CHECKPOINT_KILL"] = f"{phase}:{at_write}"
    cmd = [
        sys.executable,
        "-m",
        "tests.checkpoint.kill_soak",
        "child",
        backend,
        str(directory),
        str(epochs),
    ]
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def leftovers(directory: Path) -> set[str]:
    """Kinds of crash leftovers in ``directory``: ``tmp`` (an unpublished write), ``old`` (an
    unfinished retirement)."""
    from polyframe.checkpoint.atomic import OLD_MARK, TMP_MARK

    names = [p.name for p in directory.iterdir()] if directory.is_dir() else []
    return {
        kind
        for kind, mark in (("tmp", TMP_MARK), ("old", OLD_MARK))
        if any(n.startswith(".") and mark in n for n in names)
    }


@dataclass
class SoakResult:
    """What one backend's soak did and saw."""

    backend: str
    kills: int = 0
    phases: Counter = field(default_factory=Counter)
    resumes: int = 0
    verified: int = 0
    torn_left: int = 0
    bitwise_equal: bool = False
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready counts."""
        return {
            "kills": self.kills,
            "kill_phases": dict(sorted(self.phases.items())),
            "resumes": self.resumes,
            "verified_checkpoints": self.verified,
            "kills_that_left_a_torn_write": self.torn_left,
            "final_params_bitwise_equal": self.bitwise_equal,
            "seconds": round(self.seconds, 1),
        }


def _kill_once(
    backend: str, ck: Path, epochs: int, phase: str, at_write: int, delay: float, result: SoakResult
) -> None:
    """One child, killed at ``phase``; then every visible checkpoint must verify."""
    import polyframe as pf

    before_step, before_name = newest_verified(ck), newest_name(ck)
    proc = start_child(backend, ck, epochs, phase, at_write)
    try:
        if phase == RANDOM:
            deadline = time.monotonic() + 120
            while newest_name(ck) == before_name and proc.poll() is None:
                if time.monotonic() > deadline:
                    raise AssertionError(f"{backend}: no new checkpoint within 120 s")
                time.sleep(0.01)  # this child is training: it has written its own checkpoint
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode != -signal.SIGKILL:
        raise AssertionError(
            f"{backend} {phase}: child ended with {proc.returncode}: {err[-2000:]}"
        )
    resumed = int(out.split()[1]) if out.startswith("resume ") else -1
    if resumed != before_step:
        raise AssertionError(f"{backend}: resumed at step {resumed}, expected {before_step}")
    result.resumes += before_step > 0
    left = leftovers(ck)
    expected = {"write": "tmp", "rename": "tmp", "retire": "old"}.get(phase)
    if expected is not None and expected not in left:
        raise AssertionError(f"{backend}: a kill at {phase!r} left no {expected} directory")
    kind = phase
    if phase == RANDOM:
        kind = "random mid-write" if left else "random mid-step"
    result.phases[kind] += 1
    result.torn_left += bool(left)
    result.kills += 1
    for path in pf.checkpoint.list_checkpoints(ck):
        pf.checkpoint.verify(path)  # every checkpoint that is visible verifies
        result.verified += 1
    if newest_verified(ck) < before_step:
        raise AssertionError(f"{backend}: a completed checkpoint (step {before_step}) was lost")


def _final_state(directory: Path) -> dict[str, np.ndarray]:
    import polyframe as pf

    ckpt, _ = pf.checkpoint.newest_valid(directory)
    return {
        **{f"model/{k}": v for k, v in ckpt.model.items()},
        **{f"optimizer/{k}": v for k, v in ckpt.optimizer.items()},
    }


def soak(
    backend: str,
    workdir: Path,
    kills: int,
    epochs: int,
    seed: int = 0,
    phases: tuple[str, ...] = PHASES,
    max_delay: float = 0.2,
    plan: bool = False,
) -> SoakResult:
    """``kills`` killed children on ``backend`` (phases drawn from a seeded RNG, or
    ``phases[i]`` for kill ``i`` with ``plan=True``), then one
    in-process resume to the end; compares the final checkpoint's tensors with an
    uninterrupted in-process run's, bitwise."""
    rng = np.random.default_rng(seed)
    result = SoakResult(backend)
    start = time.perf_counter()
    ck = workdir / f"{backend}-killed"
    for i in range(kills):
        phase = phases[i] if plan else str(rng.choice(phases))
        _kill_once(
            backend,
            ck,
            epochs,
            phase,
            int(rng.integers(1, 3)),
            float(rng.uniform(0.0, max_delay)),
            result,
        )
    train(backend, ck, epochs)  # resume once more and finish
    result.resumes += 1
    if leftovers(ck):
        raise AssertionError(f"{backend}: stale temporary directories were not cleaned")
    straight = workdir / f"{backend}-straight"
    train(backend, straight, epochs)
    got, want = _final_state(ck), _final_state(straight)
    result.bitwise_equal = sorted(got) == sorted(want) and all(
        got[k].dtype == want[k].dtype and np.array_equal(got[k], want[k]) for k in want
    )
    result.seconds = time.perf_counter() - start
    return result


def _child(argv: list[str]) -> None:
    backend, directory, epochs = argv[0], Path(argv[1]), int(argv[2])
    import polyframe.import_order  # noqa: F401  (torch before TensorFlow)

    train(backend, directory, epochs, announce=True)


if __name__ == "__main__" and sys.argv[1:2] == ["child"]:
    _child(sys.argv[2:])
