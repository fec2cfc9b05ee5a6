"""A benchmark suite made from the user's own spec (``polyframe bench model.yaml``).

The suite is named ``spec:<batch size>:<spec file or zoo name>`` so that a worker process
rebuilds the same suite from its name alone. Batches are synthetic, as in the built-in suites:
float32 in [0, 1) (token ids below the first Embedding's ``input_dim`` for integer inputs) with
integer labels over the model's last output axis, trained with Adam and softmax cross-entropy.
Only polyframe runs (there is no hand-written loop of a user's model): on every backend.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from polyframe.bench.suite import Suite
from polyframe.errors import ConfigError, SpecError

PREFIX = "spec:"
#: Steps per timing window: enough for a window of a small model to last ~0.1 s.
DEFAULT_STEPS = 20


def is_spec_source(text: str) -> bool:
    """True when ``text`` names a spec file or a zoo model rather than built-in suites."""
    from polyframe.models import ZOO

    return Path(text).suffix in (".yaml", ".yml", ".json") or text in ZOO


def spec_suite_name(source: str, batch_size: int = 32) -> str:
    """The suite name of a spec file (made absolute: workers may run elsewhere) or zoo name."""
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(f"batch size must be a positive int, got {batch_size!r}")
    path = Path(source)
    if path.suffix in (".yaml", ".yml", ".json"):
        if not path.is_file():
            raise ConfigError(f"spec file {source!r} does not exist; give a .yaml/.json spec file")
        source = str(path.resolve())
    return f"{PREFIX}{batch_size}:{source}"


def load(source: str) -> Any:
    """A spec file read with ``load_spec``, or a zoo model built with its defaults."""
    from polyframe.models import ZOO
    from polyframe.spec import load_spec

    if Path(source).suffix in (".yaml", ".yml", ".json"):
        return load_spec(source)
    if source in ZOO:
        return ZOO[source]()
    raise SpecError(
        f"{source!r} is neither a spec file nor a zoo model; give a .yaml/.json spec file or "
        f"one of: {', '.join(sorted(ZOO))}"
    )


def _vocab(spec: Any) -> int:
    """Token ids stay below every Embedding's ``input_dim`` (2 when there is none)."""
    sizes = [getattr(layer, "input_dim", 0) for layer in getattr(spec, "layers", ())]
    return min((s for s in sizes if s), default=2)


def spec_suite_named(name: str) -> Suite:
    """The suite ``spec:<batch>:<source>`` (see :func:`spec_suite_name`)."""
    batch, _, source = name[len(PREFIX) :].partition(":")
    if not batch.isdigit() or not source:
        raise ConfigError(f"a spec suite is named 'spec:<batch>:<spec file or zoo>', got {name!r}")
    spec = load(source)
    integer = "int" in str(getattr(spec, "input_dtype", "float32"))
    return Suite(
        name,
        lambda: load(source),
        int(batch),
        DEFAULT_STEPS,
        f"the spec {getattr(spec, 'name', source)!r}",
        vocab=_vocab(spec) if integer else 0,
        references=(),
    )
