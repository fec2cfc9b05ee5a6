"""Each backend moves its framework's import-time objects out of the cyclic collector's way
(``polyframe.gc_freeze``), once, and what users build afterwards stays collectable."""

from __future__ import annotations

import json
import subprocess
import sys

_PROBE = """
import gc, json, weakref
import polyframe as pf
pf.backend.get_backend({b!r}).version()
frozen = gc.get_freeze_count()
model = pf.build(pf.models.mlp(), backend={b!r}, seed=0)
pf.backend.get_backend({b!r}).version()
again = gc.get_freeze_count()
class Holder:  # a reference cycle around the model: only the cyclic collector frees it
    pass
holder = Holder()
holder.model, holder.me = model, holder
ref = weakref.ref(holder)
del model, holder
gc.collect()
print(json.dumps({{"frozen": frozen, "again": again, "collected": ref() is None}}))
"""


def test_backend_freezes_its_framework_import_once(backend: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(b=backend)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    probe = json.loads(out.strip().splitlines()[-1])
    # the framework's modules, classes and functions: ~130,000-390,000 objects on this machine
    assert probe["frozen"] > 50_000, probe
    # frozen objects freed by reference counting leave the permanent generation: it may shrink,
    # never grow (a second freeze would take the model's objects in too)
    assert probe["again"] <= probe["frozen"], "building a model or asking again froze more"
    assert probe["collected"], "a model in a reference cycle built after the freeze leaked"
