"""The backend contract, the plug-in registry (entry points) and the lowering tables.

A backend is a class registered in the entry-point group ``polyframe.backends``. Looking up
names is cheap (:func:`list_backends` reads entry-point metadata only); :func:`get_backend`
imports and caches one backend when it is first asked for. The core never imports a framework.
"""

from __future__ import annotations

import abc
import os
from typing import TYPE_CHECKING, Any, Callable, ClassVar

from polyframe.errors import BackendError, ConfigError

if TYPE_CHECKING:  # numpy and the optimizers load with the first model, not with polyframe
    import numpy as np

    from polyframe.optim import Optimizer
    from polyframe.spec.model_spec import ModelSpec
    from polyframe.step_config import StepConfig

GROUP = "polyframe.backends"
ALIASES = {"pytorch": "torch", "tf": "tensorflow", "keras": "tensorflow", "flax": "jax"}
#: The pip extra that installs each built-in backend's framework.
EXTRAS = {"torch": "torch", "tensorflow": "tensorflow", "jax": "jax"}


class AbstractSteps(abc.ABC):
    """Compiled train / eval / predict steps over one native module and its optimizer state.

    Loss and metric counts accumulate on the device; only :meth:`results` reads them back (one
    host sync), so the training loop never syncs per step. ``w`` is an optional float32 batch of
    per-sample loss weights (None: unweighted, the fast path). The options (loss, metric plan,
    clipping, accumulation, precision) are a :class:`polyframe.step_config.StepConfig`.
    """

    @abc.abstractmethod
    def train(self, x: Any, y: Any, lr: float, w: Any = None) -> None:
        """One optimizer step with learning rate ``lr`` on this batch plus the gradients
        gathered by :meth:`accumulate` since the last step."""

    @abc.abstractmethod
    def accumulate(self, x: Any, y: Any, w: Any = None) -> None:
        """Add this micro-batch's gradient (weighted by its size) without stepping."""

    def train_many(self, xs: Any, ys: Any, lrs: Any, ws: Any = None) -> None:
        """``len(lrs)`` optimizer steps on stacked batches ``xs[i], ys[i]`` (one compiled call
        where the backend fuses them; this default loops)."""
        for i in range(len(lrs)):
            self.train(xs[i], ys[i], float(lrs[i]), None if ws is None else ws[i])

    @abc.abstractmethod
    def last_losses(self) -> np.ndarray:
        """Training losses of the steps (or micro-batch) of the last ``train``, ``train_many``
        or ``accumulate`` call, as float64 numpy (a host sync: only for per-step logs)."""

    @abc.abstractmethod
    def evaluate(self, x: Any, y: Any) -> None:
        """Accumulate loss and metrics of a device batch in inference mode."""

    @abc.abstractmethod
    def predict(self, x: Any) -> Any:
        """Inference-mode outputs of a device batch (a device array)."""

    @abc.abstractmethod
    def results(self, phase: str) -> dict[str, Any]:
        """Mean loss and metrics (``phase`` 'train' or 'eval') since the last call; resets.
        Backends read their counts and call :func:`polyframe.metrics.compute`."""

    @abc.abstractmethod
    def sync(self) -> None:
        """Write the trained state back into the native module (a no-op where it is shared)."""

    def pull(self) -> None:
        """Re-read the state from the native module (after ``Model.load_params``); a no-op
        where the steps work on the native module itself."""

    def wait(self) -> None:
        """Block until queued device work is done (for timing)."""

    # -- checkpoints (polyframe.optim_state defines the canonical names) ---------------------
    def optimizer_state(self) -> dict[str, np.ndarray]:
        """The optimizer state in canonical form: ``'<param>.<slot>'`` arrays in the canonical
        layout, and ``step`` where the framework counts updates."""
        raise BackendError(f"{type(self).__name__} cannot export its optimizer state")

    def load_optimizer_state(self, state: dict[str, np.ndarray]) -> None:
        """Replace the optimizer state with a canonical one (``step`` always present)."""
        raise BackendError(f"{type(self).__name__} cannot import an optimizer state")

    def loss_scale_state(self) -> dict[str, np.ndarray]:
        """``precision="float16"``: the loss scale and its count of good steps
        (polyframe/loss_scale.py; also part of :meth:`optimizer_state`); ``{}`` otherwise."""
        return {}

    def rng_state(self) -> dict[str, np.ndarray]:
        """The framework's random streams that training draws from (dropout), as arrays."""
        return {}

    def load_rng_state(self, state: dict[str, np.ndarray]) -> None:
        """Restore streams saved by :meth:`rng_state` (on the same backend)."""

    def train_sums(self) -> dict[str, np.ndarray]:
        """The training phase's running sums since the last ``results("train")``, without
        resetting them: ``loss`` (the loss sum), ``samples`` and ``count.<name>`` (the metric
        counts). A mid-epoch checkpoint saves them, so that the resumed epoch's logs cover
        the whole epoch; ``{}`` where the backend cannot (the resumed epoch then logs only
        its steps after the resume)."""
        return {}

    def load_train_sums(self, sums: dict[str, np.ndarray]) -> None:
        """Replace the training phase's running sums with what :meth:`train_sums` returned
        (same keys, shapes and dtypes: the caller checks them)."""


