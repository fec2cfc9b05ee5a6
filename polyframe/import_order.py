"""Import order between frameworks, for the sources that load them.

In one process, torch and triton (which torchvision and ``torch.compile`` load) must be
imported before TensorFlow: loading triton after TensorFlow crashes the interpreter with a
segmentation fault (seen with torch 2.14 / triton and TensorFlow 2.21), and PARITY.md records
the same for torch itself.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

from polyframe.errors import DataError

#: Modules to load before TensorFlow when they are installed, in this order.
BEFORE_TENSORFLOW = ("torch", "triton")


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def prepare_for_tensorflow() -> None:
    """Import torch and triton (when installed) if TensorFlow is not loaded yet."""
    if "tensorflow" in sys.modules:
        return
    for name in BEFORE_TENSORFLOW:
        if name not in sys.modules and _installed(name):
            importlib.import_module(name)


def check_torchvision_importable() -> None:
    """Raise a clear error, rather than crash, when torchvision would load triton after
    TensorFlow."""
    if (
        "torchvision" not in sys.modules
        and "tensorflow" in sys.modules
        and "triton" not in sys.modules
        and _installed("triton")
    ):
        raise DataError(
            "TensorFlow is already imported, and loading torchvision now (it loads triton) "
            "would crash the process; import torchvision (or triton) before tensorflow, e.g. "
            "`import torchvision` at the top of the script"
        )
