"""``QuantizedModel``: an int8 model in canonical form, run natively on one backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from polyframe.compress.plan import build_plan, run_plan
from polyframe.compress.schemes import check_scheme


class QuantizedModel:
    """A spec plus canonical tensors: ``'<layer>.kernel'`` int8 for the int8 layers, with
    ``'<layer>.kernel_scale'`` (float32, one per output channel) and, for ``int8_static``,
    ``'<layer>.input_scale'`` (float32 scalar); every other tensor as in the float model.

    ``q(x)`` runs it on its backend's native integer kernels; ``q.reference(x)`` in numpy;
    ``q.accumulators(x)`` returns the int32 accumulators of each int8 layer.
    """

    def __init__(
        self,
        spec: Any,
        scheme: str,
        tensors: dict[str, np.ndarray],
        int8_layers: tuple[str, ...],
        backend: str | None = None,
        info: dict[str, Any] | None = None,
    ) -> None:
        from polyframe.backend import get_backend

        self.spec = spec
        self.scheme = check_scheme(scheme)
        self.tensors = dict(tensors)
        self.int8_layers = tuple(int8_layers)
        self.info = dict(info or {})
        self._backend = get_backend(backend)
        self._ops = self._backend.quantized_ops()
        self._plan = build_plan(spec, scheme, self.tensors, self.int8_layers, self._ops)
        compile_ = getattr(self._ops, "compile", None)  # a fused forward where the backend has one
        self._compiled = compile_(self._plan) if compile_ is not None else None
        self._oracle: Any = None

    @property
    def backend(self) -> str:
        """The backend's name."""
        return self._backend.name

    @property
    def backend_impl(self) -> Any:
        """The backend object this model runs on."""
        return self._backend

    def to(self, backend: str) -> QuantizedModel:
        """The same quantized model on another backend."""
        return QuantizedModel(
            self.spec, self.scheme, self.tensors, self.int8_layers, backend, self.info
        )

    def _input(self, x: Any) -> np.ndarray:
        from polyframe.model import check_inputs

        return check_inputs(self.spec, x)

    def __call__(self, x: Any) -> np.ndarray:
        """Inference on a numpy batch with the backend's integer kernels, returning numpy."""
        ops = self._ops
        x = ops.asarray(self._input(x))
        if self._compiled is not None:
            return ops.numpy(self._compiled(x))
        return ops.numpy(run_plan(self._plan, ops, x))

    def accumulators(self, x: Any) -> dict[str, np.ndarray]:
        """The int32 accumulators of every int8 layer on batch ``x`` (empty for
        ``int8_weight``, which computes in float)."""
        ops, record = self._ops, {}
        run_plan(self._plan, ops, ops.asarray(self._input(x)), record)
        return record

    def reference(self, x: Any, record: dict[str, Any] | None = None) -> np.ndarray:
        """The numpy oracle's output (int32 accumulation); ``record`` gets its accumulators."""
        from polyframe.compress.oracle import NumpyOps

        ops = NumpyOps()
        if self._oracle is None:
            self._oracle = build_plan(self.spec, self.scheme, self.tensors, self.int8_layers, ops)
        return run_plan(self._oracle, ops, self._input(x), record)

    def param_count(self) -> int:
        """Number of parameters (quantization scales included)."""
        return int(sum(np.size(v) for v in self.tensors.values()))

    def nbytes(self) -> int:
        """Bytes the tensors take (int8 kernels: one byte per weight)."""
        return int(sum(np.asarray(v).nbytes for v in self.tensors.values()))

    def save(self, path: str | Path) -> Path:
        """Write a canonical checkpoint (see :func:`polyframe.compress.save_quantized`)."""
        from polyframe.compress.qcheckpoint import save_quantized

        return save_quantized(path, self)

    def export_onnx(self, path: str | Path) -> Path:
        """Write an ONNX QDQ model (see :func:`polyframe.compress.onnx_export.export_onnx`)."""
        from polyframe.compress.onnx_export import export_onnx

        return export_onnx(self, path)

    def export_native(self, path: str | Path) -> Path:
        """Serialize the int8 forward with the backend's own export (torch: ``torch.export``
        to ``.pt2``; JAX: ``jax.export``); TensorFlow raises BackendError (use
        :meth:`export_tflite`)."""
        from polyframe.errors import BackendError

        export = getattr(self._ops, "export", None)
        if export is None:
            raise BackendError(
                f"the {self.backend!r} backend cannot export an int8 model natively; use "
                "export_onnx (any backend), export_tflite, or the torch / jax backend"
            )
        return export(self, path)

    def export_tflite(self, path: str | Path, calibration: Any) -> Path:
        """Write a TFLite full-integer model (needs TensorFlow; ``calibration``: a few hundred
        inputs for TFLite's activation ranges). See polyframe_tensorflow/quantized.py."""
        from polyframe.backend import get_backend

        ops = get_backend("tensorflow").quantized_ops()
        return ops.export_tflite(self, path, self._input(calibration))

    def __repr__(self) -> str:
        return (
            f"QuantizedModel(scheme={self.scheme!r}, backend={self.backend!r}, "
            f"int8_layers={list(self.int8_layers)})"
        )


def load_quantized(path: str | Path, backend: str | None = None) -> QuantizedModel:
    """A :class:`QuantizedModel` from a quantized checkpoint, on ``backend`` (default: the one
    that wrote it)."""
    from polyframe.compress.qcheckpoint import read_quantized

    return QuantizedModel(*read_quantized(path, backend))
