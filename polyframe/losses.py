"""Loss specs and the checks that a loss fits the model output and the labels.

Every loss is a per-sample loss ``l_i`` reduced as ``sum_i(w_i * l_i) / N`` over a batch of
``N``, where ``w_i`` is the sample weight (1 by default; ``class_weight[y_i]`` times
``sample_weight_i`` when given). This is Keras' ``sum_over_batch_size`` reduction; it makes a
batch the exact mean of its micro-batches, which gradient accumulation relies on.

- ``cross_entropy``: softmax cross-entropy from logits. Labels are integer class ids ``(N,)``
  or one-hot / soft targets ``(N, classes)``. ``label_smoothing=e`` mixes the target with the
  uniform distribution: ``q = (1 - e) * target + e / classes``; ``l_i = -sum_c q_c log p_c``.
- ``binary_cross_entropy``: sigmoid cross-entropy from logits, targets in [0, 1] with the
  model output's shape; mean over each sample's elements.
- ``mse``, ``mae``: mean squared / absolute error over each sample's elements.
- ``huber``: ``0.5 d^2`` where ``|d| <= delta``, else ``delta (|d| - 0.5 delta)``; mean over
  each sample's elements.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from polyframe.errors import ConfigError, DataError


@dataclass(frozen=True)
class Loss:
    """A loss: ``name`` plus its options. Backends read the fields; they never take strings."""

    name: str = "cross_entropy"
    label_smoothing: float = 0.0
    class_weight: tuple[float, ...] | None = None
    delta: float = 1.0

    def __post_init__(self) -> None:
        if self.name not in LOSSES and self.name not in _CUSTOM:
            raise ConfigError(f"unknown loss {self.name!r}; known: {', '.join(known_losses())}")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ConfigError(f"label_smoothing must be in [0, 1), got {self.label_smoothing!r}")
        if self.label_smoothing and self.name != "cross_entropy":
            raise ConfigError(f"label_smoothing applies to 'cross_entropy' only, not {self.name!r}")
        if self.delta <= 0:
            raise ConfigError(f"huber delta must be > 0, got {self.delta!r}")

    @property
    def classification(self) -> bool:
        """True for losses whose targets are classes (accuracy and friends apply)."""
        custom = _CUSTOM.get(self.name)
        if custom is not None:
            return custom.classification
        return self.name in ("cross_entropy", "binary_cross_entropy")


#: The canonical loss names (see the module docstring).
LOSSES = ("cross_entropy", "binary_cross_entropy", "mse", "mae", "huber")


@dataclass(frozen=True)
class CustomLoss:
    """A loss registered by name: ``fn(y_true, y_pred) -> (N,)`` per-sample losses written in
    ``pf.ops`` (so it runs natively on every backend and in numpy). ``classification``: the
    targets are class ids (or one-hot rows) and the output holds one logit per class."""

    name: str
    fn: Callable[[Any, Any], Any]
    classification: bool = False


_CUSTOM: dict[str, CustomLoss] = {}


def register_loss(name: str, classification: bool = False) -> Callable[[Callable], Callable]:
    """Decorator: make ``fn(y_true, y_pred) -> per-sample loss (N,)`` (in ``pf.ops``) a loss
    usable by name in ``Trainer(loss=name)`` and ``polyframe train --loss``. The batch loss is
    ``sum_i(w_i * l_i) / N`` as for the built-in losses.

    >>> @register_loss("focal", classification=True)
    ... def focal(y_true, logits): ...
    """

    def wrap(fn: Callable) -> Callable:
        if name in LOSSES or (name in _CUSTOM and _CUSTOM[name].fn is not fn):
            raise ConfigError(f"loss {name!r} is already registered; choose another name")
        _CUSTOM[name] = CustomLoss(name, fn, classification)
        return fn

    return wrap


def custom_loss(name: str) -> CustomLoss | None:
    """The registered custom loss called ``name`` (None for built-in or unknown names)."""
    return _CUSTOM.get(name)


def known_losses() -> tuple[str, ...]:
    """Built-in and registered loss names."""
    return LOSSES + tuple(sorted(_CUSTOM))


def get_loss(loss: str | Loss, **options: object) -> Loss:
    """A :class:`Loss` from a name or an existing one (``options``: label_smoothing, delta)."""
    if isinstance(loss, Loss):
        return loss
    if not isinstance(loss, str) or (loss not in LOSSES and loss not in _CUSTOM):
        raise ConfigError(f"unknown loss {loss!r}; known: {', '.join(known_losses())}")
    return Loss(loss, **options)  # type: ignore[arg-type]


def check_loss(name: str | Loss) -> str:
    """Return the canonical loss name or raise listing the known ones."""
    return get_loss(name).name


def check_output(loss: Loss, output_shape: tuple[int, ...]) -> None:
    """Raise when the model's output shape cannot feed ``loss``, naming both shapes."""
    if loss.name in _CUSTOM:
        check_output(Loss("cross_entropy" if loss.classification else "mse"), output_shape)
        return
    if loss.name == "cross_entropy" and (len(output_shape) != 1 or output_shape[0] < 2):
        raise ConfigError(
            f"loss 'cross_entropy' needs model outputs of shape (classes,) with classes >= 2, "
            f"but the model outputs {output_shape}; use 'binary_cross_entropy' for one logit"
        )
    if loss.class_weight is not None:
        if loss.name != "cross_entropy" and not (
            loss.name == "binary_cross_entropy" and len(loss.class_weight) == 2
        ):
            raise ConfigError(
                "class_weight needs 'cross_entropy' (one weight per class) or "
                f"'binary_cross_entropy' (two weights), not {loss.name!r}"
            )
        if loss.name == "cross_entropy" and len(loss.class_weight) != output_shape[0]:
            raise ConfigError(
                f"class_weight has {len(loss.class_weight)} entries but the model outputs "
                f"{output_shape[0]} classes"
            )


