"""The checkpoint parts of the ``polyframe`` command: ``train --checkpoint-dir/--resume``,
``convert`` and ``export``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from polyframe.errors import PolyframeError


def add_checkpoint_arguments(t: argparse.ArgumentParser) -> None:
    """``--checkpoint-dir``, ``--resume``, ``--keep-last``, ``--every``, ``--every-steps`` on
    ``train``."""
    t.add_argument("--checkpoint-dir", help="save a crash-safe checkpoint here after every epoch")
    t.add_argument(
        "--resume",
        action="store_true",
        help="continue from the newest checkpoint in --checkpoint-dir that verifies",
    )
    t.add_argument("--keep-last", type=int, default=3, help="checkpoints to keep (default 3)")
    t.add_argument("--every", type=int, default=1, help="save every N epochs (default 1)")
    t.add_argument(
        "--every-steps",
        type=int,
        default=None,
        metavar="K",
        help="also save every K optimizer steps, inside an epoch too (--resume then continues "
        "mid-epoch)",
    )


def add_subcommands(sub: Any) -> None:
    """The ``convert`` and ``export`` sub-commands."""
    c = sub.add_parser(
        "convert",
        help="checkpoint <-> native weights (.pt/.pth/.safetensors torch, .weights.h5 Keras, "
        ".msgpack Flax NNX)",
    )
    c.add_argument("source", help="a checkpoint directory or a native weight file")
    c.add_argument("dest", help="a native weight file, or a new checkpoint directory")
    c.add_argument("--spec", help="the model spec (.yaml/.json), needed to read native weights")
    c.add_argument("--backend", help="backend of the written checkpoint (default: the file's)")
    c.add_argument(
        "--flatten-order",
        choices=("chw", "hwc"),
        help="torch files: the order a Flatten the spec cannot place flattens in",
    )
    c.add_argument("--debug", action="store_true", help="show tracebacks")
    e = sub.add_parser("export", help="export a checkpoint for inference with its framework")
    e.add_argument("source", help="a checkpoint directory")
    e.add_argument("dest", help="the artifact (.pt2, .onnx, .jax_export, or a directory)")
    e.add_argument(
        "--format",
        help="torch.export, onnx, saved_model or jax.export (default: from the name or the "
        "checkpoint's backend)",
    )
    e.add_argument("--debug", action="store_true", help="show tracebacks")


def checkpoint_dir(args: argparse.Namespace, backend: str) -> Path | None:
    """The directory of one backend's checkpoints (a sub-directory per backend when several
    backends train in one command)."""
    if not args.checkpoint_dir:
        return None
    base = Path(args.checkpoint_dir)
    return base / backend if getattr(args, "several_backends", False) else base


def checkpointing(
    args: argparse.Namespace, backend: str, announce: bool = True
) -> tuple[list[Any], Path | None]:
    """The callbacks and the checkpoint to resume from for one backend's run; prints which
    checkpoint it resumes from and which newer ones it skipped, and why (``announce`` False:
    silently, as the other workers of a data-parallel job do)."""
    import polyframe as pf

    directory = checkpoint_dir(args, backend)
    if directory is None:
        if args.resume:
            raise PolyframeError("--resume needs --checkpoint-dir DIR (where the checkpoints are)")
        return [], None
    every_steps = getattr(args, "every_steps", None)
    if every_steps is not None and every_steps < 1:
        raise PolyframeError(f"--every-steps must be a positive number of steps, got {every_steps}")
    callbacks = [
        pf.callbacks.ModelCheckpoint(
            directory,
            every_n_epochs=args.every,
            keep_last=args.keep_last,
            every_n_steps=every_steps,
        )
    ]
    if not args.resume:
        return callbacks, None
    ckpt, skipped = pf.checkpoint.newest_valid(directory)
    for path, why in skipped if announce else ():
        print(f"polyframe: skipped checkpoint {path}: {why}", file=sys.stderr)
    if ckpt is None:
        if announce:
            print(f"{backend}: no checkpoint in {directory} to resume from; starting at epoch 0")
        return callbacks, None
    training = ckpt.training
    if announce:
        print(
            f"{backend}: resuming from {ckpt.path} (epoch {training.get('epoch')}, step "
            f"{training.get('global_step')}{_inside(training)}, written by "
            f"{ckpt.manifest.get('backend')})"
        )
    return callbacks, ckpt.path


def _inside(training: dict[str, Any]) -> str:
    """``", 3 steps into the next epoch"`` for a mid-epoch checkpoint."""
    step = training.get("step_in_epoch") or 0
    return f", {step} steps into the next epoch" if step else ""


def _is_native(path: str) -> bool:
    from polyframe.interop import weights_backend

    return weights_backend(path) is not None and not Path(path).is_dir()


def cmd_convert(args: argparse.Namespace) -> int:
    """Checkpoint -> native weights, native weights (+ spec) -> checkpoint, or checkpoint ->
    checkpoint (re-labelled for another backend)."""
    import polyframe as pf

    if _is_native(args.source):
        if not args.spec:
            raise PolyframeError(
                f"reading native weights {args.source!r} needs the model's spec: add --spec FILE"
            )
        model = pf.interop.import_weights(
            pf.load_spec(args.spec), args.source, flatten_order=args.flatten_order
        )
    else:
        model = pf.checkpoint.load(args.source)
    if args.backend:
        model = pf.interop.on_backend(model, args.backend)
    if _is_native(args.dest):
        pf.interop.export_weights(model, args.dest, flatten_order=args.flatten_order)
        kind = f"{pf.interop.weights_backend(args.dest)} native weights"
    else:
        pf.checkpoint.save(args.dest, model)
        kind = f"a polyframe checkpoint ({model.backend})"
    print(f"wrote {args.dest}: {kind}, {len(model.params())} canonical tensors")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Export a checkpoint's model for inference."""
    import polyframe as pf

    model = pf.checkpoint.load(args.source)
    fmt = pf.interop.export_format(args.dest, args.format, model.backend)
    path = model.export(args.dest, format=fmt)
    print(f"wrote {path}: {fmt}")
    return 0
