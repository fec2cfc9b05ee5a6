"""The JSON schema of a benchmark result (documented in docs/benchmarks.md) and a small
validator for the subset of JSON Schema it uses: ``type``, ``required``, ``properties``,
``additionalProperties``, ``items``, ``enum``, ``minimum``."""

from __future__ import annotations

from typing import Any

from polyframe.errors import BenchError

_NUM = {"type": "number", "minimum": 0}
_STR = {"type": "string"}
_STATS = {
    "type": "object",
    "required": ["median", "min", "max"],
    "properties": {"median": _NUM, "min": _NUM, "max": _NUM},
}
_RATIO = {
    "type": "object",
    "required": ["median", "of_medians", "best"],
    "properties": {"median": _NUM, "of_medians": _NUM, "best": _NUM},
}
_IMPL = {
    "type": "object",
    "required": [
        "version",
        "device",
        "build_s",
        "first_step_s",
        "first_loss",
        "loss_diff",
        "peak_rss_mb",
        "windows_s",
        "windows_cpu_s",
        "step_ms",
        "cpu_step_ms",
        "steps_per_s",
        "samples_per_s",
        "gflops",
        "peak_fraction",
    ],
    "properties": {
        "version": _STR,
        "device": _STR,
        "build_s": _NUM,
        "first_step_s": _NUM,
        "first_loss": {"type": "number"},
        "loss_diff": {"type": "number", "minimum": 0, "maximum": 1e-5},
        "peak_rss_mb": _NUM,
        "windows_s": {"type": "array", "items": _NUM},
        "windows_cpu_s": {"type": "array", "items": _NUM},
        "step_ms": _STATS,
        "cpu_step_ms": _STATS,
        "steps_per_s": _NUM,
        "samples_per_s": _NUM,
        "gflops": _NUM,
        "peak_fraction": _NUM,
    },
}
_GROUP = {
    "type": "object",
    "required": [
        "suite",
        "backend",
        "batch_size",
        "steps_per_window",
        "flops_per_step",
        "reference_loss",
        "implementations",
        "ratios",
        "cpu_ratios",
        "targets",
    ],
    "properties": {
        "suite": _STR,
        "backend": _STR,
        "batch_size": {"type": "integer", "minimum": 1},
        "steps_per_window": {"type": "integer", "minimum": 1},
        "flops_per_step": {"type": "integer", "minimum": 0},
        "reference_loss": _NUM,
        "loss_check": _STR,
        "implementations": {
            "type": "object",
            "required": ["polyframe"],
            "additionalProperties": _IMPL,
        },
        "ratios": {"type": "object", "additionalProperties": _RATIO},
        "cpu_ratios": {"type": "object", "additionalProperties": _RATIO},
        "overhead_us": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["median", "of_medians"],
                "properties": {"median": {"type": "number"}, "of_medians": {"type": "number"}},
            },
        },
        "targets": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["max", "met"],
                "properties": {"max": _NUM, "met": {"type": "boolean"}},
            },
        },
    },
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["schema", "created", "machine", "config", "groups", "elapsed_s"],
    "properties": {
        "schema": {"enum": ["polyframe.bench/1"]},
        "created": _STR,
        "mode": {"enum": ["suites", "overhead", "spec"]},
        "machine": {
            "type": "object",
            "required": [
                "cpu",
                "cores",
                "threads",
                "python",
                "numpy",
                "load_before",
                "load_after",
                "matmul_peak_gflops",
            ],
            "properties": {
                "cpu": _STR,
                "cores": {"type": "integer", "minimum": 1},
                "threads": {"type": "integer", "minimum": 1},
                "allocator": _STR,
                "load_before": {"type": "array", "items": _NUM},
                "load_after": {"type": "array", "items": _NUM},
                "matmul_peak_gflops": _NUM,
            },
        },
        "config": {
            "type": "object",
            "required": ["suites", "backends", "against", "rounds", "warmup_steps", "seed"],
            "properties": {
                "suites": {"type": "array", "items": _STR},
                "backends": {"type": "array", "items": _STR},
                "against": {"type": "array", "items": {"enum": ["docs", "tuned", "keras"]}},
                "rounds": {"type": "integer", "minimum": 1},
                "warmup_steps": {"type": "integer", "minimum": 0},
                "seed": {"type": "integer", "minimum": 0},
            },
        },
        "groups": {"type": "array", "items": _GROUP},
        "import": {
            "type": "object",
            "required": ["median_ms", "min_ms", "frameworks_loaded"],
            "properties": {
                "median_ms": _NUM,
                "min_ms": _NUM,
                "frameworks_loaded": {"type": "array", "items": _STR},
            },
        },
        "train": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["backend", "reached"],
                "properties": {
                    "backend": _STR,
                    "reached": {"type": "boolean"},
                    "seconds": _NUM,
                    "epochs": {"type": "integer", "minimum": 1},
                    "test_accuracy": _NUM,
                    "process_s": _NUM,
                },
            },
        },
        "elapsed_s": _NUM,
    },
}

_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "integer": int,
    "number": (int, float),
    "null": type(None),
}


def errors(doc: Any, schema: dict[str, Any] = SCHEMA, path: str = "$") -> list[str]:
    """Every way ``doc`` breaks ``schema``, as ``'<path>: <what>'`` lines (empty: valid)."""
    out: list[str] = []
    kind = schema.get("type")
    if kind is not None:
        ok = isinstance(doc, _TYPES[kind]) and not (
            kind in ("integer", "number") and isinstance(doc, bool)
        )
        if not ok:
            return [f"{path}: expected {kind}, found {type(doc).__name__}"]
    if "enum" in schema and doc not in schema["enum"]:
        out.append(f"{path}: expected one of {schema['enum']}, found {doc!r}")
    if isinstance(doc, (int, float)) and not isinstance(doc, bool):
        if "minimum" in schema and doc < schema["minimum"]:
            out.append(f"{path}: {doc} is below the minimum {schema['minimum']}")
        if "maximum" in schema and doc > schema["maximum"]:
            out.append(f"{path}: {doc} is above the maximum {schema['maximum']}")
    if isinstance(doc, dict):
        out += [f"{path}: missing key {k!r}" for k in schema.get("required", ()) if k not in doc]
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, value in doc.items():
            sub = props.get(key, extra if isinstance(extra, dict) else None)
            if sub is not None:
                out += errors(value, sub, f"{path}.{key}")
    if isinstance(doc, list) and "items" in schema:
        for i, item in enumerate(doc):
            out += errors(item, schema["items"], f"{path}[{i}]")
    return out


def validate(doc: Any) -> None:
    """Raise BenchError listing every schema violation of a benchmark result."""
    problems = errors(doc)
    if problems:
        shown = "; ".join(problems[:5])
        raise BenchError(
            f"the benchmark result does not match schema polyframe.bench/1: {shown}"
            + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
        )