def check_targets(loss: str | Loss, output_shape: tuple[int, ...], y: np.ndarray) -> np.ndarray:
    """Validate labels/targets against the loss and the model's output shape; return them in
    the dtype the backends expect (int64 class ids, or float32 targets / one-hot rows)."""
    loss = get_loss(loss)
    if loss.name in _CUSTOM:  # validated like the built-in loss with the same targets
        return check_targets("cross_entropy" if loss.classification else "mse", output_shape, y)
    check_output(loss, output_shape)
    y = np.asarray(y)
    if loss.name == "cross_entropy":
        classes = output_shape[0]
        if y.ndim == 2:
            if y.shape[1] != classes:
                raise DataError(
                    f"cross_entropy with one-hot targets needs shape (N, {classes}) to match "
                    f"the model output ({classes},), got {y.shape}"
                )
            return y.astype(np.float32, copy=False)
        if y.ndim != 1:
            raise DataError(
                f"cross_entropy expects integer labels of shape (N,) or one-hot targets of "
                f"shape (N, {classes}), got shape {y.shape}"
            )
        return _class_ids(y, classes)
    want = tuple(output_shape)
    if loss.name == "binary_cross_entropy" and want == (1,) and y.ndim == 1:
        y = y.reshape(-1, 1)
    if tuple(y.shape[1:]) != want:
        raise DataError(
            f"loss {loss.name!r} needs targets of shape (N, {', '.join(map(str, want))}) "
            f"matching the model output {want}, got {y.shape}"
        )
    if not np.issubdtype(y.dtype, np.number) and y.dtype != np.bool_:
        raise DataError(f"loss {loss.name!r} needs numeric targets, got dtype {y.dtype}")
    return y.astype(np.float32, copy=False)


def _class_ids(y: np.ndarray, classes: int) -> np.ndarray:
    if not np.issubdtype(y.dtype, np.integer):
        if (
            np.issubdtype(y.dtype, np.floating)
            and np.all(np.isfinite(y))
            and np.all(y == np.round(y))
        ):
            y = y.astype(np.int64)
        else:
            raise DataError(f"cross_entropy expects integer class labels, got dtype {y.dtype}")
    bad = np.flatnonzero((y < 0) | (y >= classes))
    if bad.size:
        i = int(bad[0])
        raise DataError(
            f"labels must be in [0, {classes}) for a model with {classes} outputs; "
            f"label[{i}] = {int(y[i])} ({bad.size} out of range)"
        )
    return y.astype(np.int64, copy=False)


def sample_weights(
    loss: Loss, y: np.ndarray, sample_weight: np.ndarray | None, n: int
) -> np.ndarray | None:
    """Per-sample weights ``class_weight[y_i] * sample_weight_i`` (float32), or None when
    neither is set (the fast, unweighted path)."""
    w = None
    if sample_weight is not None:
        w = np.asarray(sample_weight, np.float32)
        if w.shape != (n,):
            raise DataError(f"sample_weight must have shape ({n},), got {w.shape}")
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise DataError("sample_weight must be finite and >= 0")
    if loss.class_weight is not None:
        cw = np.asarray(loss.class_weight, np.float32)
        if y.ndim == 2 and loss.name == "cross_entropy":
            ids = np.argmax(y, axis=1)
        else:
            ids = np.asarray(y).reshape(n, -1)[:, 0].round().astype(np.int64)
        cwn = cw[ids]
        w = cwn if w is None else w * cwn
    return w
