"""A minimal fourth backend, written from docs/backends/writing-a-backend.md: numpy.

Inference runs the numpy reference itself (``polyframe.reference.forward``); training is a
plain SGD step over stacks of Flatten and Dense layers with a
hand-written backward pass. It is registered by tests/backends/fourth/test_fourth_backend.py
through a real entry point (a ``.dist-info`` on ``sys.path``), as a third-party package would be.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from polyframe.backend import AbstractBackend, AbstractSteps
from polyframe.errors import BackendError, ConfigError
from polyframe.metrics import compute
from polyframe.optim import SGD, Optimizer, get_optimizer
from polyframe.reference import forward
from polyframe.reference.registry import reference_fn
from polyframe.spec.core_layers import Dense, Flatten
from polyframe.spec.model_spec import ModelSpec
from polyframe.step_config import StepConfig

#: activation -> (f, derivative of f written with f's output)
ACTIVATIONS = {
    "identity": (lambda z: z, lambda a: np.ones_like(a)),
    "relu": (lambda z: np.maximum(z, 0.0), lambda a: (a > 0).astype(a.dtype)),
    "tanh": (np.tanh, lambda a: 1.0 - a * a),
}


class NumpyNet:
    """The native module: the spec and its canonical float32 parameters."""

    def __init__(self, spec: ModelSpec, params: dict[str, np.ndarray]) -> None:
        self.spec = spec
        self.params = {k: np.array(v, np.float32) for k, v in params.items()}


class NumpyBackend(AbstractBackend):
    """The polyframe contract over numpy: the oracle as a backend."""

    name = "numpy"

    @classmethod
    def available(cls) -> tuple[bool, str]:
        """numpy is always there (polyframe needs it)."""
        return True, ""

    def version(self) -> str:
        """numpy's version."""
        return f"numpy {np.__version__}"

    def devices(self) -> list[str]:
        """One CPU."""
        return ["cpu"]

    def lower(self, spec: ModelSpec, params: dict[str, np.ndarray], dtype: str = "float32") -> Any:
        """A :class:`NumpyNet`; every layer needs a numpy reference (or a ``pf.ops`` forward)."""
        if dtype != "float32":
            raise BackendError(f"the numpy backend computes in float32 only, got dtype {dtype!r}")
        for node in spec.lowered_nodes:
            try:
                reference_fn(type(node.layer))
            except Exception as exc:  # noqa: BLE001 - re-raised as the contract's error
                raise BackendError(f"{node.path} {node.name!r}: {exc}") from None
        return NumpyNet(spec, params)

    def export_params(self, native: NumpyNet) -> dict[str, np.ndarray]:
        """Copies of the canonical parameters."""
        return {k: v.copy() for k, v in native.params.items()}

    def import_params(self, native: NumpyNet, params: dict[str, np.ndarray]) -> None:
        """Replace the parameters in place (the names are the spec's)."""
        native.params.update({k: np.array(v, np.float32) for k, v in params.items()})

    def forward(self, native: NumpyNet, x: Any, training: bool = False) -> Any:
        """The reference forward; in training mode the new batch-norm statistics are kept."""
        state: dict[str, np.ndarray] = {}
        out = forward(native.spec, native.params, x, training, state if training else None)
        self.import_params(native, state)
        return out

    def to_numpy(self, t: Any) -> np.ndarray:
        """Already numpy."""
        return np.asarray(t)

    def from_numpy(self, a: np.ndarray) -> Any:
        """Already numpy."""
        return np.asarray(a)

    def make_steps(
        self,
        native: NumpyNet,
        spec: ModelSpec,
        optimizer: Optimizer,
        config: StepConfig,
        *,
        compile: bool | None = None,
        placement: Any = None,
    ) -> AbstractSteps:
        """:class:`NumpySteps`; numpy has no compiler (``compile`` is ignored) and no
        data-parallel engine."""
        if placement is not None:
            raise BackendError("the numpy backend runs on one device; drop strategy=")
        return NumpySteps(native, spec, get_optimizer(optimizer), config)