class AbstractBackend(abc.ABC):
    """What a framework plug-in implements. Parameters cross it in the canonical layout."""

    name: ClassVar[str] = ""

    @classmethod
    @abc.abstractmethod
    def available(cls) -> tuple[bool, str]:
        """(True, '') when the framework is usable here, else (False, why)."""

    @abc.abstractmethod
    def version(self) -> str:
        """The framework's version string(s)."""

    @abc.abstractmethod
    def devices(self) -> list[str]:
        """Devices this backend computes on, first = default."""

    @abc.abstractmethod
    def lower(self, spec: ModelSpec, params: dict[str, np.ndarray], dtype: str = "float32") -> Any:
        """Build the native module for ``spec`` holding the canonical ``params``; a backend
        tells a Graph from a Sequential by ``spec.is_graph`` and builds one native layer per
        node of ``spec.lowered_nodes``."""

    @abc.abstractmethod
    def export_params(self, native: Any) -> dict[str, np.ndarray]:
        """Every parameter and state of ``native`` in the canonical names and layout."""

    @abc.abstractmethod
    def import_params(self, native: Any, params: dict[str, np.ndarray]) -> None:
        """Load canonical parameters into ``native`` in place."""

    @abc.abstractmethod
    def forward(self, native: Any, x: Any, training: bool = False) -> Any:
        """Run ``native`` on a device batch (channels-last), returning a device array."""

    @abc.abstractmethod
    def to_numpy(self, t: Any) -> np.ndarray:
        """Device array -> numpy (zero-copy where the framework allows)."""

    @abc.abstractmethod
    def from_numpy(self, a: np.ndarray) -> Any:
        """numpy -> device array (zero-copy where the framework allows)."""

    @abc.abstractmethod
    def make_steps(
        self,
        native: Any,
        spec: ModelSpec,
        optimizer: Optimizer,
        config: StepConfig,
        *,
        compile: bool | None = None,
        placement: Any = None,
    ) -> AbstractSteps:
        """Compiled steps for training ``native``, the module :meth:`lower` built for ``spec``.

        ``optimizer``: a ``polyframe.optim.Optimizer`` (a name is accepted too);
        ``config``: a :class:`polyframe.step_config.StepConfig`, whole (the loss, the metric
        plan and the controls: clipping, accumulation, fused steps, precision, determinism);
        build one with :func:`polyframe.step_config.make_config`. The steps keep ``spec`` and
        ``optimizer`` from their constructor (checkpoints name the optimizer state by them).
        ``compile=None``: the backend's fast default (True / False force compiled / eager).
        ``placement``: a ``polyframe.distributed.AbstractPlacement`` to run the same steps
        data-parallel (None: one device)."""

    def seed(self, seed: int) -> None:
        """Seed the framework's own random streams (dropout masks)."""

    def gradients(
        self, native: Any, x: Any, cotangent: np.ndarray, names: tuple[str, ...]
    ) -> tuple[np.ndarray | None, dict[str, np.ndarray]]:
        """Gradients of ``sum(native(x) * cotangent)`` in inference mode: ``(dx, grads)``,
        ``dx`` as numpy (None for integer inputs) and ``grads`` the canonical layout of the
        gradient of each trainable parameter in ``names``. Used to check every backend's
        backward pass against the numpy reference (``Model.gradients``)."""
        raise BackendError(f"the {self.name!r} backend does not implement gradients()")

    def data_parallel(self) -> Any:
        """This backend's data-parallel engine (a ``polyframe.distributed.AbstractEngine``,
        one per process); backends without one refuse."""
        raise BackendError(
            f"the {self.name!r} backend has no data-parallel engine; strategy='data_parallel' "
            "is supported by the torch, tensorflow and jax backends"
        )

    def quantized_ops(self) -> Any:
        """The backend's int8 kernels for :mod:`polyframe.compress` (a
        ``polyframe.compress.plan.QuantOps``); backends without them refuse."""
        raise BackendError(f"the {self.name!r} backend has no int8 kernels (quantized_ops)")

    def native_io(self) -> Any:
        """The backend's native files (see polyframe.interop): an object with
        ``read_groups(path)`` / ``write_groups(groups, path)`` (a native weight file as one
        ``(layer path, {name: array})`` group per native layer, in the framework's own layout)
        and ``export(native, spec, path, format)``; None when it has none."""
        return None


