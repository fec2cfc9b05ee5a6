"""Start-up cost: what a fresh process pays to import, build the digits MLP and run one
training step, polyframe against the native framework, per backend; and the whole
``polyframe train --epochs 1`` process per backend.

Each measurement is a fresh ``python`` process. The parent notes the wall clock, starts the
child, and reads back (JSON on the child's stdout) the wall clock after its first step and its
import time; ``os.wait4`` gives the child's own peak RSS. polyframe and native runs alternate
(A B B A ...) so that a busy minute on a shared machine hits both; ratios are of medians from
the same run. Every child runs with ``POLYFRAME_COMPILE_CACHE=0`` (cold, like the native
programs); the warm start of TensorFlow and JAX (a second process loading the first one's
compiled programs from the persistent cache) is measured apart, on the digits MLP and on the
CIFAR CNN (``--warm-models``), with ``fit``'s own first-step time among its rows.

    python benchmarks/startup.py --repeats 3 --warm-rounds 3 --json benchmarks/results/startup.json \
        --markdown benchmarks/results/startup.md

``--warm-only`` runs the warm-start rows alone (no cold polyframe/native comparison, no
``polyframe train``), e.g. ``python benchmarks/startup.py --warm-only --backend jax
--warm-rounds 5`` while working on what a second process pays.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DIGITS = ROOT / "polyframe" / "data" / "_embedded" / "digits.npz"
BACKENDS = ("torch", "tensorflow", "jax")
#: The native framework each backend is measured against.
NATIVE = {"torch": "torch", "tensorflow": "Keras 3 on TensorFlow", "jax": "flax.nnx + optax"}
#: Further references, shown beside the main ratio: Keras with ``jit_compile=True`` runs the
#: same XLA-compiled step as polyframe's TensorFlow backend (Keras' default on a CPU-only
#: TensorFlow is graph mode without XLA).
EXTRA = {"tensorflow": {"native_xla": "Keras 3 on TensorFlow, jit_compile=True"}}

_HEAD = """
import json, sys, time
_T0 = time.perf_counter()
"""
_TAIL = """
print(json.dumps({"import_s": _T_IMPORT, "step_wall": time.time(), "loss": float(loss),
                  "build_step_s": time.perf_counter() - _T0 - _T_IMPORT,
                  "build_step_cpu_s": time.process_time() - _C_IMPORT,
                  "fit_first_step_s": globals().get("_FIT_FIRST"),
                  "torch_loaded": "torch" in sys.modules}), flush=True)
"""

#: One training step of Flatten -> Dense(128, relu) -> Dense(10) on 32 digits, Adam(1e-3),
#: softmax cross-entropy: (imports, the rest). The native versions are what each framework's
#: documentation writes.
SNIPPETS: dict[tuple[str, str], tuple[str, str]] = {
    ("torch", "native"): (
        "import numpy as np\nimport torch\n",
        """
d = np.load(sys.argv[1])
x, y = (d["images"][:32] / np.float32(16))[..., None], d["labels"][:32].astype(np.int64)
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 128), torch.nn.ReLU(),
                            torch.nn.Linear(128, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y))
opt.zero_grad(); loss.backward(); opt.step()
loss = loss.item()
""",
    ),
    ("tensorflow", "native"): (
        "import os\nos.environ['KERAS_BACKEND'] = 'tensorflow'\nimport numpy as np\nimport keras\n",
        """
d = np.load(sys.argv[1])
x, y = (d["images"][:32] / np.float32(16))[..., None], d["labels"][:32].astype(np.int64)
keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                          keras.layers.Dense(128, activation="relu"), keras.layers.Dense(10)])
model.compile(optimizer=keras.optimizers.Adam(1e-3),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
loss = model.train_on_batch(x, y)
""",
    ),
    ("tensorflow", "native_xla"): (
        "import os\nos.environ['KERAS_BACKEND'] = 'tensorflow'\nimport numpy as np\nimport keras\n",
        """
d = np.load(sys.argv[1])
x, y = (d["images"][:32] / np.float32(16))[..., None], d["labels"][:32].astype(np.int64)
keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                          keras.layers.Dense(128, activation="relu"), keras.layers.Dense(10)])
model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=True,
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
loss = model.train_on_batch(x, y)
""",
    ),
    ("jax", "native"): (
        "import numpy as np\nimport jax\nimport optax\nfrom flax import nnx\n",
        """
