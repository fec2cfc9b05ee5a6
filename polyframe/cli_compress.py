"""The compression sub-commands: ``polyframe quantize`` and ``polyframe prune`` on a
checkpoint directory, each printing a before/after report (size on disk, parameters,
sparsity per layer, test accuracy, inference time)."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np


def add_subcommands(sub: Any) -> None:
    """The ``quantize`` and ``prune`` sub-commands."""
    q = sub.add_parser("quantize", help="int8 post-training quantization of a checkpoint")
    q.add_argument("source", help="a checkpoint directory (float32)")
    q.add_argument("dest", help="the quantized checkpoint directory to write")
    q.add_argument(
        "--scheme",
        default="int8_static",
        help="int8_weight, int8_dynamic or int8_static (default)",
    )
    q.add_argument("--method", default="minmax", help="static calibration: minmax or percentile")
    q.add_argument("--calibration-size", type=int, default=512, help="train examples to calibrate")
    q.add_argument("--onnx", help="also export an ONNX QDQ model to this path")
    _common(q)
    p = sub.add_parser("prune", help="magnitude-prune a checkpoint with fine-tuning")
    p.add_argument("source", help="a checkpoint directory (float32)")
    p.add_argument("dest", help="the pruned checkpoint directory to write")
    p.add_argument("--sparsity", type=float, default=0.9, help="final sparsity (default 0.9)")
    p.add_argument(
        "--structured",
        action="store_true",
        help="prune whole output channels / units, then shrink the spec",
    )
    p.add_argument("--layers", help="comma-separated layer names (default: every Dense/Conv)")
    p.add_argument("--epochs", type=int, default=4, help="fine-tuning epochs (default 4)")
    p.add_argument("--lr", type=float, default=2e-3, help="fine-tuning Adam learning rate")
    p.add_argument("--batch-size", type=int, default=64)
    _common(p)


def _common(c: argparse.ArgumentParser) -> None:
    c.add_argument("--data", default="digits", help="data set (as for train): test accuracy")
    c.add_argument("--data-dir", help="where tfds/torchvision data sets live")
    c.add_argument("--backend", help="backend to run on (default: the checkpoint's)")
    c.add_argument("--json", dest="json_path", help="also write the report as JSON here")
    c.add_argument("--debug", action="store_true", help="show tracebacks")


def _disk(path: Path) -> int:
    """Bytes of the model tensors of a checkpoint (or the newest one in a directory)."""
    from polyframe.checkpoint.directory import resolve

    return (resolve(path)[0].path / "model.safetensors").stat().st_size


def _accuracy(out: np.ndarray, y: np.ndarray) -> float:
    return float((np.asarray(out).argmax(-1) == y).mean())


def _latency(fn: Any, x: np.ndarray) -> float:
    fn(x)  # warm-up (compilation)
    start = time.perf_counter()
    for _ in range(5):
        fn(x)
    return (time.perf_counter() - start) / 5


def _report(title: str, before: dict, after: dict, args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for col in ("", "before", "after"):
        table.add_column(col, justify="left" if not col else "right")
    fmt = {
        "size_bytes": "{:,}",
        "params": "{:,}",
        "nonzero_params": "{:,}",
        "test_accuracy": "{:.4f}",
        "batch_latency_ms": "{:.2f}",
    }
    for key, f in fmt.items():
        if key in before:
            table.add_row(key, f.format(before[key]), f.format(after[key]))
    for layer, s in after.get("sparsity", {}).items():
        table.add_row(f"sparsity {layer}", f"{before['sparsity'].get(layer, 0):.3f}", f"{s:.3f}")
    Console(width=100).print(table)
    if args.json_path:
        Path(args.json_path).write_text(json.dumps({"before": before, "after": after}, indent=2))
    return 0


def _float_stats(model: Any, path: Path, x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    from polyframe.compress.sparsity import sparsity_of

    params = model.params()
    return {
        "size_bytes": _disk(path),
        "params": int(sum(v.size for v in params.values())),
        "nonzero_params": int(sum(np.count_nonzero(v) for v in params.values())),
        "test_accuracy": _accuracy(model(x), y),
        "batch_latency_ms": 1e3 * _latency(model, x),
        "sparsity": sparsity_of(params, model.spec),
    }


def cmd_quantize(args: argparse.Namespace) -> int:
    """Quantize a checkpoint and report."""
    import polyframe as pf

    model = pf.checkpoint.load(args.source, backend=args.backend)
    (x_train, _), (x_test, y_test) = pf.data.load_train_test(args.data, data_dir=args.data_dir)
    before = _float_stats(model, Path(args.source), x_test, y_test)
    calibration = x_train[: args.calibration_size] if args.scheme == "int8_static" else None
    q = pf.compress.quantize(model, args.scheme, calibration=calibration, method=args.method)
    path = q.save(args.dest)
    after = {
        "size_bytes": _disk(path),
        "params": q.param_count(),
        "nonzero_params": int(sum(np.count_nonzero(v) for v in q.tensors.values())),
        "test_accuracy": _accuracy(q(x_test), y_test),
        "batch_latency_ms": 1e3 * _latency(q, x_test),
    }
    if args.onnx:
        print(f"onnx: {q.export_onnx(args.onnx)}")
    title = f"polyframe quantize {args.scheme} on {q.backend}: wrote {path}"
    return _report(title, before, after, args)


def cmd_prune(args: argparse.Namespace) -> int:
    """Prune a checkpoint with fine-tuning (and shrink it when structured) and report."""
    import polyframe as pf
    from polyframe.compress.sparsity import PolynomialDecay

    model = pf.checkpoint.load(args.source, backend=args.backend)
    (x, y), (x_test, y_test) = pf.data.load_train_test(args.data, data_dir=args.data_dir)
    before = _float_stats(model, Path(args.source), x_test, y_test)
    steps = -(-len(x) // args.batch_size)
    end = max(1, (args.epochs * steps) // 2)  # reach the target half-way, then fine-tune
    layers = args.layers.split(",") if args.layers else None
    prune = pf.compress.Pruning(
        PolynomialDecay(0.0, args.sparsity, 0, end, frequency=max(1, end // 10)),
        structured=args.structured,
        layers=layers,
    )
    trainer = pf.Trainer(model, pf.optim.Adam(lr=args.lr))
    trainer.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, callbacks=[prune])
    result = pf.compress.shrink(model) if args.structured else pf.compress.strip(model)
    path = pf.checkpoint.save(args.dest, result)
    after = _float_stats(result, path, x_test, y_test)
    title = f"polyframe prune to {args.sparsity:.0%} on {model.backend}: wrote {path}"
    return _report(title, before, after, args)
