"""``TorchBackend``: the polyframe contract implemented with PyTorch.

This module imports torch only when the backend is instantiated, so :meth:`available` can
report a missing torch instead of failing at import.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any

import numpy as np

from polyframe.backend import AbstractBackend, AbstractSteps
from polyframe.errors import BackendError
from polyframe.optim import Optimizer, get_optimizer

if TYPE_CHECKING:
    from polyframe.spec.model_spec import ModelSpec
    from polyframe.step_config import StepConfig


class TorchBackend(AbstractBackend):
    """PyTorch backend: the native module is a ``torch.nn.Sequential`` of torch layers."""

    name = "torch"

    @classmethod
    def available(cls) -> tuple[bool, str]:
        """(True, '') when torch can be imported (checked without importing it)."""
        if importlib.util.find_spec("torch") is None:
            return False, "torch is not installed (pip install 'polyframe[torch]')"
        return True, ""

    def __init__(self) -> None:
        from polyframe import threads
        from polyframe.import_order import guard_triton_import

        guard_triton_import()  # torch.optim loads triton: safe even if TensorFlow came first
        threads.before_import()
        import torch

        threads.after_import("torch")

        from polyframe.gc_freeze import freeze_import_objects
        from polyframe_torch import native

        freeze_import_objects("torch")  # torch's import-time objects: out of the collector's way

        self._torch = torch
        self._native = native
        self._device = torch.device(self.devices()[0])
        self._on_cpu = self._device.type == "cpu"
        self._from_numpy = torch.from_numpy

    def version(self) -> str:
        """torch's version, with the CUDA version when built with CUDA."""
        torch = self._torch
        cuda = getattr(torch.version, "cuda", None)
        return f"torch {torch.__version__}" + (f" (CUDA {cuda})" if cuda else "")

    def devices(self) -> list[str]:
        """Accelerators first (every CUDA device, else MPS), then the CPU."""
        torch = self._torch
        if torch.cuda.is_available():
            return [f"cuda:{i}" for i in range(torch.cuda.device_count())] + ["cpu"]
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return ["mps", "cpu"]
        return ["cpu"]

    def seed(self, seed: int) -> None:
        """Seed torch's generators (CPU and every accelerator): dropout masks."""
        self._torch.manual_seed(int(seed))

    # -- native module --------------------------------------------------------------------
    def lower(self, spec: Any, params: dict[str, np.ndarray], dtype: str = "float32") -> Any:
        """A ``PolyframeSequential`` (an ``nn.Sequential``) on the default device, in eval
        mode, holding ``params``."""
        torch_dtype = self._native.TORCH_DTYPES.get(dtype)
        if torch_dtype is None:
            raise BackendError(
                f"dtype {dtype!r} is not supported by the torch backend; "
                f"use one of {', '.join(self._native.TORCH_DTYPES)}"
            )
        if spec.is_graph:
            from polyframe_torch.graph import build_graph

            module = build_graph(spec)
        else:
            module = self._native.build_native(spec)
        module.to(device=self._device, dtype=torch_dtype)
        self._native.import_params(module, params)
        return module.eval()

    def export_params(self, native: Any) -> dict[str, np.ndarray]:
        """Canonical names and layouts, including batch-norm running statistics."""
        return self._native.export_params(native)

    def import_params(self, native: Any, params: dict[str, np.ndarray]) -> None:
        """Copy canonical parameters into ``native`` in place."""
        self._native.import_params(native, params)

    def forward(self, native: Any, x: Any, training: bool = False) -> Any:
        """Run ``native`` without autograd; ``training=True`` uses batch statistics, updates
        the running statistics and applies dropout. Leaves the module in that mode."""
        torch = self._torch
        if native.training != training:
            native.train(training)
        first = next(native.parameters(), None)

        def cast(t: Any) -> Any:
            if first is not None and t.is_floating_point() and t.dtype != first.dtype:
                return t.to(first.dtype)
            return t

        with torch.no_grad():
            if isinstance(x, (list, tuple)):  # a Graph with several inputs
                return native(*[cast(t) for t in x])
            return native(cast(x))

    def gradients(
        self, native: Any, x: Any, cotangent: np.ndarray, names: tuple[str, ...]
    ) -> tuple[np.ndarray | None, dict[str, np.ndarray]]:
        """Autograd in eval mode; parameter gradients reach the canonical layout through the
        module's own codecs (see :func:`polyframe_torch.gradients.gradients`)."""
        from polyframe_torch.gradients import gradients

        return gradients(native, x, cotangent, names)

    def to_numpy(self, t: Any) -> np.ndarray:
        """Tensor -> numpy; zero-copy for CPU tensors (bfloat16/float16 become float32)."""
        t = t.detach()
        if t.dtype in (self._torch.bfloat16, self._torch.float16):
            t = t.float()
        return t.cpu().numpy()

    def from_numpy(self, a: np.ndarray) -> Any:
        """numpy -> tensor on the default device; zero-copy on the CPU."""
        if type(a) is not np.ndarray or not a.flags.writeable:
            a = np.array(a)  # torch shares only writeable memory without a warning
        try:
            t = self._from_numpy(a)
        except ValueError:  # negative strides (a reversed view)
            t = self._from_numpy(a.copy())
        if self._on_cpu:
            return t
        return t.to(self._device, non_blocking=True)

    def data_parallel(self) -> Any:
        """The ``TorchEngine`` of :mod:`polyframe_torch.distributed` (one per process)."""
        if getattr(self, "_engine", None) is None:
            from polyframe_torch.distributed import TorchEngine

            self._engine = TorchEngine(self)
        return self._engine

    def quantized_ops(self) -> Any:
        """int8 kernels for polyframe.compress (see polyframe_torch/quantized.py)."""
        from polyframe_torch.quantized import Int8Ops

        return Int8Ops(self)

    def native_io(self) -> Any:
        """Native weight files and inference export (:mod:`polyframe_torch.export`)."""
        from polyframe_torch import export

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
        """Eager steps with a fused torch optimizer; ``compile=True`` adds ``torch.compile``."""
        from polyframe_torch.steps import TorchSteps

        opt = get_optimizer(optimizer)
        return TorchSteps(native, spec, opt, config, compile, placement=placement)
