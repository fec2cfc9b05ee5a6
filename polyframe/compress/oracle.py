"""The numpy oracle of quantized execution: the plan's operations with int32 accumulation."""

from __future__ import annotations

from typing import Any

import numpy as np

from polyframe.compress.schemes import QMAX


def activate_f32(y: np.ndarray, activation: str) -> np.ndarray:
    """``activation`` on float32: relu and identity exactly, others via the float reference."""
    if activation == "identity":
        return y
    if activation == "relu":
        return np.maximum(y, np.float32(0))
    from polyframe.reference.registry import activate

    return np.asarray(activate(y.astype(np.float64), activation), np.float32)


class NumpyOps:
    """:class:`polyframe.compress.plan.QuantOps` in numpy (the reference every backend meets)."""

    def asarray(self, a: np.ndarray) -> np.ndarray:
        return np.asarray(a)

    def numpy(self, t: Any) -> np.ndarray:
        return np.asarray(t)

    def lower(self, spec: Any, params: dict[str, np.ndarray]) -> Any:
        return spec, params

    def run_float(self, native: Any, x: np.ndarray) -> np.ndarray:
        from polyframe.reference.model import forward

        spec, params = native
        return forward(spec, params, x, out_dtype=np.float32)

    def absmax_scale(self, x: np.ndarray) -> np.ndarray:
        m = np.max(np.abs(x)).astype(np.float32)
        return m / np.float32(QMAX) if m > 0 else np.float32(1.0)

    def quantize(self, x: np.ndarray, scale: Any) -> np.ndarray:
        q = np.round(x.astype(np.float32) / np.float32(scale))
        return np.clip(q, -QMAX, QMAX).astype(np.int8)

    def int_dense(self, xq: np.ndarray, kernel: np.ndarray) -> np.ndarray:
        flat = xq.reshape(-1, xq.shape[-1]).astype(np.int32)
        acc = flat @ kernel.astype(np.int32)
        return acc.reshape(*xq.shape[:-1], kernel.shape[-1])

    def int_conv2d(self, xq: np.ndarray, kernel: np.ndarray, strides: tuple, pads: tuple) -> Any:
        kh, kw, cin, out = kernel.shape
        x = np.pad(xq, ((0, 0), pads[0], pads[1], (0, 0)))
        win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))
        win = win[:, :: strides[0], :: strides[1]]  # N, H', W', C, kh, kw
        n, h, w = win.shape[:3]
        patches = win.transpose(0, 1, 2, 4, 5, 3).reshape(n * h * w, kh * kw * cin)
        acc = patches.astype(np.int32) @ kernel.reshape(-1, out).astype(np.int32)
        return acc.reshape(n, h, w, out)

    def expand_h(self, x: np.ndarray) -> np.ndarray:
        return x[:, None]

    def squeeze_h(self, x: np.ndarray) -> np.ndarray:
        return x[:, 0]

    def mul(self, a: Any, b: np.ndarray) -> np.ndarray:
        return np.float32(a) * b

    def rescale(self, acc: np.ndarray, mult: np.ndarray, bias: Any, activation: str) -> Any:
        y = acc.astype(np.float32) * mult
        if bias is not None:
            y = y + bias
        return activate_f32(y, activation)
