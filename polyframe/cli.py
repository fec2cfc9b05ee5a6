"""The ``polyframe`` command: ``info``, ``train``, ``plot``, ``tune``, ``bench``, ``convert``
and ``export``.

User errors print one line and exit with status 2; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from polyframe.cli_distributed import add_arguments as add_distributed_arguments
from polyframe.cli_distributed import train_distributed, wants_distributed
from polyframe.errors import PolyframeError
from polyframe.recipe import DEFAULTS


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        self.exit(2, f"polyframe: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="polyframe", description="Write a model once; train it on any framework.")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("info", help="installed backends, versions and devices")
    t = _add_train_parser(sub)
    pl = sub.add_parser("plot", help="draw loss and metrics per epoch from a history JSON")
    pl.add_argument("history", help="JSON from `polyframe train --json` or History.to_json()")
    pl.add_argument("-o", "--output", help="PNG path (default: HISTORY with .png)")
    pl.add_argument("--debug", action="store_true", help="show tracebacks")
    _add_tune_parser(sub)
    from polyframe.cli_bench import add_subcommands as add_bench_subcommands

    add_bench_subcommands(sub)
    from polyframe.cli_checkpoint import add_checkpoint_arguments, add_subcommands
    from polyframe.cli_porting import add_subcommands as add_porting_subcommands

    add_checkpoint_arguments(t)
    add_subcommands(sub)
    add_porting_subcommands(sub)
    from polyframe.cli_plugins import add_loss_arguments, add_plugin_arguments

    add_plugin_arguments(sub.choices[n] for n in ("train", "tune", "export"))
    add_loss_arguments(t)
    from polyframe import cli_compress

    cli_compress.add_subcommands(sub)
    p.commands = sub  # main() reports unknown arguments through the sub-command's parser
    return p


def _add_train_parser(sub: Any) -> argparse.ArgumentParser:
    t = sub.add_parser(
        "train", help="train a spec (default: an MLP on digits) on one or all backends"
    )
    t.add_argument("spec", nargs="?", help="spec file (.yaml/.json); default: the digits MLP")
    t.add_argument(
        "--backend",
        default=os.environ.get("POLYFRAME_BACKEND", "all"),
        help="torch, tensorflow, jax or all (default: $POLYFRAME_BACKEND or all)",
    )
    t.add_argument(
        "--data",
        default="digits",
        help="data set: digits, tfds:NAME, torchvision:MNIST|FashionMNIST|CIFAR10, npz:PATH, "
        "tsv:PATH / csv:PATH, textdir:ROOT, audiodir:ROOT (options as NAME?key=value&...; "
        "docs/data.md, docs/text-and-speech.md)",
    )
    t.add_argument(
        "--data-dir", help="where the data set's files are (tfds data_dir, torchvision root)"
    )
    t.add_argument("--download", action="store_true", help="fetch the data set if it is missing")
    t.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
    t.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"])
    t.add_argument("--lr", type=float, default=DEFAULTS["lr"])
    t.add_argument(
        "--optimizer", default=DEFAULTS["optimizer"], help="sgd, adam, adamw, rmsprop, adagrad"
    )
    t.add_argument("--momentum", type=float, help="SGD / RMSprop momentum")
    t.add_argument("--weight-decay", type=float, default=DEFAULTS["weight_decay"])
    t.add_argument(
        "--schedule",
        default=DEFAULTS["schedule"],
        help="constant, step, exponential, cosine, warmup_cosine, one_cycle",
    )
    t.add_argument("--warmup-steps", type=int, help="for --schedule warmup_cosine")
    t.add_argument("--clip-norm", type=float, help="clip gradients to this global norm")
    t.add_argument("--clip-value", type=float, help="clip each gradient element to +-value")
    t.add_argument("--label-smoothing", type=float, default=0.0)
    t.add_argument("--accum-steps", type=int, default=1, help="micro-batches per step")
    t.add_argument("--steps-per-execution", type=int, default=1)
    t.add_argument(
        "--precision",
        default="float32",
        help="float32, bfloat16 or float16 (float16: dynamic loss scaling)",
    )
    t.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    t.add_argument(
        "--threads", type=int, help="threads per pool in every framework (pf.set_threads)"
    )
    t.add_argument("--json", dest="json_path", help="write results and histories to this JSON file")
    t.add_argument("--plot", dest="plot_path", help="draw the training curves into this PNG")
    t.add_argument("--debug", action="store_true", help="show tracebacks")
    add_distributed_arguments(t)
    return t


def _add_tune_parser(sub: Any) -> None:
    u = sub.add_parser(
        "tune", help="search hyper-parameters and structure of a spec with Optuna (docs/tune.md)"
    )
    u.add_argument("spec", help="spec file (.yaml/.json) or zoo model name (mlp, cifar_cnn)")
    u.add_argument("--space", required=True, help="search-space YAML file")
    u.add_argument(
        "--data", default="digits", help="data set (as for train); tunes on its train split"
    )
    u.add_argument("--data-dir", help="where the data set's files are")
    u.add_argument("--download", action="store_true", help="fetch the data set if it is missing")
    u.add_argument(
        "--backend",
        default=os.environ.get("POLYFRAME_BACKEND"),
        help="torch, tensorflow, jax, or all (the backend becomes one more categorical dimension)",
    )
    u.add_argument("--trials", type=int, default=20, help="finished trials the study should hold")
    u.add_argument("--epochs", type=int, default=10, help="epochs per trial")
    u.add_argument("--seed", type=int, default=DEFAULTS["seed"], help="sampler and training seed")
    u.add_argument("--sampler", default="tpe", choices=("tpe", "random", "grid"))
    u.add_argument("--pruner", default="median", choices=("median", "hyperband", "none"))
    u.add_argument("--storage", help="e.g. sqlite:///study.db: resumable, shared by workers")
    u.add_argument("--study-name", help="name of the study in --storage (default: from the spec)")
    u.add_argument("--monitor", default="val_accuracy", choices=("val_accuracy", "val_loss"))
    u.add_argument("--val-fraction", type=float, default=0.2, help="held-out part of train data")
    u.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"], help="unless tuned")
    u.add_argument("--lr", type=float, default=DEFAULTS["lr"], help="unless tuned")
    u.add_argument("--optimizer", default=DEFAULTS["optimizer"], help="unless tuned")
    u.add_argument("--out", default="tune-results", help="directory for best_spec.yaml etc.")
    u.add_argument("--json", dest="json_path", help="also write the summary to this JSON file")
    u.add_argument("--plot", help="write PNG plots (history, importances) into this directory")
    u.add_argument("--quiet", action="store_true", help="no line per trial")
    u.add_argument("--debug", action="store_true", help="show tracebacks")


def cmd_tune(args: argparse.Namespace) -> int:
    """Run (or resume) a study, then write the best spec, the trials table and the summary."""
    from polyframe.tune import tune

    result = tune(
        args.spec,
        args.space,
        args.data,
        backend=args.backend,
        trials=args.trials,
        epochs=args.epochs,
        seed=args.seed,
        sampler=args.sampler,
        pruner=args.pruner,
        storage=args.storage,
        study_name=args.study_name,
        optimizer=args.optimizer,
        lr=args.lr,
        batch_size=args.batch_size,
        monitor=args.monitor,
        val_fraction=args.val_fraction,
        data_dir=args.data_dir,
        download=args.download,
        verbose=0 if args.quiet else 1,
    )
    paths = result.save(args.out)
    summary = json.loads(paths["summary"].read_text())
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(summary, indent=2, default=str) + "\n")
    if args.plot:
        paths.update(result.plot(args.plot))
    counts = ", ".join(f"{n} {state}" for state, n in sorted(result.counts.items()))
    print(
        f"best {result.monitor} {result.best_value:.4f} (trial {summary['best_trial']}; {counts})"
    )
    for name, value in result.best_params.items():
        print(f"  {name} = {value}")
    print("files: " + ", ".join(str(p) for p in paths.values()))
    print(f"train it: {summary['train_command']}")
    return 0


def _backends(choice: str) -> list[str]:
    from polyframe.backend import backend_status, canonical_name, get_backend, list_backends

    if choice != "all":
        return [get_backend(choice).name]
    names = [n for n in ("torch", "tensorflow", "jax") if n in list_backends()]
    names += [n for n in list_backends() if n not in names]
    usable = [n for n in names if backend_status(canonical_name(n))[0]]
    if not usable:
        raise PolyframeError("no backend is usable; install one with pip install 'polyframe[all]'")
    return usable


def cmd_info(args: argparse.Namespace) -> int:
    """Print every backend found, with its version and devices or why it is unavailable."""
    import polyframe
    from polyframe.backend import backend_status, get_backend, list_backends

    print(f"polyframe {polyframe.__version__}")
    for name in list_backends():
        ok, why = backend_status(name)
        if ok:
            be = get_backend(name)
            print(f"  {name:<11} {be.version():<40} devices: {', '.join(be.devices())}")
        else:
            print(f"  {name:<11} unavailable: {why}")
    from polyframe.threads import describe_line

    print(f"  {describe_line()}")
    return 0


def _train_one(backend: str, spec: Any, data: Any, args: argparse.Namespace) -> dict[str, Any]:
    from polyframe.cli_checkpoint import checkpointing
    from polyframe.recipe import train_one

    callbacks, resume_from = checkpointing(args, backend)
    row = train_one(backend, spec, data, args, callbacks=callbacks, resume_from=resume_from)
    row.pop("is_main")
    return row


def cmd_plot(args: argparse.Namespace) -> int:
    """Draw the curves of a history JSON into a PNG and print its path."""
    from polyframe.plot import load_histories, plot_histories

    out = args.output or str(Path(args.history).with_suffix(".png"))
    print(plot_histories(load_histories(args.history), out, title=Path(args.history).name))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """Train on each chosen backend and print one table row per backend."""
    import polyframe as pf
    from polyframe import recipe
    from polyframe.models import mlp

    if args.threads is not None:  # before any framework loads (a tfds: source loads one)
        pf.set_threads(args.threads)
    if wants_distributed(args):
        return train_distributed(args, args.argv)
    data = pf.data.load_train_test(args.data, data_dir=args.data_dir, download=args.download)
    if args.spec:  # (its targets may be a dict by output name: polyframe/multi_io.py)
        spec = pf.load_spec(args.spec)
    else:
        classes = int(max(data[0][1].max(), data[1][1].max())) + 1
        spec = mlp(data[0][0].shape[1:], classes=classes)
    recipe.optimizer(args), recipe.schedule(args)  # bad names fail before any training
    names = _backends(args.backend)
    args.several_backends = len(names) > 1  # then each backend checkpoints into DIR/<backend>
    rows = [_train_one(name, spec, data, args) for name in names]
    _print_table(rows, args)
    if args.plot_path:
        from polyframe.plot import plot_histories

        runs = {r["backend"]: r["history"] for r in rows}
        print(f"curves: {plot_histories(runs, args.plot_path, title=args.spec or 'mlp')}")
    if args.json_path:
        Path(args.json_path).write_text(
            json.dumps(
                {"args": {k: v for k, v in vars(args).items() if k != "argv"}, "runs": rows},
                indent=2,
                default=str,
            )
        )
    return 0


def _print_table(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    from polyframe.recipe import print_table

    print_table(rows, f"polyframe train: {args.spec or 'mlp'} on {args.data}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``polyframe`` command."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # reported by the sub-command, so the hint names its --help
        parser.commands.choices[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    args.argv = argv  # what data-parallel workers re-run
    debug = args.debug or "--debug" in argv
    try:
        from polyframe.cli_bench import cmd_bench
        from polyframe.cli_checkpoint import cmd_convert, cmd_export
        from polyframe.cli_plugins import load_cli_plugins
        from polyframe.cli_porting import cmd_diff, cmd_import_native

        load_cli_plugins(args)
        from polyframe.cli_compress import cmd_prune, cmd_quantize

        return {
            "info": cmd_info,
            "train": cmd_train,
            "plot": cmd_plot,
            "tune": cmd_tune,
            "bench": cmd_bench,
            "convert": cmd_convert,
            "export": cmd_export,
            "import-native": cmd_import_native,
            "diff": cmd_diff,
            "quantize": cmd_quantize,
            "prune": cmd_prune,
        }[args.command](args)
    except PolyframeError as exc:
        if debug:
            raise
        print(f"polyframe: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("polyframe: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
