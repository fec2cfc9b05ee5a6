"""The benchmark suites: a model spec, a batch shape, an optimizer and synthetic data.

A suite names the layer kinds it needs; a suite whose layers this polyframe lacks is listed
in :data:`PLANNED` with the reason, and joins :data:`SUITES` once they exist (register it with
:func:`register_suite`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from polyframe.errors import ConfigError
from polyframe.spec.layer import layer_kinds
from polyframe.spec.sequential import Sequential


@dataclass(frozen=True)
class Suite:
    """One benchmark model: ``spec()`` builds it; batches are ``(batch_size, *input_shape)``
    float32 in [0, 1) (token ids in ``[0, vocab)`` when ``vocab``) with integer labels;
    Adam(``lr``) and softmax cross-entropy. ``references`` names the comparisons that have
    hand-written code under ``polyframe_baselines`` (backends/polyframe_baselines/) (``docs``, ``tuned``, ``keras``)."""

    name: str
    spec: Callable[[], Any]
    batch_size: int
    steps_per_window: int
    why: str
    lr: float = 1e-3
    requires: tuple[str, ...] = ()
    vocab: int = 0
    references: tuple[str, ...] = ("docs", "tuned", "keras")

    def data(self, n_batches: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """``n_batches`` batches of synthetic data, the same for every implementation."""
        spec = self.spec()
        n = n_batches * self.batch_size
        # separate streams: the first k batches are the same whatever n_batches is
        rng = np.random.default_rng([seed, 1])
        shape = (n, *spec.input_shape)
        if self.vocab:
            x = rng.integers(0, self.vocab, size=shape).astype(spec.input_dtype)
        else:
            x = rng.random(shape, dtype=np.float32)
        labels = np.random.default_rng([seed, 2]).integers(0, spec.output_shape[-1], size=n)
        y = labels.astype(np.int64)
        return x, y


def _mlp() -> Sequential:
    from polyframe.models import mlp

    return mlp(input_shape=(784,), hidden=(512, 512), classes=10)


def _cnn() -> Sequential:
    from polyframe.models import cifar_cnn

    return cifar_cnn((32, 32, 3), classes=10)


def _resnet() -> Any:
    from polyframe.models import resnet20

    return resnet20((32, 32, 3), classes=10)


def _transformer() -> Any:
    from polyframe.models import transformer_classifier

    return transformer_classifier(
        seq_len=64, vocab_size=1000, classes=10, dim=128, heads=4, ff_dim=256, depth=2
    )


def _lstm() -> Sequential:
    from polyframe import layers as L

    return Sequential([L.Input((50, 40)), L.LSTM(128), L.Dense(10)], name="lstm_classifier")


SUITES: dict[str, Suite] = {}

#: Suites whose layers are not in this polyframe yet: name -> layer kinds (none at present;
#: a suite registered with layers that are missing is refused by :func:`register_suite`).
PLANNED: dict[str, tuple[str, ...]] = {}


def register_suite(suite: Suite) -> Suite:
    """Add (or replace) a suite; its ``requires`` must be registered layer kinds."""
    missing = [k for k in suite.requires if k not in layer_kinds()]
    if missing:
        raise ConfigError(
            f"suite {suite.name!r} needs layer kinds {missing} that are not registered; "
            "register those layers first"
        )
    SUITES[suite.name] = suite
    PLANNED.pop(suite.name, None)
    return suite


register_suite(
    Suite("mlp", _mlp, 128, 60, "784-512-512-10 MLP, dispatch-bound", requires=("Dense",))
)
register_suite(
    Suite(
        "cnn",
        _cnn,
        32,
        20,
        "conv32-pool-conv64-pool-fc120-fc84-fc10, conv layout costs",
        requires=("Conv2D", "MaxPool2D", "Dense"),
    )
)


register_suite(
    Suite(
        "resnet",
        _resnet,
        32,
        4,
        "CIFAR ResNet-20 at batch 32: residual graph, batch norm",
        requires=("Add", "BatchNorm", "Conv2D"),
    )
)
register_suite(
    Suite(
        "transformer",
        _transformer,
        32,
        8,
        "2-layer encoder, d=128, 4 heads, seq 64: attention, layer norm",
        requires=("Embedding", "TransformerEncoderBlock"),
        vocab=1000,
    )
)
register_suite(
    Suite(
        "lstm",
        _lstm,
        32,
        8,
        "1-layer LSTM 128 over (50, 40) frames: recurrent kernels",
        requires=("LSTM",),
    )
)


def get_suites(names: str | list[str]) -> list[Suite]:
    """Suites by name (``"all"``: every available one); unknown or planned names raise."""
    wanted = names.split(",") if isinstance(names, str) else list(names)
    if wanted == ["all"]:
        return list(SUITES.values())
    out = []
    for name in wanted:
        name = name.strip()
        if name in SUITES:
            out.append(SUITES[name])
        elif name in PLANNED:
            raise ConfigError(
                f"suite {name!r} needs layer kinds {list(PLANNED[name])} that this polyframe "
                f"does not have yet; available suites: {', '.join(SUITES)}"
            )
        else:
            raise ConfigError(f"unknown suite {name!r}; available: {', '.join(SUITES)} (or 'all')")
    return out
