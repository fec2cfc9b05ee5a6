"""Keras optimizers with torch's update formulas (polyframe's canonical ones).

Keras' own ``SGD`` keeps ``lr`` inside the velocity (``v = m v - lr g``), which differs from
torch once the learning rate changes between steps, and Keras' ``Adam`` adds epsilon to the
*uncorrected* ``sqrt(v)``. These two subclasses implement the torch rules exactly; the bias
corrections are computed in float64.
"""

from __future__ import annotations

from typing import Any

from polyframe.errors import ConfigError
from polyframe.optim import SGD, Adam, Optimizer
from polyframe_tensorflow._env import keras

ops = keras.ops


@keras.saving.register_keras_serializable(package="polyframe")
class TorchSGD(keras.optimizers.Optimizer):
    """SGD, torch rule: ``buf = m*buf + g``; ``p -= lr*buf`` (nesterov: ``lr*(g + m*buf)``)."""

    def __init__(
        self,
        learning_rate: float = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        name: str = "torch_sgd",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
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
        g = ops.cast(gradient, variable.dtype)
        if self.momentum:
            buf = self.momentums[self._get_variable_index(variable)]
            new = buf * self.momentum + g
            self.assign(buf, new)
            update = g + self.momentum * new if self.nesterov else new
        else:
            update = g
        self.assign_sub(variable, lr * update)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(momentum=self.momentum, nesterov=self.nesterov)
        return config


@keras.saving.register_keras_serializable(package="polyframe")
class TorchAdam(keras.optimizers.Optimizer):
    """Adam, torch rule: ``p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps)``."""

    def __init__(
        self,
        learning_rate: float = 1e-3,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        name: str = "torch_adam",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)

    def build(self, variables: list[Any]) -> None:
        if self.built:
            return
        super().build(variables)
        self.m, self.v = self.add_optimizer_variables(variables, ["momentum", "velocity"])

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        dtype = variable.dtype
        g = ops.cast(gradient, dtype)
        i = self._get_variable_index(variable)
        m, v = self.m[i], self.v[i]
        step = ops.cast(self.iterations + 1, "float64")
        # float64 constants made directly (casting a Python float goes through float32 first)
        bc1 = 1.0 - ops.power(ops.convert_to_tensor(self.beta_1, dtype="float64"), step)
        bc2 = 1.0 - ops.power(ops.convert_to_tensor(self.beta_2, dtype="float64"), step)
        step_size = ops.cast(ops.cast(learning_rate, "float64") / bc1, dtype)
        sqrt_bc2 = ops.cast(ops.sqrt(bc2), dtype)
        new_m = m + (1.0 - self.beta_1) * (g - m)
        new_v = v * self.beta_2 + (1.0 - self.beta_2) * g * g
        self.assign(m, new_m)
        self.assign(v, new_v)
        self.assign_sub(variable, step_size * new_m / (ops.sqrt(new_v) / sqrt_bc2 + self.epsilon))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)
        return config


def keras_optimizer(opt: Optimizer) -> keras.optimizers.Optimizer:
    """The Keras optimizer implementing a polyframe optimizer spec."""
    if isinstance(opt, SGD):
        return TorchSGD(opt.lr, momentum=opt.momentum, nesterov=opt.nesterov)
    if isinstance(opt, Adam):
        return TorchAdam(opt.lr, beta_1=opt.beta1, beta_2=opt.beta2, epsilon=opt.eps)
    raise ConfigError(
        f"optimizer {type(opt).__name__} has no tensorflow lowering; known: SGD, Adam"
    )