class NumpySteps(AbstractSteps):
    """Plain SGD on the native module's parameters; loss sums and correct counts on the host."""

    def __init__(
        self, native: NumpyNet, spec: ModelSpec, optimizer: Optimizer, config: StepConfig
    ) -> None:
        _check_supported(config)
        self.native, self.spec, self.opt_spec, self.config = native, spec, optimizer, config
        self._acc = {phase: [0.0, 0, 0] for phase in ("train", "eval")}  # loss sum, correct, n
        self._gacc: dict[str, np.ndarray] = {}  # sum of n_i * grad_i over pending micro-batches
        self._pending = 0
        self._last = np.zeros(0)
        self._updates = 0

    # -- training ----------------------------------------------------------------------
    def accumulate(self, x: Any, y: Any, w: Any = None) -> None:
        """Add this micro-batch's gradient, weighted by its size."""
        grads = self._loss_and_grads(x, y, w)
        for name, g in grads.items():
            self._gacc[name] = self._gacc.get(name, 0.0) + len(x) * g
        self._pending += len(x)

    def train(self, x: Any, y: Any, lr: float, w: Any = None) -> None:
        """One SGD step on this batch plus the accumulated micro-batches."""
        _check_sgd(self.opt_spec)
        self.accumulate(x, y, w)
        grads = {k: g / self._pending for k, g in self._gacc.items()}
        self._gacc, self._pending = {}, 0
        for name, g in _clip(grads, self.config).items():
            p = self.native.params[name]
            if self.opt_spec.weight_decay and self.opt_spec.decays(p.shape):
                g = g + self.opt_spec.weight_decay * p
            self.native.params[name] = (p - lr * g).astype(np.float32)
        self._updates += 1

    def _loss_and_grads(self, x: Any, y: Any, w: Any) -> dict[str, np.ndarray]:
        """Forward through the stack keeping each layer's output, the loss, then backward."""
        layers = _trainable_stack(self.spec)
        hs = [np.asarray(x, np.float64)]
        for node in layers:
            hs.append(_layer_forward(node, self.native.params, hs[-1]))
        losses, dout = _loss_grad(self.config.loss.name, hs[-1], np.asarray(y))
        weights = np.ones(len(x)) if w is None else np.asarray(w, np.float64)
        self._last = np.array([float(np.sum(weights * losses) / len(x))])
        self._count("train", hs[-1], y, float(np.sum(weights * losses)))
        d = dout * weights.reshape(-1, *([1] * (dout.ndim - 1))) / len(x)
        grads: dict[str, np.ndarray] = {}
        for node, h_in, h_out in reversed(list(zip(layers, hs[:-1], hs[1:], strict=True))):
            d = _layer_backward(node, self.native.params, h_in, h_out, d, grads)
        return grads

    # -- evaluation ----------------------------------------------------------------------
    def evaluate(self, x: Any, y: Any) -> None:
        """Add the batch's loss sum and correct count (inference mode)."""
        out = np.asarray(forward(self.spec, self.native.params, x), np.float64)
        losses, _ = _loss_grad(self.config.loss.name, out, np.asarray(y))
        self._count("eval", out, y, float(np.sum(losses)))

    def predict(self, x: Any) -> Any:
        """The reference forward in inference mode."""
        return forward(self.spec, self.native.params, x)

    def _count(self, phase: str, out: np.ndarray, y: Any, loss_sum: float) -> None:
        acc = self._acc[phase]
        acc[0] += loss_sum
        if self.config.metrics.correct:
            labels = np.asarray(y)
            labels = labels.argmax(1) if labels.ndim == 2 else labels
            acc[1] += int(np.sum(out.argmax(1) == labels))
        acc[2] += len(out)

    def results(self, phase: str) -> dict[str, Any]:
        """Mean loss per sample and the metrics since the last call; resets."""
        loss_sum, correct, n = self._acc[phase]
        self._acc[phase] = [0.0, 0, 0]
        counts = {"correct": np.int64(correct)} if self.config.metrics.correct else {}
        return {
            "loss": loss_sum / n if n else float("nan"),
            **compute(self.config.metrics, counts, n),
        }

    def last_losses(self) -> np.ndarray:
        """The loss of the last train / accumulate call."""
        return self._last.copy()

    def sync(self) -> None:
        """Nothing to copy: the steps train the native module's own arrays."""

    def optimizer_state(self) -> dict[str, np.ndarray]:
        """Plain SGD keeps no slots: only the update count."""
        return {"step": np.asarray(self._updates, np.int64)}

    def load_optimizer_state(self, state: dict[str, np.ndarray]) -> None:
        """Restore the update count."""
        self._updates = int(state["step"])


