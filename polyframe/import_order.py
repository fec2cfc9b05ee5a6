"""Import order between frameworks: triton after TensorFlow, without a crash and without
paying for torch.

triton's native library (``triton._C.libtriton``, loaded by ``torch.compile``, torchvision and
``import triton``) bundles its own LLVM. Loaded after TensorFlow, whose libraries export LLVM
symbols process-wide, its LLVM binds to TensorFlow's and the process dies with a segmentation
fault (torch 2.14 / triton 3.8 / TensorFlow 2.21). Plain torch after TensorFlow is fine.

Rather than import torch and triton before every TensorFlow (~0.7 GB and seconds for a process
that may never use torch), :func:`guard_triton_import` installs an import hook that costs
nothing until triton is imported: if TensorFlow is loaded by then, triton's native modules are
opened with ``RTLD_DEEPBIND`` so that they bind to their own LLVM first. Where the platform has
no ``RTLD_DEEPBIND`` (macOS and Windows resolve symbols per library anyway) the hook is not
installed. ``POLYFRAME_TRITON_GUARD=0`` turns it off; polyframe then raises a one-line error
rather than crash where it would load triton itself (the torchvision source).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from typing import Any

from polyframe.errors import DataError

#: Native modules opened with ``RTLD_DEEPBIND`` when they load after TensorFlow.
DEEPBIND_PREFIX = "triton._C."
#: Set to ``0`` to leave triton's import alone.
GUARD_ENV = "POLYFRAME_TRITON_GUARD"


class _DeepBindLoader(importlib.abc.Loader):
    """Wraps an extension module's loader: opens the shared library with ``RTLD_DEEPBIND``."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Any:
        old = sys.getdlopenflags()
        sys.setdlopenflags(old | os.RTLD_DEEPBIND)
        try:
            return self._loader.create_module(spec)
        finally:
            sys.setdlopenflags(old)

    def exec_module(self, module: Any) -> None:
        self._loader.exec_module(module)


class TritonAfterTensorFlowFinder(importlib.abc.MetaPathFinder):
    """Finds ``triton._C.*`` extension modules the usual way and, when TensorFlow is already
    loaded, has them opened with ``RTLD_DEEPBIND``; every other import passes through."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if not fullname.startswith(DEEPBIND_PREFIX) or "tensorflow" not in sys.modules:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or not isinstance(spec.loader, importlib.machinery.ExtensionFileLoader):
            return spec
        spec.loader = _DeepBindLoader(spec.loader)
        return spec


def _guard_wanted() -> bool:
    return hasattr(os, "RTLD_DEEPBIND") and os.environ.get(GUARD_ENV, "1") != "0"


def guard_installed() -> bool:
    """Whether the triton-after-TensorFlow hook is in ``sys.meta_path``."""
    return any(isinstance(f, TritonAfterTensorFlowFinder) for f in sys.meta_path)


def guard_triton_import() -> None:
    """Make triton safe to import after TensorFlow in this process (installs the hook once;
    imports nothing). Called before polyframe imports TensorFlow, torch or torchvision."""
    if _guard_wanted() and not guard_installed():
        sys.meta_path.insert(0, TritonAfterTensorFlowFinder())


#: The former name (it imported torch and triton before TensorFlow); now the same hook.
prepare_for_tensorflow = guard_triton_import


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def check_torchvision_importable() -> None:
    """Install the hook before torchvision loads triton; when it is turned off (or the
    platform lacks ``RTLD_DEEPBIND``) and TensorFlow is already loaded on Linux, raise a
    clear error rather than crash."""
    guard_triton_import()
    if (
        not guard_installed()
        and sys.platform.startswith("linux")
        and "torchvision" not in sys.modules
        and "tensorflow" in sys.modules
        and "triton" not in sys.modules
        and _installed("triton")
    ):
        raise DataError(
            "TensorFlow is already imported, and loading torchvision now (it loads triton) "
            f"would crash the process ({GUARD_ENV}=0 turned polyframe's guard off); import "
            "torchvision (or triton) before tensorflow, e.g. `import torchvision` at the top "
            "of the script"
        )
