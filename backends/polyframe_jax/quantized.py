"""int8 kernels for polyframe.compress on JAX.

Path: ``lax.dot_general`` and ``lax.conv_general_dilated`` on int8 operands with
``preferred_element_type=int32`` (XLA's native integer GEMM / convolution with int32
accumulation; the same primitives ``aqtp`` and ``qwix`` lower to). ``QuantizedModel.__call__``
runs the plan under one ``jit`` (:meth:`Int8Ops.compile`); ``accumulators`` runs it op by op
to read the int32 tensors back.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from polyframe.compress.schemes import QMAX


class Int8Ops:
    """:class:`polyframe.compress.plan.QuantOps` with jax arrays."""

    def __init__(self, backend: Any) -> None:
        import jax
        import jax.numpy as jnp
        from jax import lax

        self.jax, self.jnp, self.lax = jax, jnp, lax
        self.be = backend
        self.qmax = jnp.asarray([float(QMAX)], jnp.float32)
        self.one = jnp.ones([1], jnp.float32)

    def asarray(self, a: np.ndarray) -> Any:
        a = np.asarray(a)
        return self.jnp.asarray(a.reshape(a.shape or (1,)))

    def numpy(self, t: Any) -> np.ndarray:
        return np.asarray(t)

    def lower(self, spec: Any, params: dict[str, np.ndarray]) -> Any:
        return self.be.lower(spec, params)

    def run_float(self, native: Any, x: Any) -> Any:
        return self.be.forward(native, x, False)

    def absmax_scale(self, x: Any) -> Any:
        jnp = self.jnp
        m = jnp.max(jnp.abs(x)).reshape(1)
        return jnp.where(m > 0, m / self.qmax, self.one)

    def quantize(self, x: Any, scale: Any) -> Any:
        jnp = self.jnp
        return jnp.clip(jnp.round(x / scale), -QMAX, QMAX).astype(jnp.int8)

    def int_dense(self, xq: Any, kernel: Any) -> Any:
        dims = (((xq.ndim - 1,), (0,)), ((), ()))
        return self.lax.dot_general(xq, kernel, dims, preferred_element_type=self.jnp.int32)

    def int_conv2d(self, xq: Any, kernel: Any, strides: tuple, pads: tuple) -> Any:
        return self.lax.conv_general_dilated(
            xq,
            kernel,
            tuple(strides),
            [tuple(pads[0]), tuple(pads[1])],
            dimension_numbers=("NHWC", "HWIO", "NHWC"),
            preferred_element_type=self.jnp.int32,
        )

    def expand_h(self, x: Any) -> Any:
        return x[:, None]

    def squeeze_h(self, x: Any) -> Any:
        return x[:, 0]

    def mul(self, a: Any, b: Any) -> Any:
        return a * b

    def compile(self, plan: list[Any]) -> Any:
        """The whole plan under one ``jax.jit`` (for ``QuantizedModel.__call__``): XLA keeps
        the integer ops exact and, on CPU, contracts no float op, so the outputs stay
        bit-identical to the oracle (tests/compress/test_quantize.py)."""
        from polyframe.compress.plan import run_plan

        return self.jax.jit(lambda x: run_plan(plan, self, x))

    def export(self, qmodel: Any, path: Any) -> Any:
        """See :func:`export_quantized`."""
        return export_quantized(qmodel, path)

    def rescale(self, acc: Any, mult: Any, bias: Any, activation: str) -> Any:
        jax, jnp = self.jax, self.jnp
        y = acc.astype(jnp.float32) * mult
        if bias is not None:
            y = y + bias
        if activation == "identity":
            return y
        fns = {
            "relu": jax.nn.relu,
            "tanh": jnp.tanh,
            "sigmoid": jax.nn.sigmoid,
            "gelu": lambda v: jax.nn.gelu(v, approximate=False),
            "gelu_tanh": lambda v: jax.nn.gelu(v, approximate=True),
            "softmax": lambda v: jax.nn.softmax(v, axis=-1),
        }
        return fns[activation](y)


def export_quantized(qmodel: Any, path: Any) -> Any:
    """Serialize the int8 forward with ``jax.export`` (batch dimension symbolic) to ``path``;
    load it with ``jax.export.deserialize(bytes).call(x)``, without polyframe. Under the
    export's ``jit`` the dynamic and static outputs stay bit-identical to the oracle."""
    from pathlib import Path

    import jax
    import jax.numpy as jnp
    from jax import export

    from polyframe.compress.plan import run_plan

    ops, plan = qmodel._ops, qmodel._plan
    forward = jax.jit(lambda x: run_plan(plan, ops, x))
    (batch,) = export.symbolic_shape("batch")
    dtype = jnp.float32 if qmodel.spec.input_dtype == "float32" else jnp.int32
    exported = export.export(forward)(
        jax.ShapeDtypeStruct((batch, *qmodel.spec.input_shape), dtype)
    )
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(exported.serialize())
    return Path(path)
