"""The feed: what ``fit``, ``evaluate`` and ``predict`` are given (arrays or a ``Loader``)
turned into checked numpy batches, with sample and class weights, and placed as the steps'
device arrays (on one device, or over a data-parallel placement).

Input checking lives in one function, :meth:`TrainFeed.check_arrays`: the place where other
input kinds (a dict or tuple of arrays for a multi-input model) are normalised.
"""

from __future__ import annotations

import dataclasses
import math
import operator
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np

from polyframe import multi_io
from polyframe.data.loader import Loader
from polyframe.errors import ConfigError, DataError
from polyframe.losses import Loss, check_output, check_targets, sample_weights
from polyframe.model import Model, check_inputs

Batch = tuple[np.ndarray, np.ndarray, "np.ndarray | None"]


def _check_finite(x: np.ndarray, what: str) -> None:
    if np.issubdtype(x.dtype, np.floating):
        bad = ~np.isfinite(x.reshape(len(x), -1)).all(axis=1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"{what} contains NaN or infinite values; first bad row: index {i}")


def split_off_validation(
    x: Any, y: Any, w: Any, validation_data: Any, fraction: float
) -> tuple[Any, Any, Any, tuple[Any, Any]]:
    """Keras' ``validation_split``: the last ``fraction`` of the arrays (before shuffling) is
    the validation data; the split point is ``ceil(n * (1 - fraction))``."""
    if isinstance(x, Loader):
        raise DataError("fit: validation_split needs arrays; with a Loader pass validation_data")
    if validation_data is not None:
        raise DataError("fit: pass validation_split or validation_data, not both")
    if not isinstance(fraction, (int, float)) or not 0 < fraction < 1:
        raise DataError(f"fit: validation_split must be in (0, 1), got {fraction!r}")
    if y is None:
        raise DataError("fit: labels y are required")
    n = multi_io.rows(x)
    at = int(math.ceil(n * (1.0 - fraction)))
    if at in (0, n):
        raise DataError(
            f"fit: validation_split={fraction} of {n} examples leaves an empty training or "
            "validation set; use more data or another fraction"
        )
    w_train = None if w is None else np.asarray(w)[:at]
    y = y if isinstance(y, dict) else np.asarray(y)  # several outputs: a dict by name
    head, tail = slice(None, at), slice(at, None)
    take = multi_io.take
    return take(x, head), take(y, head), w_train, (take(x, tail), take(y, tail))


def check_trainable(model: Any, accum_steps: int, steps_per_execution: int) -> None:
    """Refuse what the Trainer cannot train: not a polyframe Model, both ``accum_steps`` and
    ``steps_per_execution`` above 1, or fused steps for several inputs or outputs."""
    if not isinstance(model, Model):
        raise DataError(
            f"Trainer needs a polyframe Model (pf.build(...)), got {type(model).__name__}"
        )
    if accum_steps > 1 and steps_per_execution > 1:
        raise ConfigError("accum_steps and steps_per_execution cannot both be > 1; choose one")
    if steps_per_execution > 1 and multi_io.is_multi(model.spec):
        raise ConfigError(
            "steps_per_execution > 1 is not supported for models with several inputs or "
            "outputs yet; use steps_per_execution=1"
        )


@dataclass
class FitData:
    """One ``fit`` call's training data: the loader and, when weights are set, the labels
    and weights it serves by index; ``val``: the checked validation arrays (or None)."""

    loader: Loader
    y: np.ndarray | None = None
    w: np.ndarray | None = None
    val: tuple[np.ndarray, np.ndarray] | None = None
    loss: Loss | None = None

    def batches(self, epoch: int, start: int = 0) -> Iterator[Batch]:
        """``(x, y, w)`` per batch of ``epoch`` from batch ``start`` on; with sample weights
        the loader serves indices."""
        loader, y, w = self.loader, self.y, self.w
        class_weighted = self.loss is not None and self.loss.class_weight is not None
        pick = multi_io.take if isinstance(y, dict) else operator.getitem  # dict: by output
        for xb, yb in loader.epoch(epoch, start) if start else loader.epoch(epoch):
            if y is not None:  # yb holds example indices
                yield xb, pick(y, yb), w[yb]
            elif class_weighted:
                yield xb, yb, sample_weights(self.loss, np.asarray(yb), None, len(yb))
            else:
                yield xb, yb, None