d = np.load(sys.argv[1])
x, y = (d["images"][:32] / np.float32(16))[..., None], d["labels"][:32].astype(np.int64)

class MLP(nnx.Module):
    def __init__(self, rngs):
        self.hidden = nnx.Linear(64, 128, rngs=rngs)
        self.out = nnx.Linear(128, 10, rngs=rngs)

    def __call__(self, x):
        return self.out(jax.nn.relu(self.hidden(x.reshape(x.shape[0], -1))))

model = MLP(nnx.Rngs(0))
opt = nnx.Optimizer(model, optax.adam(1e-3), wrt=nnx.Param)

@nnx.jit
def step(model, opt, x, y):
    def loss_fn(m):
        return optax.softmax_cross_entropy_with_integer_labels(m(x), y).mean()
    loss, grads = nnx.value_and_grad(loss_fn)(model)
    opt.update(model, grads)
    return loss

loss = step(model, opt, x, y)
""",
    ),
}
#: The models of the warm-start rows: polyframe's build + first step (``fit`` records its own
#: first-step time, ``trainer.timing["first_step_s"]``, what ``polyframe train`` prints). The
#: digits MLP is the start-up table's step; the CIFAR CNN (32 random 32x32x3 images) is a
#: model whose compilation is not dwarfed by what every process pays anyway.
WARM_MODELS = {
    "digits MLP": """
(x, y), _ = pf.data.load("digits")
model = pf.build(pf.models.mlp(), backend={b!r}, seed=0)
trainer = pf.Trainer(model, optimizer=pf.optim.Adam(1e-3), loss="cross_entropy", metrics=())
loss = trainer.fit(x[:32], y[:32], batch_size=32, epochs=1).history["loss"][-1]
_FIT_FIRST = trainer.timing["first_step_s"]
""",
    "CIFAR CNN": """
rng = np.random.default_rng(0)
x = rng.standard_normal((32, 32, 32, 3)).astype(np.float32)
y = rng.integers(0, 10, 32)
model = pf.build(pf.models.cifar_cnn(), backend={b!r}, seed=0)
trainer = pf.Trainer(model, optimizer=pf.optim.Adam(1e-3), loss="cross_entropy", metrics=())
loss = trainer.fit(x, y, batch_size=32, epochs=1).history["loss"][-1]
_FIT_FIRST = trainer.timing["first_step_s"]
""",
}
for _b in BACKENDS:
    SNIPPETS[(_b, "polyframe")] = (
        f"import numpy as np\nimport polyframe as pf\npf.backend.get_backend({_b!r}).version()\n",
        WARM_MODELS["digits MLP"].format(b=_b),
    )


def script(backend: str, impl: str, body: str | None = None) -> str:
    """The child's whole program for ``(backend, impl)`` (``body``: another polyframe step)."""
    imports, default = SNIPPETS[(backend, impl)]
    body = default if body is None else body
    marks = "_T_IMPORT = time.perf_counter() - _T0\n_C_IMPORT = time.process_time()\n"
    return _HEAD + imports + marks + body + _TAIL


def child_env() -> dict[str, str]:
    """The environment of every child: this checkout first on the path, TF's C++ logs quiet."""
    path = os.pathsep.join([str(ROOT), str(ROOT / "backends")])
    extra = os.environ.get("PYTHONPATH")
    return {
        **os.environ,
        "PYTHONPATH": path + (os.pathsep + extra if extra else ""),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "POLYFRAME_COMPILE_CACHE": "0",  # cold against cold; warm starts are measured apart
    }


