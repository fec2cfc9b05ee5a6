"""Exceptions polyframe raises for user errors.

Every message says what was expected, what was found, and what to do. The CLI prints any
``PolyframeError`` as one line and exits with status 2.
"""

from __future__ import annotations


class PolyframeError(Exception):
    """Base class of every user-facing polyframe error."""


class SpecError(PolyframeError, ValueError):
    """A layer spec or model spec is invalid (raised when the spec is built)."""


class DataError(PolyframeError, ValueError):
    """Input data (arrays, labels, files) does not fit what the model or loader expects."""


class BackendError(PolyframeError, RuntimeError):
    """A backend is unknown, unavailable, or refused a request."""


class ConfigError(PolyframeError, ValueError):
    """An optimizer, loss, metric or trainer option is unknown or out of range."""


class BenchError(PolyframeError, RuntimeError):
    """A benchmark run cannot go on: an implementation failed, or it disagrees with the
    reference on the first step's loss."""


class CheckpointError(PolyframeError, ValueError):
    """A checkpoint is missing, incomplete, corrupted, from a newer polyframe, or does not fit
    the model it is loaded into."""
