"""The porting parts of the ``polyframe`` command: ``import-native`` (a native model -> spec,
checkpoint and a check against the native outputs) and ``diff`` (where backends part)."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from typing import Any

from polyframe.errors import ConfigError, DataError

_SOURCE_HELP = (
    "FILE.py:FUNCTION (returns a torch/Keras/Flax model, or (model, example_input)) or a "
    "Keras .keras file"
)


def add_subcommands(sub: Any) -> None:
    """The ``import-native`` and ``diff`` sub-commands."""
    n = sub.add_parser(
        "import-native",
        help="turn a native torch/Keras/Flax model into a spec and weights, checked",
    )
    n.add_argument("source", help=_SOURCE_HELP)
    n.add_argument(
        "--input-shape", help="example batch shape in the framework's layout, e.g. 2,3,28,28"
    )
    n.add_argument("--spec", help="write the spec here (.yaml or .json)")
    n.add_argument("--checkpoint", help="write a polyframe checkpoint of the weights here")
    n.add_argument("--backends", default="torch,tensorflow,jax", help="backends to check on")
    n.add_argument("--tol", type=float, default=1e-5, help="largest accepted difference (1e-5)")
    n.add_argument("--debug", action="store_true", help="show tracebacks")
    d = sub.add_parser("diff", help="per-layer differences between backends and the numpy oracle")
    d.add_argument("source", help=f"a spec file, a checkpoint, or {_SOURCE_HELP}")
    d.add_argument("--backends", default="torch,tensorflow,jax", help="two or more backends")
    d.add_argument("--data", help=".npz with x (and y); default: a random batch")
    d.add_argument("--batch", type=int, default=4, help="random batch size (default 4)")
    d.add_argument("--input-shape", help="example batch shape for a native model")
    d.add_argument("--loss", default="cross_entropy", help="cross_entropy or mse")
    d.add_argument("--optimizer", default="sgd", help="sgd, adam, adamw, rmsprop, adagrad")
    d.add_argument("--lr", type=float, default=0.1, help="learning rate of the step (0.1)")
    d.add_argument("--tol", type=float, default=1e-5, help="tolerance, times each layer's scale")
    d.add_argument("--seed", type=int, default=0, help="weights (for a spec) and data seed")
    d.add_argument("--debug", action="store_true", help="show tracebacks")


def _shape(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise ConfigError(
            f"--input-shape must be comma-separated ints like 2,3,28,28, got {text!r}"
        ) from None


def load_native(source: str, input_shape: str | None) -> tuple[Any, Any]:
    """(native model, example input) from ``FILE.py:FUNCTION`` or a ``.keras`` file."""
    import numpy as np

    shape = _shape(input_shape)
    if source.endswith(".keras"):
        from polyframe.backend import get_backend

        get_backend("tensorflow")
        import keras

        model = keras.models.load_model(source)
        example = None
    else:
        path, _, fn = source.partition(":")
        if not path.endswith(".py") or not fn or not Path(path).is_file():
            raise ConfigError(f"expected {_SOURCE_HELP}; got {source!r}")
        spec = importlib.util.spec_from_file_location("polyframe_native_source", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        if not hasattr(module, fn):
            raise ConfigError(f"{path} has no function {fn!r}")
        made = getattr(module, fn)()
        model, example = made if isinstance(made, tuple) else (made, None)
    if example is None:
        if shape is None:
            found = getattr(model, "input_shape", None)
            if found is None:
                raise ConfigError(f"{source}: give the example batch shape with --input-shape")
            shape = (2, *found[1:])
        example = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    return model, example


def cmd_import_native(args: argparse.Namespace) -> int:
    """Capture a native model, check it on every backend, write its spec and checkpoint."""
    import polyframe as pf

    model, example = load_native(args.source, args.input_shape)
    backends = [b for b in args.backends.split(",") if b]
    ported = pf.from_native(model, example, backends=backends)
    print(f"captured {len(ported.spec.nodes)} layers, {len(ported.params)} tensors")
    print(ported.report())
    if args.spec:
        if args.spec.endswith(".json"):
            ported.spec.to_json(args.spec)
        else:
            ported.spec.to_yaml(args.spec)
        print(f"wrote {args.spec}")
    if args.checkpoint:
        pf.checkpoint.save(args.checkpoint, ported.build(backends[0] if backends else None))
        print(f"wrote {args.checkpoint}")
    worst = max(ported.max_diff.values())
    if worst > args.tol:
        print(f"polyframe: check failed: max |diff| {worst:.2e} > {args.tol:g}", file=sys.stderr)
        return 1
    return 0


def _diff_source(args: argparse.Namespace) -> tuple[Any, Any]:
    """(what to diff, example input or None)."""
    import polyframe as pf

    src = args.source
    if ".py:" in src or src.endswith(".keras"):
        model, example = load_native(src, args.input_shape)
        return pf.from_native(model, example, backends=[]), example
    if Path(src).is_dir():
        return pf.checkpoint.load(src), None
    if Path(src).suffix in (".yaml", ".yml", ".json"):
        return pf.load_spec(src), None
    raise ConfigError(f"diff: {src!r} is not a spec file, a checkpoint directory or {_SOURCE_HELP}")


def cmd_diff(args: argparse.Namespace) -> int:
    """Print the per-layer table; exit 1 when a tolerance is exceeded."""
    import numpy as np

    import polyframe as pf

    source, _ = _diff_source(args)
    if args.data:
        with np.load(args.data) as f:
            if "x" not in f:
                raise DataError(f"{args.data} must hold an array named 'x' (and optionally 'y')")
            data = (f["x"], f["y"]) if "y" in f else f["x"]
    else:
        if hasattr(source, "x"):
            data = source.x
        else:
            data = _random_batch(getattr(source, "spec", source), args.batch, args.seed)
    report = pf.diff(
        source,
        backends=[b for b in args.backends.split(",") if b],
        data=data,
        loss=args.loss,
        optimizer=args.optimizer,
        lr=args.lr,
        tol=args.tol,
        seed=args.seed,
    )
    print(report.summary())
    return 0 if report.ok else 1


def _random_batch(spec: Any, n: int, seed: int) -> Any:
    import numpy as np

    rng = np.random.default_rng(seed)
    shape = spec.input_shape
    if str(spec.input_dtype).startswith("int"):
        return rng.integers(0, 8, (n, *shape)).astype(np.int32)
    return rng.normal(size=(n, *shape)).astype(np.float32)
