"""Keras optimizers with torch's update formulas (polyframe's canonical ones).

Keras' own ``SGD`` keeps ``lr`` inside the velocity (``v = m v - lr g``), which differs from
torch once the learning rate changes between steps; Keras' ``Adam`` adds epsilon to the
*uncorrected* ``sqrt(v)``; its ``RMSprop`` and ``Adagrad`` put epsilon inside the root and
start Adagrad's accumulator at 0.1. These subclasses implement the torch rules exactly (bias
corrections in float64). Weight decay is applied here, not through Keras' ``weight_decay``
option, so that its rule (which parameters, coupled or decoupled) is polyframe's.

A state written with ``assign`` is read back from its variable where the update needs it (as
Keras' own optimizers do), never taken from the tensor that was assigned: the value is the
same, but a tensor with a second consumer cannot be adopted by the variable, so TF's
``AssignVariableOp`` copies it, and in graph mode the LSTM suite's whole step measured ~6%
more CPU with Adam written that way (benchmarks/results/lstm_profile.md, session 7).
"""

from __future__ import annotations

from typing import Any

from polyframe.errors import ConfigError
from polyframe.optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop
from polyframe_tensorflow._env import keras, tf

ops = keras.ops


class _TorchRule(keras.optimizers.Optimizer):
    """Shared parts: ``wd`` with polyframe's parameter rule (rank >= 2 unless ``decay_all``)."""

    def __init__(self, learning_rate: float, wd: float, decay_all: bool, name: str, **kwargs: Any):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.wd = float(wd)
        self.decay_all = bool(decay_all)

    def _decays(self, variable: Any) -> bool:
        return self.wd > 0 and (self.decay_all or len(variable.shape) >= 2)

    def _grad(self, gradient: Any, variable: Any) -> Any:
        """The gradient in the variable's dtype, plus ``wd * p`` (coupled L2) where it applies."""
        g = ops.cast(gradient, variable.dtype)
        return g + self.wd * variable if self._decays(variable) else g

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(wd=self.wd, decay_all=self.decay_all)
        return config


@keras.saving.register_keras_serializable(package="polyframe")
class TorchSGD(_TorchRule):
    """SGD, torch rule: ``buf = m*buf + g``; ``p -= lr*buf`` (nesterov: ``lr*(g + m*buf)``)."""

    def __init__(
        self,
        learning_rate: float = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        wd: float = 0.0,
        decay_all: bool = False,
        name: str = "torch_sgd",
        **kwargs: Any,
    ):
        super().__init__(learning_rate, wd, decay_all, name, **kwargs)
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def build(self, variables: list[Any]) -> None:
        if self.built:
            return
        super().build(variables)
        self.momentums = (
            self.add_optimizer_variables(variables, "momentum") if self.momentum else []
        )

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        lr = ops.cast(learning_rate, variable.dtype)
        g = self._grad(gradient, variable)
        if self.momentum:
            buf = self.momentums[self._get_variable_index(variable)]
            # torch starts the buffer at g (step 1); zeros * m + g is the same
            self.assign(buf, buf * self.momentum + g)
            update = g + self.momentum * buf if self.nesterov else buf  # read back
        else:
            update = g
        self.assign_sub(variable, lr * update)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(momentum=self.momentum, nesterov=self.nesterov)
        return config


@keras.saving.register_keras_serializable(package="polyframe")
class TorchAdam(_TorchRule):
    """Adam, torch rule: ``p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps)``; ``decoupled=True``
    is AdamW (``p -= lr*wd*p`` before the step, instead of ``g += wd*p``)."""

    def __init__(
        self,
        learning_rate: float = 1e-3,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        wd: float = 0.0,
        decay_all: bool = False,
        decoupled: bool = False,
        name: str = "torch_adam",
        **kwargs: Any,
    ):
        super().__init__(learning_rate, wd, decay_all, name, **kwargs)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self.decoupled = bool(decoupled)

    def build(self, variables: list[Any]) -> None:
        if self.built:
            return
        super().build(variables)
        self.m, self.v = self.add_optimizer_variables(variables, ["momentum", "velocity"])

    _corrections: tuple[Any, Any] | None = None

    def _bias_corrections(self, learning_rate: Any) -> tuple[Any, Any]:
        """``(lr / bc1, sqrt(bc2))`` of this step, in float64."""
        step = ops.cast(self.iterations + 1, "float64")
        # float64 constants made directly (casting a Python float goes through float32 first)
        bc1 = 1.0 - ops.power(ops.convert_to_tensor(self.beta_1, dtype="float64"), step)
        bc2 = 1.0 - ops.power(ops.convert_to_tensor(self.beta_2, dtype="float64"), step)
        return ops.cast(learning_rate, "float64") / bc1, ops.sqrt(bc2)

    def _backend_update_step(self, grads: Any, variables: Any, learning_rate: Any) -> None:
        """Compute the bias corrections once per step, not once per variable (each reads
        ``iterations``, a stateful op the compiler cannot merge: ~4% of an MLP step). Under
        a distribution strategy each variable's update computes its own."""
        if tf.distribute.has_strategy():
            return super()._backend_update_step(grads, variables, learning_rate)
        self._corrections = self._bias_corrections(learning_rate)
        try:
            super()._backend_update_step(grads, variables, learning_rate)
        finally:
            self._corrections = None

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        dtype = variable.dtype
        if self.decoupled:
            g = ops.cast(gradient, dtype)
            if self._decays(variable):
                self.assign_sub(variable, ops.cast(learning_rate, dtype) * self.wd * variable)
        else:
            g = self._grad(gradient, variable)
        i = self._get_variable_index(variable)
        m, v = self.m[i], self.v[i]
        step_size, sqrt_bc2 = self._corrections or self._bias_corrections(learning_rate)
        step_size, sqrt_bc2 = ops.cast(step_size, dtype), ops.cast(sqrt_bc2, dtype)
        self.assign(m, m + (1.0 - self.beta_1) * (g - m))
        self.assign(v, v * self.beta_2 + (1.0 - self.beta_2) * g * g)
        # m and v read back from the variables just written (see the module's docstring)
        self.assign_sub(variable, step_size * m / (ops.sqrt(v) / sqrt_bc2 + self.epsilon))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon, decoupled=self.decoupled
        )
        return config