def _check_sgd(optimizer: Optimizer) -> None:
    """Training needs plain SGD (evaluation and prediction take any optimizer)."""
    if type(optimizer) is not SGD or optimizer.momentum:
        raise ConfigError(
            f"the numpy backend trains with plain SGD (no momentum), got {optimizer!r}; "
            "use pf.optim.SGD(lr) or another backend"
        )


def _check_supported(config: StepConfig) -> None:
    """Refuse, up front, the losses, metrics and precisions this backend does not implement."""
    if config.loss.name not in ("cross_entropy", "mse") or config.loss.label_smoothing:
        raise ConfigError(
            f"the numpy backend supports the losses 'cross_entropy' and 'mse', got {config.loss!r}"
        )
    plan = config.metrics
    if plan.confusion or plan.ks or plan.auc_bins or plan.custom or plan.binary:
        raise ConfigError(
            f"the numpy backend counts 'accuracy' only, got metrics {list(plan.names)}"
        )
    if config.precision != "float32":
        raise ConfigError(f"the numpy backend computes in float32, got {config.precision!r}")


def _trainable_stack(spec: ModelSpec) -> tuple[Any, ...]:
    """The nodes of a Sequential of layers with a backward pass here, else a BackendError."""
    if spec.is_graph:
        raise BackendError("the numpy backend trains Sequential models only (this is a Graph)")
    for node in spec.nodes:
        ok = isinstance(node.layer, Flatten) or (
            isinstance(node.layer, Dense)
            and node.layer.activation in ACTIVATIONS
            and len(node.input_shape) == 1
        )
        if not ok:
            raise BackendError(
                f"{node.path} {node.name!r} ({node.layer.kind}): the numpy backend trains "
                f"Flatten and Dense ({', '.join(ACTIVATIONS)}) layers only"
            )
    return tuple(spec.nodes)


def _layer_forward(node: Any, params: dict[str, np.ndarray], h: np.ndarray) -> np.ndarray:
    layer = node.layer
    if isinstance(layer, Flatten):
        return h.reshape(len(h), -1)
    z = h @ params[f"{node.name}.kernel"].astype(np.float64)
    if layer.use_bias:
        z = z + params[f"{node.name}.bias"]
    return ACTIVATIONS[layer.activation][0](z)


def _layer_backward(
    node: Any,
    params: dict[str, np.ndarray],
    h_in: np.ndarray,
    h_out: np.ndarray,
    d_out: np.ndarray,
    grads: dict[str, np.ndarray],
) -> np.ndarray:
    """Write the layer's parameter gradients into ``grads``; return the input gradient."""
    if isinstance(node.layer, Flatten):
        return d_out.reshape(h_in.shape)
    dz = d_out * ACTIVATIONS[node.layer.activation][1](h_out)
    grads[f"{node.name}.kernel"] = h_in.T @ dz
    if node.layer.use_bias:
        grads[f"{node.name}.bias"] = dz.sum(axis=0)
    return dz @ params[f"{node.name}.kernel"].astype(np.float64).T


def _loss_grad(name: str, out: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample losses and d(loss_i)/d(out_i)."""
    if name == "mse":
        diff = out - y.reshape(out.shape)
        return (diff**2).mean(axis=1), 2.0 * diff / out.shape[1]
    z = out - out.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    target = y.astype(np.float64) if y.ndim == 2 else np.eye(out.shape[1])[y.astype(np.int64)]
    return -(target * logp).sum(axis=1), np.exp(logp) - target


def _clip(grads: dict[str, np.ndarray], config: StepConfig) -> dict[str, np.ndarray]:
    """``clip_value`` then ``clip_norm`` (the StepConfig's formulas)."""
    if config.clip_value is not None:
        grads = {k: np.clip(g, -config.clip_value, config.clip_value) for k, g in grads.items()}
    if config.clip_norm is not None:
        norm = np.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))
        scale = min(1.0, config.clip_norm / (norm + 1e-6))
        grads = {k: g * scale for k, g in grads.items()}
    return grads
