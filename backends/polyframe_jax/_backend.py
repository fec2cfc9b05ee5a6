"""JaxBackend: polyframe's contract implemented with JAX, Flax NNX and optax."""

from __future__ import annotations

import functools
import importlib.util
from typing import TYPE_CHECKING, Any

import numpy as np

from polyframe.backend import AbstractBackend, lower_node
from polyframe.errors import BackendError
from polyframe.optim import Optimizer

if TYPE_CHECKING:
    from polyframe.spec.model_spec import ModelSpec
    from polyframe.step_config import StepConfig

_REQUIRED = ("jax", "flax", "optax")


class JaxBackend(AbstractBackend):
    """Lowers a spec to a :class:`polyframe_jax.PolyframeSequential` (a ``flax.nnx.Module``)."""

    name = "jax"

    def __init__(self) -> None:
        self._seed = 0
        self._cpu: bool | None = None

    @classmethod
    def available(cls) -> tuple[bool, str]:
        """True when jax, flax and optax are importable (checked without importing them)."""
        missing = [m for m in _REQUIRED if importlib.util.find_spec(m) is None]
        if missing:
            return False, f"{', '.join(missing)} not installed (pip install 'polyframe[jax]')"
        return True, ""

    def version(self) -> str:
        """``jax X, flax Y, optax Z``."""
        import flax
        import jax
        import optax

        return f"jax {jax.__version__}, flax {flax.__version__}, optax {optax.__version__}"

    def devices(self) -> list[str]:
        """JAX's devices on its default platform (the accelerator when present, else CPU)."""
        import jax

        return [f"{d.platform}:{d.id}" for d in jax.devices()]

    def seed(self, seed: int) -> None:
        """Seed the ``dropout`` RNG stream of the models lowered from now on."""
        self._seed = int(seed)

    def lower(self, spec: Any, params: dict[str, np.ndarray], dtype: str = "float32") -> Any:
        """Build a :class:`PolyframeSequential` (a Graph: a :class:`PolyframeGraph`, each layer
        lowered once) through the lowering table; load ``params``."""
        import jax.numpy as jnp

        from polyframe_jax.graph import PolyframeGraph
        from polyframe_jax.lowering import as_lowered, lowering_context
        from polyframe_jax.module import PolyframeSequential
        from polyframe_jax.params import place_on_device

        layers, codecs = [], []
        with lowering_context(self._seed, jnp.dtype(dtype)):
            for node in spec.lowered_nodes:
                where = f"{node.path} {node.name!r} ({node.layer.kind})"
                low = as_lowered(lower_node("jax", node), where)
                found, want = sorted(low.dump(low.module)), sorted(node.param_specs())
                if found != want:
                    raise BackendError(
                        f"{where}: the jax lowering gives native variables {found} but the spec "
                        f"has canonical parameters {want}; name them canonically or return "
                        "polyframe_jax.Lowered(module, load, dump)"
                    )
                layers.append((node.name, low.module))
                codecs.append((node.name, low.load, low.dump, tuple(node.param_specs())))
        if spec.is_graph:
            model = PolyframeGraph(layers, tuple(codecs), spec)
        else:
            model = PolyframeSequential(layers, tuple(codecs))
        model.import_params(params)
        place_on_device(model)
        model.eval()
        return model

    def export_params(self, native: Any) -> dict[str, np.ndarray]:
        """Canonical parameters and state of a lowered module (numpy copies)."""
        return _check(native).export_params()

    def import_params(self, native: Any, params: dict[str, np.ndarray]) -> None:
        """Load canonical parameters into a lowered module in place."""
        _check(native).import_params(params)

    def forward(self, native: Any, x: Any, training: bool = False) -> Any:
        """Run any ``nnx.Module`` in training or inference mode (jit-compiled per graph);
        training mode writes updated batch-norm statistics and RNG counters back."""
        from flax import nnx

        from polyframe_jax.module import training_mode

        with training_mode(native, training):
            graphdef, state = nnx.split(native)
            y, new_state = _apply(graphdef, state, x)
            if training:
                nnx.update(native, new_state)
        return y

    def gradients(
        self, native: Any, x: Any, cotangent: np.ndarray, names: tuple[str, ...]
    ) -> tuple[np.ndarray | None, dict[str, np.ndarray]]:
        """``jax.grad`` over the module's Params in inference mode; see
        :mod:`polyframe_jax.gradients`."""
        from polyframe_jax.gradients import gradients

        return gradients(_check(native), x, cotangent, names)

    def to_numpy(self, t: Any) -> np.ndarray:
        """Device array -> numpy (zero-copy on CPU; read-only)."""
        return np.asarray(t)

    def from_numpy(self, a: np.ndarray) -> Any:
        """numpy -> an array the compiled steps take; 64-bit arrays become 32-bit unless
        ``jax_enable_x64``. On the CPU platform the (host) numpy array itself: a jitted call
        moves it in its C++ dispatch, which measured ~3x cheaper per batch than
        ``jax.device_put``'s Python path (10-15% of an MLP step); elsewhere ``device_put``."""
        import jax

        a = np.asarray(a)
        if not jax.config.jax_enable_x64 and a.dtype.itemsize == 8:
            if a.dtype.kind in "iu":
                a = a.astype(np.int32)
            elif a.dtype.kind == "f":
                a = a.astype(np.float32)
        if self._cpu is None:
            self._cpu = jax.default_backend() == "cpu"
        return a if self._cpu else jax.device_put(a)

    def data_parallel(self) -> Any:
        """The ``JaxEngine`` of :mod:`polyframe_jax.distributed` (one per process)."""
        if getattr(self, "_engine", None) is None:
            from polyframe_jax.distributed import JaxEngine

            self._engine = JaxEngine()
        return self._engine

    def quantized_ops(self) -> Any:
        """int8 kernels for polyframe.compress (see polyframe_jax/quantized.py)."""
        from polyframe_jax.quantized import Int8Ops

        return Int8Ops(self)

    def native_io(self) -> Any:
        """Native weight files and inference export (:mod:`polyframe_jax.export`)."""
        from polyframe_jax import export

        return export

    def make_steps(
        self,
        native: Any,
        spec: ModelSpec,
        optimizer: Optimizer,
        config: StepConfig,
        *,
        compile: bool | None = None,
        placement: Any = None,
    ) -> Any:
        """:class:`polyframe_jax.steps.JaxSteps` (``compile=False``: eager, for debugging)."""
        from polyframe.optim import get_optimizer
        from polyframe_jax.steps import JaxSteps

        return JaxSteps(native, spec, get_optimizer(optimizer), config, compile, placement)


def _check(native: Any) -> Any:
    from polyframe_jax.module import AbstractPolyframeModule

    if not isinstance(native, AbstractPolyframeModule):
        raise BackendError(
            f"expected a module built by the jax backend (PolyframeSequential or "
            f"PolyframeGraph), got "
            f"{type(native).__name__}"
        )
    return native


@functools.cache
def _jitted_apply() -> Any:
    import jax
    from flax import nnx

    def apply(graphdef: Any, state: Any, x: Any) -> Any:
        model = nnx.merge(graphdef, state)
        return model(x), nnx.state(model)

    return jax.jit(apply, static_argnums=0)


def _apply(graphdef: Any, state: Any, x: Any) -> Any:
    return _jitted_apply()(graphdef, state, x)
