"""Model compression in canonical form: int8 post-training quantization and magnitude pruning.

The scheme lives here, backend-neutral: int8 tensors with float32 per-output-channel scales
(quantization) and 0/1 masks (pruning), in the canonical layout. Each backend lowers the
integer arithmetic to its framework's own int8 kernels (``AbstractBackend.quantized_ops``);
the numpy oracle runs the same plan with int32 accumulation. Like the rest of the package,
nothing here imports a framework (or numpy) until it is used (docs/compression.md).
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from polyframe.compress.pruning import Pruning, strip  # noqa: F401
    from polyframe.compress.ptq import quantize  # noqa: F401
    from polyframe.compress.qat import QuantizationAware  # noqa: F401
    from polyframe.compress.qcheckpoint import save_quantized  # noqa: F401
    from polyframe.compress.qmodel import (
        QuantizedModel,  # noqa: F401
        load_quantized,  # noqa: F401
    )
    from polyframe.compress.structured import shrink  # noqa: F401

_LAZY = {
    "quantize": "polyframe.compress.ptq",
    "QuantizedModel": "polyframe.compress.qmodel",
    "save_quantized": "polyframe.compress.qcheckpoint",
    "load_quantized": "polyframe.compress.qmodel",
    "Pruning": "polyframe.compress.pruning",
    "strip": "polyframe.compress.pruning",
    "shrink": "polyframe.compress.structured",
    "QuantizationAware": "polyframe.compress.qat",
}


def __getattr__(name: str) -> object:
    """Load the public names on first use (numpy, never a framework)."""
    import importlib

    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # also shadows a sub-module of the same name
        return value
    raise AttributeError(f"module 'polyframe.compress' has no attribute {name!r}")
