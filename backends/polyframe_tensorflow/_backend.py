"""``TensorFlowBackend``: the polyframe contract on Keras 3 + TensorFlow.

This module stays light: TensorFlow and Keras are imported when the backend is first used,
so :meth:`TensorFlowBackend.available` only asks importlib.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any

import numpy as np

from polyframe.backend import AbstractBackend, AbstractSteps
from polyframe.optim import Optimizer

if TYPE_CHECKING:
    from polyframe.spec.model_spec import ModelSpec
    from polyframe.step_config import StepConfig


class TensorFlowBackend(AbstractBackend):
    """Lowers specs to ``keras.Sequential`` models and trains them with XLA-compiled steps."""

    name = "tensorflow"

    def __init__(self) -> None:
        self._seed = 0
        self._gpu: str | None = None
        self._gpu_checked = False

    @classmethod
    def available(cls) -> tuple[bool, str]:
        """(True, '') when tensorflow and keras (3.x) can be imported."""
        missing = [m for m in ("tensorflow", "keras") if importlib.util.find_spec(m) is None]
        if missing:
            return False, f"{' and '.join(missing)} not installed"
        return True, ""

    def version(self) -> str:
        """``'tensorflow X, keras Y'``."""
        from polyframe_tensorflow._env import keras, tf

        return f"tensorflow {tf.__version__}, keras {keras.__version__}"

    def devices(self) -> list[str]:
        """GPUs first when present, else the CPU."""
        from polyframe_tensorflow._env import tf

        gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
        return gpus or [d.name for d in tf.config.list_logical_devices("CPU")]

    def seed(self, seed: int) -> None:
        """Seed TensorFlow's global RNG and the dropout layers lowered afterwards."""
        from polyframe_tensorflow import layers
        from polyframe_tensorflow._env import tf

        self._seed = int(seed)
        tf.random.set_seed(self._seed)
        layers.set_dropout_seed(self._seed)

    def lower(self, spec: Any, params: dict[str, np.ndarray], dtype: str = "float32") -> Any:
        """A ``keras.Sequential`` with one sub-layer per spec node, holding ``params``."""
        from polyframe_tensorflow.lower import lower

        return lower(spec, params, dtype)

    def export_params(self, native: Any) -> dict[str, np.ndarray]:
        """Canonical names and layouts, BatchNorm statistics included."""
        from polyframe_tensorflow.params import export_params

        return export_params(native)

    def import_params(self, native: Any, params: dict[str, np.ndarray]) -> None:
        """Assign canonical parameters to the model's variables in place."""
        from polyframe_tensorflow.params import import_params

        import_params(native, params)

    def forward(self, native: Any, x: Any, training: bool = False) -> Any:
        """``native(x, training=training)`` (a cached graph function); training mode updates
        BatchNorm statistics in the native model."""
        from polyframe_tensorflow.forward import forward

        return forward(native, x, training)

    def gradients(
        self, native: Any, x: Any, cotangent: np.ndarray, names: tuple[str, ...]
    ) -> tuple[np.ndarray | None, dict[str, np.ndarray]]:
        """``tf.GradientTape`` in inference mode; see :mod:`polyframe_tensorflow.gradients`."""
        from polyframe_tensorflow.gradients import gradients

        return gradients(native, x, cotangent, names)

    def to_numpy(self, t: Any) -> np.ndarray:
        """Tensor -> numpy (shares memory for CPU tensors)."""
        return t.numpy() if hasattr(t, "numpy") else np.asarray(t)

    def from_numpy(self, a: np.ndarray) -> Any:
        """numpy -> tensor on the default device (a CPU tensor may alias ``a``; with a GPU the
        batch is copied there once, so the compiled step does not copy it again)."""
        from polyframe_tensorflow._env import tf

        if not self._gpu_checked:
            gpus = tf.config.list_logical_devices("GPU")
            self._gpu = gpus[0].name if gpus else None
            self._gpu_checked = True
        if self._gpu is None:
            return tf.convert_to_tensor(a)
        with tf.device(self._gpu):
            return tf.identity(tf.convert_to_tensor(a))

    def data_parallel(self) -> Any:
        """The ``TensorFlowEngine`` of :mod:`polyframe_tensorflow.distributed` (one per process)."""
        if getattr(self, "_engine", None) is None:
            from polyframe_tensorflow.distributed import TensorFlowEngine

            self._engine = TensorFlowEngine()
        return self._engine

    def quantized_ops(self) -> Any:
        """int8 kernels for polyframe.compress (see polyframe_tensorflow/quantized.py)."""
        from polyframe_tensorflow.quantized import Int8Ops

        return Int8Ops(self)

    def native_io(self) -> Any:
        """Native weight files and inference export (:mod:`polyframe_tensorflow.export`)."""
        from polyframe_tensorflow import export

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
    ) -> AbstractSteps:
        """Compiled steps: ``compile=True`` XLA, ``False`` eager (debugging), ``None`` XLA except
        conv models on CPU-only machines (graph mode there, faster) and bfloat16 (graph mode, as
        under data parallelism); see ``choose_mode``."""
        from polyframe.optim import get_optimizer
        from polyframe_tensorflow.steps import TensorFlowSteps, choose_mode

        mode = choose_mode(spec, compile, config.precision)
        opt = get_optimizer(optimizer)
        return TensorFlowSteps(native, spec, opt, config, mode, placement=placement)
