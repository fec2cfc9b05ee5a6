"""Forward passes through a cached graph function per (model, training mode).

A traced ``tf.function`` (no XLA) keeps Keras' grouped convolution from re-tracing its inner
XLA kernel on every eager call, and avoids eager per-op dispatch. ``reduce_retracing`` lets one
trace serve every batch size.
"""

from __future__ import annotations

import functools
import weakref
from typing import Any, Callable

from polyframe_tensorflow._env import tf

_FUNCTIONS: weakref.WeakKeyDictionary[Any, dict[bool, Callable[[Any], Any]]] = (
    weakref.WeakKeyDictionary()
)


def forward(model: Any, x: Any, training: bool = False) -> Any:
    """``model(x, training=training)`` through a cached graph function."""
    fns = _FUNCTIONS.setdefault(model, {})
    fn = fns.get(training)
    if fn is None:
        # a partial (no __code__) keeps TF's retracing detector per model, not per module
        call = functools.partial(_call, weakref.ref(model), training)
        fn = fns[training] = tf.function(call, reduce_retracing=True)
    return fn(x)


def _call(ref: Callable[[], Any], training: bool, inputs: Any) -> Any:
    return ref()(inputs, training=training)