# -- lowering tables: (backend name, layer class) -> function ------------------------------
_LOWERINGS: dict[tuple[str, type], Callable[..., Any]] = {}


def register_lowering(backend: str, layer_cls: type) -> Callable[[Callable], Callable]:
    """Decorator: ``fn`` lowers ``layer_cls`` on ``backend``. The function's signature is the
    backend's own (see that backend's docs); polyframe's layers use this same table."""

    def wrap(fn: Callable) -> Callable:
        _LOWERINGS[(ALIASES.get(backend, backend), layer_cls)] = fn
        return fn

    return wrap


def lowering_fn(backend: str, layer_cls: type) -> Callable[..., Any]:
    """The registered lowering of ``layer_cls`` on ``backend`` (searching base classes)."""
    from polyframe.ops.layer import has_forward
    from polyframe.spec.layer import Layer

    for cls in layer_cls.__mro__:
        if cls is Layer and not has_forward(layer_cls):
            break  # the base class's lowering is the generic one of one-definition layers
        fn = _LOWERINGS.get((backend, cls))
        if fn is not None:
            return fn
    raise BackendError(
        f"layer kind {getattr(layer_cls, 'kind', layer_cls.__name__)!r} has no lowering for the "
        f"{backend!r} backend; register one with @polyframe.register_lowering({backend!r}, ...) or define "
        "forward(self, params, x) in pf.ops on the layer class"
    )


def bind_inputs(names: tuple[str, ...], inputs: tuple[Any, ...]) -> dict[str, Any]:
    """``{input name: tensor}`` for a native Graph module called with ``*inputs`` (or one
    list of them); a wrong count raises TypeError naming the inputs."""
    if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)):
        inputs = tuple(inputs[0])
    if len(inputs) != len(names):
        raise TypeError(f"the graph takes {len(names)} input(s) {list(names)}, got {len(inputs)}")
    return dict(zip(names, inputs, strict=True))


def describe_node(node: Any, backend: str) -> str:
    """``layers[i] 'name' (Kind) on the 'backend' backend``: how errors name a layer."""
    return f"{node.path} {node.name!r} ({node.layer.kind}) on the {backend!r} backend"