class TrainFeed:
    """Checks and batches a model's training data and places batches on its device(s).

    ``place(x, y, w)`` / ``place_many(xs, ys, ws)`` (stacked batches for fused steps) are
    bound once to the one-device or the data-parallel version (and, for several inputs or
    outputs, to the version that turns dict batches into lists), so a step pays one call.
    """

    def __init__(self, model: Any, loss: Any, dp: Any = None) -> None:
        self.model, self.loss, self.dp = model, loss, dp
        self.multi = multi_io.is_multi(model.spec)  # dicts by input / output name
        if model.spec.n_outputs == 1:
            out, ce = tuple(model.spec.output_shape), loss.name == "cross_entropy"
            zeros = np.zeros(0 if ce else (0, *out), "int64" if ce else "float32")
            check_targets(loss, out, zeros)
        self._be = model.backend_impl
        self.set_data_parallel(dp)

    def set_data_parallel(self, dp: Any) -> None:
        """Place batches over ``dp`` (a ``polyframe.distributed.DataParallel``; None: one
        device)."""
        self.dp = dp
        if dp is not None:
            self.place, self.place_many = self._place_dp, dp.placement.place_many
        else:
            self.place = self.place_many = self._place_local
        if self.multi:
            self.place = self._place_multi

    def _place_multi(self, x: Any, y: Any, w: Any) -> tuple[Any, Any, Any]:
        """Dict batches as lists in the spec's order, then placed (list batches shard per
        array over a data-parallel placement)."""
        x, y = multi_io.as_lists(self.model.spec, x, y)
        if self.dp is not None:
            return self.dp.placement.place(x, y if isinstance(y, list) else np.asarray(y), w)
        return tuple(multi_io.to_device(b, self._be.from_numpy) for b in (x, y, w))

    def _place_local(self, x: np.ndarray, y: Any, w: Any) -> tuple[Any, Any, Any]:
        be = self._be
        return be.from_numpy(x), be.from_numpy(y), None if w is None else be.from_numpy(w)

    def _place_dp(self, x: np.ndarray, y: Any, w: Any) -> tuple[Any, Any, Any]:
        return self.dp.placement.place(x, np.asarray(y), w)

    def check_arrays(self, x: Any, y: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
        """The one input check: ``x`` against the model's inputs, ``y`` against the loss and
        its outputs, same length, finite; returns them in the dtypes the steps take. Several
        inputs (outputs): a dict (or list) by input (output) name, returned as dicts."""
        spec = self.model.spec
        if self.multi:
            return multi_io.prepare(spec, self.loss, x, y, what)
        x = check_inputs(spec, x, f"{what} x")
        if y is None:
            raise DataError(f"{what}: labels y are required")
        y = np.asarray(y)
        if len(y) != len(x):
            raise DataError(f"{what}: x has {len(x)} examples but y has {len(y)}; they must match")
        _check_finite(x, f"{what} x")
        return x, check_targets(self.loss, spec.output_shape, y)

    def check_loader(self, loader: Loader) -> None:
        """A Loader given to ``fit``: its first batch must fit the model exactly (dtype too,
        since its batches go to the backend unconverted)."""
        xb, yb = loader.batch(0, 0)
        if self.multi:
            multi_io.check_loader_batch(self.model.spec, self.loss, xb, yb)
            return
        want = check_inputs(self.model.spec, xb, "fit loader batch x")
        if yb is None:
            raise DataError("fit: the Loader has no labels; build it with labels y")
        yt = check_targets(self.loss, self.model.spec.output_shape, yb)
        for got, need, what in ((xb, want, "x"), (np.asarray(yb), yt, "y")):
            if got.dtype != need.dtype:
                raise DataError(
                    f"fit: the Loader's {what} batches are {got.dtype} but the model needs "
                    f"{need.dtype}; build the Loader from {what}.astype('{need.dtype}')"
                )

    def set_class_weight(self, class_weight: Any) -> None:
        """``{class: weight}`` or one weight per class, folded into the loss (kept for later
        ``fit`` calls)."""
        if isinstance(self.loss, multi_io.OutputLosses):
            raise ConfigError(
                "class_weight is only supported for models with a single output (as in Keras); "
                "pass sample_weight instead"
            )
        classes = int(np.prod(self.model.spec.output_shape))
        classes = 2 if classes == 1 else classes
        if isinstance(class_weight, dict):
            bad = [k for k in class_weight if not 0 <= int(k) < classes]
            if bad:
                raise DataError(f"class_weight has classes {bad} outside [0, {classes})")
            weights = tuple(float(class_weight.get(c, 1.0)) for c in range(classes))
        else:
            weights = tuple(float(v) for v in class_weight)
        self.loss = dataclasses.replace(self.loss, class_weight=weights)
        check_output(self.loss, tuple(self.model.spec.output_shape))

    def fit_data(self, x: Any, y: Any, options: dict[str, Any]) -> FitData:
        """Checked training (and validation) data for ``fit(x, y, **options)``; ``options``:
        batch_size, shuffle, seed, sample_weight, class_weight, validation_data (after
        :func:`split_off_validation`)."""
        w, val = options["sample_weight"], options["validation_data"]
        if options["class_weight"] is not None:
            self.set_class_weight(options["class_weight"])
        data = self._training(x, y, w, options)
        data.val = self.check_arrays(*val, "validation_data") if val else None
        return data

    def _training(self, x: Any, y: Any, w: Any, options: dict[str, Any]) -> FitData:
        """``x`` itself when it is a Loader, else a Loader over the checked arrays (serving
        indices when weights are set, so that the weights follow the same order)."""
        if isinstance(x, Loader):
            if y is not None or w is not None:
                raise DataError(
                    "fit: x is a Loader, so y must be None (labels come from it), and so must "
                    "sample_weight (use class_weight, or arrays, for weights)"
                )
            self.check_loader(x)
            return FitData(x, loss=self.loss)
        x, y = self.check_arrays(x, y, "fit")
        n = multi_io.rows(x)
        w_all = sample_weights(self.loss, y, w, n)
        kw = {k: options[k] for k in ("batch_size", "shuffle", "seed")}
        if w_all is None:
            return FitData(Loader(x, y, **kw), loss=self.loss)
        return FitData(Loader(x, np.arange(n, dtype=np.int64), **kw), y, w_all, loss=self.loss)

    def eval_batches(self, x: np.ndarray, y: np.ndarray, batch_size: int) -> Iterator[tuple]:
        """Placed ``(x, y, None)`` batches of ``(x, y)`` in order (for evaluate)."""
        for xb, yb in Loader(x, y, batch_size=batch_size, shuffle=False).epoch(0):
            yield self.place(xb, yb, None)

    def predict_batches(self, x: np.ndarray, batch_size: int) -> Iterator[Any]:
        """``x`` in order, one device array (a list of them for several inputs) per batch
        (for predict)."""
        convert = self._be.from_numpy
        for xb, _ in Loader(x, None, batch_size, shuffle=False).epoch(0):
            if self.multi:
                yield multi_io.to_device(multi_io.as_lists(self.model.spec, xb, None)[0], convert)
            else:
                yield convert(xb)

    def outputs(self, outs: list[Any]) -> Any:
        """Predicted device batches as one float numpy array; a list of them (in output
        order, as Keras returns) for a model with several outputs."""
        to_numpy = self._be.to_numpy
        if isinstance(outs[0], (list, tuple)):  # several outputs
            arrays = multi_io.outputs_list([[to_numpy(o) for o in out] for out in outs])
        else:
            arrays = [np.concatenate([to_numpy(o) for o in outs], axis=0)]
        arrays = [
            a if a.dtype in (np.float32, np.float64) else a.astype(np.float32) for a in arrays
        ]
        return arrays if self.model.spec.n_outputs > 1 else arrays[0]
