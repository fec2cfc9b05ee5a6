"""int8 kernels for polyframe.compress on PyTorch.

Path: ``torch._int_mm`` (int8 x int8 -> int32; the kernel torchao's int8 dynamic quantization
uses) for Dense and for convolutions as im2col (``Tensor.unfold``) + ``_int_mm``. The
``torch.ao`` quantized modules were not used: they requantize to uint8 with zero points
inside fbgemm, so their int32 accumulators are not observable, and they run on the CPU only.
On CUDA ``_int_mm`` wants more than 16 rows and sizes divisible by 8: the operands are
zero-padded, which leaves the accumulators unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from polyframe.compress.schemes import QMAX


class Int8Ops:
    """:class:`polyframe.compress.plan.QuantOps` with torch tensors on the backend's device."""

    def __init__(self, backend: Any) -> None:
        import torch

        self.torch = torch
        self.be = backend
        self.device = backend._device
        # shape-(1,) tensors: torch computes tensor / python-scalar as a * (1/b) on CUDA
        self.qmax = torch.tensor([float(QMAX)], device=self.device)
        self.one = torch.ones(1, device=self.device)

    def asarray(self, a: np.ndarray) -> Any:
        a = np.asarray(a)
        return self.torch.from_numpy(np.array(a.reshape(a.shape or (1,)))).to(self.device)

    def numpy(self, t: Any) -> np.ndarray:
        return t.detach().cpu().numpy()

    def lower(self, spec: Any, params: dict[str, np.ndarray]) -> Any:
        return self.be.lower(spec, params)

    def run_float(self, native: Any, x: Any) -> Any:
        return self.be.forward(native, x, False)

    def absmax_scale(self, x: Any) -> Any:
        m = x.abs().amax().reshape(1)
        return self.torch.where(m > 0, m / self.qmax, self.one)

    def quantize(self, x: Any, scale: Any) -> Any:
        torch = self.torch
        return torch.clamp(torch.round(x / scale), -QMAX, QMAX).to(torch.int8)

    def _mm(self, a: Any, b: Any) -> Any:
        torch = self.torch
        if a.device.type == "cpu":
            return torch._int_mm(a.contiguous(), b.contiguous())
        m, k = a.shape
        n = b.shape[1]
        pm, pk, pn = max(17 - m, 0), -k % 8, -n % 8
        a = torch.nn.functional.pad(a, (0, pk, 0, pm))
        b = torch.nn.functional.pad(b, (0, pn, 0, pk))
        return torch._int_mm(a.contiguous(), b.contiguous())[:m, :n]

    def int_dense(self, xq: Any, kernel: Any) -> Any:
        acc = self._mm(xq.reshape(-1, xq.shape[-1]), kernel)
        return acc.reshape(*xq.shape[:-1], kernel.shape[-1])

    def int_conv2d(self, xq: Any, kernel: Any, strides: tuple, pads: tuple) -> Any:
        kh, kw, cin, out = kernel.shape
        (t, b), (left, r) = pads
        x = self.torch.nn.functional.pad(xq, (0, 0, left, r, t, b))
        win = x.unfold(1, kh, strides[0]).unfold(2, kw, strides[1])  # N, H', W', C, kh, kw
        n, h, w = win.shape[:3]
        patches = win.permute(0, 1, 2, 4, 5, 3).reshape(n * h * w, kh * kw * cin)
        return self._mm(patches, kernel.reshape(-1, out)).reshape(n, h, w, out)

    def expand_h(self, x: Any) -> Any:
        return x[:, None]

    def squeeze_h(self, x: Any) -> Any:
        return x[:, 0]

    def mul(self, a: Any, b: Any) -> Any:
        return a * b

    def export(self, qmodel: Any, path: Any) -> Any:
        """See :func:`export_quantized`."""
        return export_quantized(qmodel, path)

    def rescale(self, acc: Any, mult: Any, bias: Any, activation: str) -> Any:
        torch = self.torch
        y = acc.to(torch.float32) * mult
        if bias is not None:
            y = y + bias
        if activation == "identity":
            return y
        if activation == "relu":
            return torch.relu(y)
        fns = {
            "tanh": torch.tanh,
            "sigmoid": torch.sigmoid,
            "gelu": torch.nn.functional.gelu,
            "gelu_tanh": lambda v: torch.nn.functional.gelu(v, approximate="tanh"),
            "softmax": lambda v: torch.softmax(v, -1),
        }
        return fns[activation](y)


def export_quantized(qmodel: Any, path: Any) -> Any:
    """``torch.export`` the int8 forward (``aten._int_mm`` in the graph; batch dimension
    dynamic) and save it to ``path`` (``.pt2``); load it with ``torch.export.load(path)
    .module()(x)``, without polyframe."""
    from pathlib import Path

    import torch

    from polyframe.compress.plan import FloatStep, run_plan

    ops, plan = qmodel._ops, qmodel._plan

    class Int8Forward(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()  # the float segments, registered so their weights travel
            self.segments = torch.nn.ModuleList(
                [s.native for s in plan if isinstance(s, FloatStep)]
            )
            self.eval()

        def forward(self, x: Any) -> Any:
            return run_plan(plan, ops, x)

    example = ops.asarray(np.zeros((2, *qmodel.spec.input_shape), np.float32))
    with torch.no_grad():
        program = torch.export.export(
            Int8Forward(), (example,), dynamic_shapes={"x": {0: torch.export.Dim("batch")}}
        )
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    torch.export.save(program, str(path))
    return Path(path)