def lower_node(backend: str, node: Any) -> Any:
    """Look up and call the lowering of ``node``'s layer on ``backend``. Any failure becomes a
    :class:`BackendError` (or keeps its polyframe error class) that names the layer
    (``layers[i] 'name' (Kind)``), the backend and what went wrong."""
    from polyframe.errors import PolyframeError

    where = describe_node(node, backend)
    try:
        fn = lowering_fn(backend, type(node.layer))
    except BackendError as exc:
        raise BackendError(f"{where}: {exc}") from None
    try:
        return fn(node.layer, node)
    except PolyframeError as exc:
        if str(exc).startswith(node.path):
            raise
        raise type(exc)(f"{where}: {exc}") from exc
    except Exception as exc:
        raise BackendError(
            f"{where}: the lowering {getattr(fn, '__qualname__', fn)} failed with "
            f"{type(exc).__name__}: {exc}"
        ) from exc


# -- registry --------------------------------------------------------------------------------
_CACHE: dict[str, AbstractBackend] = {}


def _entry_points() -> dict[str, Any]:
    from importlib import metadata  # lazy: ~25 ms that `import polyframe` need not pay

    return {ep.name: ep for ep in metadata.entry_points(group=GROUP)}


def list_backends() -> list[str]:
    """Names of the installed backends (entry points; nothing is imported)."""
    return sorted(_entry_points())


def canonical_name(name: str) -> str:
    """Resolve aliases (``pytorch`` -> ``torch``, ``tf`` -> ``tensorflow``, ``flax`` -> ``jax``)."""
    return ALIASES.get(name.lower(), name.lower())


def default_backend() -> str:
    """``$POLYFRAME_BACKEND`` if set, else the first available of torch, jax, tensorflow."""
    env = os.environ.get("POLYFRAME_BACKEND")
    if env:
        return canonical_name(env)
    names = list_backends()
    for name in ("torch", "jax", "tensorflow", *names):
        if name in names and backend_status(name)[0]:
            return name
    raise BackendError(
        "no backend is installed; install one with pip install 'polyframe[torch]' "
        "(or [tensorflow], [jax], [all])"
    )


def _load_class(name: str) -> type[AbstractBackend]:
    eps = _entry_points()
    if name not in eps:
        known = ", ".join(sorted(eps)) or "none"
        raise BackendError(
            f"unknown backend {name!r}; available: {known} (aliases: "
            f"{', '.join(f'{a}={b}' for a, b in ALIASES.items())})"
        )
    try:
        return eps[name].load()
    except ImportError as exc:
        extra = EXTRAS.get(name, name)
        raise BackendError(
            f"backend {name!r} cannot be imported ({exc}); install its framework with "
            f"pip install 'polyframe[{extra}]'"
        ) from None


def backend_status(name: str) -> tuple[bool, str]:
    """(usable, reason) for a backend name, importing its plug-in but not building anything."""
    try:
        cls = _load_class(canonical_name(name))
    except BackendError as exc:
        return False, str(exc)
    return cls.available()


def usable_backends() -> list[str]:
    """Installed, usable backends: torch, tensorflow, jax first (torch loads before TensorFlow),
    then any plug-in. ConfigError when none is usable."""
    names = [n for n in ("torch", "tensorflow", "jax") if n in list_backends()]
    names += [n for n in list_backends() if n not in names]
    usable = [n for n in names if backend_status(n)[0]]
    if not usable:
        raise ConfigError("no backend is usable; install one with pip install 'polyframe[all]'")
    return usable


def get_backend(name: str | None = None) -> AbstractBackend:
    """The backend instance for ``name`` (default: :func:`default_backend`), cached."""
    key = canonical_name(name) if name else default_backend()
    if key not in _CACHE:
        cls = _load_class(key)
        ok, why = cls.available()
        if not ok:
            extra = EXTRAS.get(key, key)
            raise BackendError(
                f"backend {key!r} is unavailable: {why}; try pip install 'polyframe[{extra}]'"
            )
        _CACHE[key] = cls()
    return _CACHE[key]
