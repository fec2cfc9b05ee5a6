"""Model: the backend-neutral handle around one native module."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from polyframe.backend import AbstractBackend, get_backend
from polyframe.errors import DataError
from polyframe.init import init_params

if TYPE_CHECKING:
    from polyframe.spec.model_spec import ModelSpec


def check_inputs(spec: Any, x: Any, what: str = "input") -> np.ndarray:
    """Validate a batch against the spec's input shape and dtype; return it as numpy in the
    model's input dtype. Raises DataError naming both shapes or dtypes."""
    x = check_array(spec.input_shape, spec.input_dtype, x, what)
    if not np.issubdtype(x.dtype, np.floating):
        _check_tokens(spec, x, what)
    return x


def check_graph_inputs(spec: Any, x: Any) -> list[np.ndarray]:
    """Validate the inputs of a Graph (one array, or a list / dict by input name of arrays)."""
    from polyframe.reference.graph import as_input_list

    xs = as_input_list(spec, x)
    several = len(xs) > 1
    out = []
    for name, shape, dtype, a in zip(
        spec.input_names, spec.input_shapes, spec.input_dtypes, xs, strict=True
    ):
        what = f"input {name!r}" if several else "input"
        a = check_array(shape, dtype, a, what)
        if not np.issubdtype(a.dtype, np.floating):
            _check_tokens(spec, a, what, name)
        out.append(a)
    return out


def check_array(input_shape: Any, input_dtype: str, x: Any, what: str = "input") -> np.ndarray:
    """Validate one batch against one input's shape and dtype (see :func:`check_inputs`)."""
    if not isinstance(x, np.ndarray):
        try:
            x = np.asarray(x)
        except Exception:  # noqa: BLE001 - anything that is not array-like
            raise DataError(f"{what} must be a numpy array, got {type(x).__name__}") from None
    expected = tuple(input_shape)
    if x.ndim != len(expected) + 1 or tuple(x.shape[1:]) != expected:
        raise DataError(
            f"{what} has shape {tuple(x.shape)}, but the model expects (batch, "
            f"{', '.join(map(str, expected))})"
        )
    want = np.dtype(input_dtype) if input_dtype != "bfloat16" else np.dtype("float32")
    if np.issubdtype(want, np.floating):
        if not np.issubdtype(x.dtype, np.floating):
            raise DataError(
                f"{what} has dtype {x.dtype}, but the model expects floating-point input "
                f"({input_dtype}); convert with x.astype('float32')"
            )
    elif not np.issubdtype(x.dtype, np.integer):
        raise DataError(
            f"{what} has dtype {x.dtype}, but the model expects integer input ({input_dtype})"
        )
    return np.ascontiguousarray(x, dtype=want)


def _check_tokens(spec: Any, x: np.ndarray, what: str, input_name: str | None = None) -> None:
    """Integer inputs feed layers with a valid id range (Embedding): check it on the host,
    where the error can name the layer (backends would gather garbage or fail obscurely).
    In a Graph, every layer that reads the input (``input_name``) on its own is checked."""
    nodes = tuple(spec.nodes)[:1]
    if spec.is_graph:
        name = input_name or spec.input_names[0]
        nodes = tuple(n for n in spec.nodes if n.inputs == (name,))
    for node in nodes:
        check = getattr(node.layer, "check_tokens", None)
        problem = check(x) if check is not None else None
        if problem:
            raise DataError(f"{what}: {node.path} {node.name!r} ({node.layer.kind}): {problem}")


