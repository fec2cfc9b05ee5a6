"""The frameworks' import-time objects, out of the way of Python's cyclic garbage collector.

Importing torch, TensorFlow or JAX leaves 130,000-390,000 container objects (modules, classes,
functions, their dicts) that live as long as the process. CPython's collector walks every one
of them again in each full (generation-2) collection, 0.05-0.19 s apiece on the 2-core machine,
and the first full collection after an import comes due a few thousand allocations later,
during building or training (measured with ``gc.callbacks``: one 0.19 s collection inside
TensorFlow's first step of the digits MLP; two, 0.2 s in all, in torch's build and one-epoch
``fit``; docs/footprint.md has the numbers). So right after a backend has imported its framework, polyframe moves every object
alive at that moment into the collector's permanent generation (``gc.freeze()``, what vLLM and
SGLang do after start-up): later collections skip them. Frozen objects are still freed by
reference counting; only cyclic garbage that already exists at that moment is never collected
(16, 0 and 56 unreachable objects right after importing TensorFlow, JAX and torch).
``POLYFRAME_GC_FREEZE=0`` turns it off.
"""

from __future__ import annotations

import gc
import os

#: Environment variable switching the freeze (``0``: off).
GC_FREEZE_ENV = "POLYFRAME_GC_FREEZE"

_FROZEN: set[str] = set()  # frameworks whose import has been frozen in this process


def gc_freeze_enabled() -> bool:
    """Whether polyframe freezes import-time objects (the default)."""
    value = os.environ.get(GC_FREEZE_ENV, "1").strip().lower()
    return value not in ("0", "false", "no", "off")


def freeze_import_objects(framework: str) -> bool:
    """Move every object alive now into the collector's permanent generation, once per
    ``framework`` per process, right after a backend imported it; returns whether it froze."""
    if framework in _FROZEN or not gc_freeze_enabled():
        return False
    _FROZEN.add(framework)
    gc.freeze()
    return True