def run_child(argv: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``argv`` (``env``: extra variables); its wall time, peak RSS (MB, from ``wait4``)
    and its JSON line if any."""
    with tempfile.TemporaryFile() as err:
        start = time.time()
        proc = subprocess.Popen(
            argv, env={**child_env(), **(env or {})}, stdout=subprocess.PIPE, stderr=err, cwd=ROOT
        )
        out = proc.stdout.read()  # to EOF; the child is reaped by wait4, not by Popen
        _, status, usage = os.wait4(proc.pid, 0)
        end = time.time()
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        proc.stdout.close()
        if code != 0:
            err.seek(0)
            raise RuntimeError(f"{argv[:4]} exited {code}: {err.read().decode()[-2000:]}")
    result: dict[str, Any] = {"wall_s": end - start, "peak_rss_mb": usage.ru_maxrss / 1024}
    lines = [ln for ln in out.decode().splitlines() if ln.startswith("{")]
    if lines:
        data = json.loads(lines[-1])
        result.update(
            import_s=data["import_s"],
            build_step_s=data["build_step_s"],
            build_step_cpu_s=data["build_step_cpu_s"],
            fit_first_step_s=data.get("fit_first_step_s"),
            first_step_s=data["step_wall"] - start,
            loss=data["loss"],
            torch_loaded=data["torch_loaded"],
        )
    return result


def measure(repeats: int, backends: list[str], train: bool) -> dict[str, Any]:
    """``repeats`` rounds; in each, per backend, polyframe and native in alternating order."""
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {
        b: {"polyframe": [], "native": [], **{e: [] for e in EXTRA.get(b, {})}, "train": []}
        for b in backends
    }
    for r in range(repeats):
        for b in backends:
            impls = ["polyframe", "native", *EXTRA.get(b, {})]
            for impl in impls if r % 2 == 0 else impls[::-1]:
                runs[b][impl].append(
                    run_child([sys.executable, "-c", script(b, impl), str(DIGITS)])
                )
            if train and r < max(1, repeats - 1):
                cmd = [sys.executable, "-m", "polyframe.cli", "train", "--backend", b]
                runs[b]["train"].append(run_child([*cmd, "--epochs", "1"]))
            print(f"round {r + 1}/{repeats} {b} done", file=sys.stderr, flush=True)
    return runs


def measure_warm(rounds: int, backend: str, model: str) -> list[dict[str, Any]]:
    """The persistent compilation cache: per round, a fresh cache directory, then two
    processes (the first compiles and writes, the second loads) building and stepping
    ``model`` (a key of :data:`WARM_MODELS`)."""
    out = []
    body = WARM_MODELS[model].format(b=backend)
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as folder:
            env = {"POLYFRAME_CACHE_DIR": folder, "POLYFRAME_COMPILE_CACHE": "1"}
            argv = [sys.executable, "-c", script(backend, "polyframe", body), str(DIGITS)]
            cold = run_child(argv, env)
            out.append({"cold": cold, "warm": run_child(argv, env)})
        print(f"{backend} {model} warm-start round done", file=sys.stderr, flush=True)
    return out


def summarize_warm(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians of the cold and warm processes, and warm / cold."""
    out: dict[str, Any] = {}
    for key in (
        "fit_first_step_s",
        "build_step_s",
        "build_step_cpu_s",
        "first_step_s",
        "peak_rss_mb",
    ):
        cold = statistics.median(r["cold"][key] for r in rows)
        warm = statistics.median(r["warm"][key] for r in rows)
        out[key] = {"cold": cold, "warm": warm, "ratio": warm / cold}
    return out


def median(rows: list[dict[str, Any]], key: str) -> float:
    """Median of ``key`` over runs."""
    return statistics.median(row[key] for row in rows)


def summarize(runs: dict[str, Any]) -> dict[str, Any]:
    """Medians per (backend, implementation) and polyframe / native ratios of medians."""
    out: dict[str, Any] = {}
    keys = ("first_step_s", "import_s", "peak_rss_mb", "wall_s")
    for b, impls in runs.items():
        med = {
            impl: {k: median(rows, k) for k in keys}
            for impl, rows in impls.items()
            if rows and impl != "train"
        }
        out[b] = {
            "native": NATIVE[b],
            "median": med,
            "ratio": {k: med["polyframe"][k] / med["native"][k] for k in keys},
            "extra": {
                e: {"what": what, "ratio": {k: med["polyframe"][k] / med[e][k] for k in keys}}
                for e, what in EXTRA.get(b, {}).items()
            },
            "torch_loaded": {i: any(r["torch_loaded"] for r in impls[i]) for i in med},
            "first_loss": {i: impls[i][0]["loss"] for i in med},
        }
        if impls["train"]:
            out[b]["train_epoch1"] = {
                "wall_s": median(impls["train"], "wall_s"),
                "peak_rss_mb": median(impls["train"], "peak_rss_mb"),
                "runs": len(impls["train"]),
            }
    return out


def _version(*dists: str) -> str:
    for dist in dists:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return "-"


def machine(load_before: list[float]) -> dict[str, Any]:
    """CPU count, load averages before and after, and the versions that were measured."""
    return {
        "cores": os.cpu_count(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "load_before": load_before,
        "load_after": [round(v, 2) for v in os.getloadavg()],
        "versions": {
            "torch": _version("torch"),
            "tensorflow": _version("tensorflow", "tensorflow-cpu"),
            **{d: _version(d) for d in ("keras", "jax", "flax", "optax")},
        },
    }


def markdown(report: dict[str, Any]) -> str:
    """The report as a Markdown table per measure."""
    m = report["machine"]
    lines = [
        "# Start-up: import, build the digits MLP, one training step (fresh process)",
        "",
        f"{m['cores']} cores, {m['os']}, Python {m['python']}; load average before "
        f"{m['load_before']}, after {m['load_after']}"
        + (
            f"; {report['repeats']} rounds, polyframe and native alternating; medians, ratio = "
            "polyframe / native."
            if report["summary"]
            else "."
        ),
        "Versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()) + ".",
        "",
        "Method: one fresh `python` process per measurement, the same environment for all "
        "(TF_CPP_MIN_LOG_LEVEL=2). *time to first step*: from the parent starting the process "
        "to the end of the child's first training step (wall clock; interpreter start-up "
        "included); *import*: inside the child, importing numpy and the framework (polyframe: "
        "`import polyframe` + `get_backend(B).version()`, which loads the framework); "
        "*peak RSS*: the child's `ru_maxrss` from `os.wait4`. The step: Flatten -> Dense(128, "
        "relu) -> Dense(10) on 32 digits images, Adam(1e-3), softmax cross-entropy; polyframe "
        "via `pf.Trainer.fit` (metrics off), native as each framework's docs write it "
        "(torch eager; Keras `compile` + `train_on_batch`; `nnx.jit` step with `nnx.Optimizer`).",
        "",
        "| backend | native | time to first step (s) | import (s) | peak RSS (MB) |",
        "|---|---|---|---|---|",
    ]
    for b, s in report["summary"].items():
        cells = []
        for k, fmt in (
            ("first_step_s", "{:.2f}"),
            ("import_s", "{:.2f}"),
            ("peak_rss_mb", "{:.0f}"),
        ):
            pf, nat = s["median"]["polyframe"][k], s["median"]["native"][k]
            cells.append(f"{fmt.format(pf)} / {fmt.format(nat)} = **{s['ratio'][k]:.3f}**")
        lines.append(f"| {b} | {s['native']} | " + " | ".join(cells) + " |")
    extra = [(b, e, x) for b, s in report["summary"].items() for e, x in s["extra"].items()]
    if extra:
        lines += ["", "Against further references (polyframe / reference):", ""]
        lines += [
            "| backend | reference | time to first step (s) | import (s) | peak RSS (MB) |",
            "|---|---|---|---|---|",
        ]
        for b, e, x in extra:
            med = report["summary"][b]["median"][e]
            lines.append(
                f"| {b} | {x['what']} | {med['first_step_s']:.2f}: **{x['ratio']['first_step_s']:.3f}**"
                f" | {med['import_s']:.2f}: **{x['ratio']['import_s']:.3f}**"
                f" | {med['peak_rss_mb']:.0f}: **{x['ratio']['peak_rss_mb']:.3f}** |"
            )
    warm_at = len(lines)
    if report.get("warm_start"):
        rounds = len(next(iter(next(iter(report["warm_runs"].values())).values())))
        lines += [
            "",
            f"Warm start ({rounds} rounds; per round a fresh `POLYFRAME_CACHE_DIR`, a first "
            "process that compiles and fills it, a second that loads from it; *build + first "
            "step* is after the imports; its CPU time is the child's `time.process_time()`, all "
            "threads, less sensitive than wall time to other jobs on the machine):",
            "",
            "| backend | model | measure | first process | second process | second / first |",
            "|---|---|---|---|---|---|",
        ]
        labels = {
            "fit_first_step_s": "first step, as `fit` times it (s)",
            "build_step_s": "build + first step (s)",
            "build_step_cpu_s": "build + first step, CPU time (s)",
            "first_step_s": "time to first step (s)",
            "peak_rss_mb": "peak RSS (MB)",
        }
        for b, models in report["warm_start"].items():
            for model, w in models.items():
                for key, label in labels.items():
                    x = w[key]
                    fmt = "{:.0f}" if key == "peak_rss_mb" else "{:.3f}"
                    lines.append(
                        f"| {b} | {model} | {label} | {fmt.format(x['cold'])} "
                        f"| {fmt.format(x['warm'])} | **{x['ratio']:.3f}** |"
                    )
    if not report["summary"]:  # --warm-only
        return "\n".join([*lines[:4], *lines[warm_at:], ""])
    lines += ["", "`polyframe train --backend B --epochs 1` (digits MLP), whole process:", ""]
    lines += ["| backend | wall (s) | peak RSS (MB) |", "|---|---|---|"]
    for b, s in report["summary"].items():
        if "train_epoch1" in s:
            t = s["train_epoch1"]
            lines.append(f"| {b} | {t['wall_s']:.2f} | {t['peak_rss_mb']:.0f} |")
    lines += [
        "",
        "torch loaded in a polyframe process: "
        + ", ".join(f"{b} {s['torch_loaded']['polyframe']}" for b, s in report["summary"].items())
        + ".",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the Markdown report, optionally write JSON / Markdown."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--backend", default=",".join(BACKENDS))
    ap.add_argument("--no-train", action="store_true", help="skip `polyframe train --epochs 1`")
    ap.add_argument(
        "--warm-rounds", type=int, default=3, help="warm-start rounds, TF and JAX (0: skip)"
    )
    ap.add_argument(
        "--warm-only", action="store_true", help="only the warm-start rows (TF and JAX)"
    )
    ap.add_argument(
        "--warm-models",
        default=",".join(WARM_MODELS),
        help=f"warm-start models, comma-separated: {', '.join(WARM_MODELS)}",
    )
    ap.add_argument("--json")
    ap.add_argument("--markdown")
    args = ap.parse_args(argv)
    load_before = [round(v, 2) for v in os.getloadavg()]
    runs = (
        {} if args.warm_only else measure(args.repeats, args.backend.split(","), not args.no_train)
    )
    warm = {
        b: {m: measure_warm(args.warm_rounds, b, m) for m in args.warm_models.split(",")}
        for b in args.backend.split(",")
        if b in ("tensorflow", "jax") and args.warm_rounds
    }
    report = {
        "repeats": args.repeats,
        "machine": machine(load_before),
        "summary": summarize(runs),
        "runs": runs,
        "warm_start": {
            b: {m: summarize_warm(rows) for m, rows in models.items()} for b, models in warm.items()
        },
        "warm_runs": warm,
    }
    text = markdown(report)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n")
    if args.markdown:
        Path(args.markdown).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