class Model:
    """A spec lowered to one backend's native module.

    ``model(x)`` takes and returns numpy arrays (channels-last); ``model.native`` is the
    framework's own module (``torch.nn.Module``, Keras model, ``flax.nnx.Module``).
    """

    def __init__(
        self, spec: ModelSpec, backend: AbstractBackend, native: Any, dtype: str = "float32"
    ):
        self.spec = spec
        self._backend = backend
        self.native = native
        self.dtype = dtype

    @classmethod
    def lowered(
        cls,
        spec: ModelSpec,
        params: dict[str, np.ndarray],
        backend: str | AbstractBackend | None = None,
        dtype: str = "float32",
    ) -> Model:
        """``spec`` holding the canonical ``params``, lowered on ``backend`` (a name, a backend
        object, or None for the default): how build, interop and checkpoint loading make a
        Model."""
        be = backend if isinstance(backend, AbstractBackend) else get_backend(backend)
        return cls(spec, be, be.lower(spec, params, dtype), dtype)

    @property
    def backend(self) -> str:
        """The backend's name (``torch``, ``tensorflow``, ``jax``)."""
        return self._backend.name

    @property
    def backend_impl(self) -> AbstractBackend:
        """The backend object this model was built with."""
        return self._backend

    def __call__(self, x: Any, training: bool = False) -> Any:
        """Forward pass of a numpy batch, returning numpy. A Graph with several inputs takes a
        list (in ``spec.input_names`` order) or a dict by input name, and one with several
        outputs returns a list of arrays."""
        be = self._backend
        if not self.spec.is_graph:
            out = be.forward(self.native, be.from_numpy(check_inputs(self.spec, x)), training)
            return be.to_numpy(out)
        xs = [be.from_numpy(a) for a in check_graph_inputs(self.spec, x)]
        out = be.forward(self.native, xs[0] if len(xs) == 1 else xs, training)
        if isinstance(out, (list, tuple)):
            return [be.to_numpy(o) for o in out]
        return be.to_numpy(out)

    def gradients(self, x: Any, cotangent: Any) -> tuple[np.ndarray | None, dict[str, np.ndarray]]:
        """Gradients of ``sum(model(x) * cotangent)`` (inference mode) with respect to the input
        (None for integer inputs) and every trainable parameter, in canonical names/layouts."""
        be = self._backend
        x = check_inputs(self.spec, x)
        names = tuple(k for k, ps in self.spec.param_specs().items() if ps.trainable)
        cot = np.asarray(cotangent, dtype=np.float32)
        return be.gradients(self.native, be.from_numpy(x), cot, names)

    def params(self) -> dict[str, np.ndarray]:
        """All parameters and state as ``{'<layer>.<param>': array}`` in the canonical layout."""
        return self._backend.export_params(self.native)

    def load_params(self, params: dict[str, np.ndarray]) -> None:
        """Load canonical parameters; names and shapes must match the spec exactly."""
        expected = self.spec.param_specs()
        missing = [k for k in expected if k not in params]
        extra = [k for k in params if k not in expected]
        if missing or extra:
            raise DataError(
                f"parameters do not match the spec: missing {missing[:5]}, unexpected {extra[:5]}"
            )
        for name, ps in expected.items():
            shape = tuple(np.shape(params[name]))
            if shape != tuple(ps.shape):
                raise DataError(
                    f"parameter {name!r}: expected shape {tuple(ps.shape)}, got {shape}"
                )
        self._backend.import_params(
            self.native, {k: np.asarray(v, dtype=self.dtype) for k, v in params.items()}
        )

    def export(self, path: Any, format: str | None = None) -> Any:
        """Export for inference with the framework alone (``torch.export``, ``onnx``,
        ``saved_model``, ``jax.export``); see :func:`polyframe.export.export`."""
        from polyframe.export import export

        return export(self, path, format)

    def to(self, backend: str) -> Model:
        """This model if it runs on ``backend``, else the same weights lowered there (a new
        ``Model``; training state is not carried over)."""
        from polyframe.backend import canonical_name

        if self.backend == canonical_name(backend):
            return self
        return Model.lowered(self.spec, self.params(), backend, self.dtype)

    def __repr__(self) -> str:
        return f"Model(backend={self.backend!r}, output_shape={self.spec.output_shape})"


def build(spec: Any, backend: str | None = None, seed: int = 0, dtype: str = "float32") -> Model:
    """Lower ``spec`` to a native module on ``backend`` with canonical initial weights from
    ``seed`` (identical on every backend)."""
    be = get_backend(backend)
    be.seed(seed)
    return Model.lowered(spec, init_params(spec, seed, dtype), be, dtype)
