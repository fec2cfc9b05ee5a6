"""``--plugin MODULE`` for the ``train``, ``tune`` and ``export`` sub-commands: import the
modules that define user layers, losses and metrics before anything is read."""

from __future__ import annotations

import argparse
from typing import Any, Iterable


def add_plugin_arguments(parsers: Iterable[Any]) -> None:
    """Add the repeatable ``--plugin`` option to each sub-command parser."""
    for parser in parsers:
        parser.add_argument(
            "--plugin",
            action="append",
            default=[],
            metavar="MODULE",
            help="import MODULE (a module name or a .py file) that registers user layers, "
            "losses or metrics; repeatable",
        )


def add_loss_arguments(parser: Any) -> None:
    """``--loss NAME`` and repeatable ``--metric NAME`` (built-in or registered by a plug-in)
    for ``train``."""
    parser.add_argument(
        "--loss", default="cross_entropy",
        help="loss name, built-in or from a --plugin; for a model with several outputs one "
        "per output as NAME=LOSS,NAME=LOSS (e.g. cls=cross_entropy,reg=mse)",
    )  # fmt: skip
    parser.add_argument(
        "--loss-weights", default=None, metavar="NAME=W,...",
        help="weights of the per-output losses (several outputs; 1 each by default)",
    )  # fmt: skip
    parser.add_argument(
        "--metric", action="append", default=[], metavar="NAME",
        help="extra metric besides accuracy (built-in or from a --plugin); repeatable",
    )  # fmt: skip


def load_cli_plugins(args: argparse.Namespace) -> None:
    """Import every ``--plugin`` of the parsed command line (a no-op without the option)."""
    from polyframe.plugins import load_plugins

    load_plugins(getattr(args, "plugin", None) or [])