@keras.saving.register_keras_serializable(package="polyframe")
class TorchRMSprop(_TorchRule):
    """RMSprop, torch rule: ``avg = sqrt(v - mg^2) + eps``; ``p -= lr * g/avg`` (or through a
    momentum buffer ``buf = m*buf + g/avg``)."""

    def __init__(
        self,
        learning_rate: float = 0.01,
        alpha: float = 0.99,
        epsilon: float = 1e-8,
        momentum: float = 0.0,
        centered: bool = False,
        wd: float = 0.0,
        decay_all: bool = False,
        name: str = "torch_rmsprop",
        **kwargs: Any,
    ):
        super().__init__(learning_rate, wd, decay_all, name, **kwargs)
        self.alpha = float(alpha)
        self.epsilon = float(epsilon)
        self.momentum = float(momentum)
        self.centered = bool(centered)

    def build(self, variables: list[Any]) -> None:
        if self.built:
            return
        super().build(variables)
        self.sq = self.add_optimizer_variables(variables, "square_avg")
        self.mg = self.add_optimizer_variables(variables, "grad_avg") if self.centered else []
        self.buf = self.add_optimizer_variables(variables, "momentum") if self.momentum else []

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        lr = ops.cast(learning_rate, variable.dtype)
        g = self._grad(gradient, variable)
        i = self._get_variable_index(variable)
        sq = self.sq[i]
        self.assign(sq, sq * self.alpha + (1.0 - self.alpha) * g * g)
        if self.centered:  # states read back from their variables (the module's docstring)
            mg = self.mg[i]
            self.assign(mg, mg * self.alpha + (1.0 - self.alpha) * g)
            avg = ops.sqrt(sq - mg * mg) + self.epsilon
        else:
            avg = ops.sqrt(sq) + self.epsilon
        d = g / avg
        if self.momentum:
            buf = self.buf[i]
            self.assign(buf, buf * self.momentum + d)
            d = buf
        self.assign_sub(variable, lr * d)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            alpha=self.alpha, epsilon=self.epsilon, momentum=self.momentum, centered=self.centered
        )
        return config


@keras.saving.register_keras_serializable(package="polyframe")
class TorchAdagrad(_TorchRule):
    """Adagrad, torch rule: ``s += g^2``; ``p -= lr * g / (sqrt(s) + eps)``."""

    def __init__(
        self,
        learning_rate: float = 0.01,
        epsilon: float = 1e-10,
        initial_accumulator_value: float = 0.0,
        wd: float = 0.0,
        decay_all: bool = False,
        name: str = "torch_adagrad",
        **kwargs: Any,
    ):
        super().__init__(learning_rate, wd, decay_all, name, **kwargs)
        self.epsilon = float(epsilon)
        self.initial_accumulator_value = float(initial_accumulator_value)

    def build(self, variables: list[Any]) -> None:
        if self.built:
            return
        super().build(variables)
        init = keras.initializers.Constant(self.initial_accumulator_value)
        self.acc = [
            self.add_variable_from_reference(v, "accumulator", initializer=init) for v in variables
        ]

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        lr = ops.cast(learning_rate, variable.dtype)
        g = self._grad(gradient, variable)
        i = self._get_variable_index(variable)
        s = self.acc[i]
        self.assign(s, s + g * g)
        self.assign_sub(variable, lr * g / (ops.sqrt(s) + self.epsilon))  # s read back

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            epsilon=self.epsilon, initial_accumulator_value=self.initial_accumulator_value
        )
        return config


def keras_optimizer(opt: Optimizer) -> keras.optimizers.Optimizer:
    """The Keras optimizer implementing a polyframe optimizer spec."""
    decay = {"wd": opt.weight_decay, "decay_all": opt.decay_all}
    if isinstance(opt, SGD):
        return TorchSGD(opt.lr, momentum=opt.momentum, nesterov=opt.nesterov, **decay)
    if isinstance(opt, Adam):
        return TorchAdam(
            opt.lr,
            beta_1=opt.beta1,
            beta_2=opt.beta2,
            epsilon=opt.eps,
            decoupled=isinstance(opt, AdamW),
            **decay,
        )
    if isinstance(opt, RMSprop):
        return TorchRMSprop(
            opt.lr,
            alpha=opt.alpha,
            epsilon=opt.eps,
            momentum=opt.momentum,
            centered=opt.centered,
            **decay,
        )
    if isinstance(opt, Adagrad):
        return TorchAdagrad(
            opt.lr,
            epsilon=opt.eps,
            initial_accumulator_value=opt.initial_accumulator_value,
            **decay,
        )
    raise ConfigError(
        f"optimizer {type(opt).__name__} has no tensorflow lowering; "
        "known: SGD, Adam, AdamW, RMSprop, Adagrad"
    )
