"""The benchmark suites: a model spec, a batch shape, an optimizer and synthetic data.

A suite names the layer kinds it needs; a suite whose layers this polyframe lacks is listed
in :data:`PLANNED` with the reason, and joins :data:`SUITES` once they exist (register it with
:func:`register_suite`).
"""

from __future__ import annotations

from typing import Any, Callable

from polyframe.bench.suite import Suite
from polyframe.errors import ConfigError
from polyframe.spec.layer import layer_kinds
from polyframe.spec.sequential import Sequential


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


def _overhead_mlp(input_dim: int, hidden: tuple[int, ...]) -> Callable[[], Sequential]:
    def spec() -> Sequential:
        from polyframe.models import mlp

        return mlp(input_shape=(input_dim,), hidden=hidden, classes=10)

    return spec


#: The overhead curve (``--suite overhead``): one MLP family from a model whose step is a few
#: hundred microseconds (where a fixed per-step cost decides the speed) to the mlp suite.
#: (input, hidden, batch, steps per window: a window lasts 0.1 s or more, so that a busy
#: machine's preemptions, a few ms each, stay small against it)
OVERHEAD_SIZES = (
    (64, (128,), 8, 2000),
    (64, (128,), 32, 2000),
    (256, (256, 256), 64, 300),
    (784, (512, 512), 128, 60),
)
for _d, _h, _b, _n in OVERHEAD_SIZES:
    register_suite(
        Suite(
            f"mlp-{'-'.join(map(str, (_d, *_h, 10)))}-b{_b}",
            _overhead_mlp(_d, _h),
            _b,
            _n,
            "overhead curve: the per-step cost of the abstraction at this size",
            requires=("Dense",),
            references=("docs", "tuned"),
            model="mlp",
            family="overhead",
        )
    )


def get_suites(names: str | list[str]) -> list[Suite]:
    """Suites by name; ``"all"``: every available one outside a family; a family's name
    (``overhead``): its suites; ``spec:<batch>:<file or zoo name>``: a spec of the user's
    (:func:`polyframe.bench.spec_suite.spec_suite`). Unknown or planned names raise."""
    wanted = names.split(",") if isinstance(names, str) else list(names)
    if wanted == ["all"]:
        return [s for s in SUITES.values() if not s.family]
    out = []
    for name in wanted:
        name = name.strip()
        if name in SUITES:
            out.append(SUITES[name])
        elif name in families():
            out += [s for s in SUITES.values() if s.family == name]
        elif name.startswith("spec:"):
            from polyframe.bench.spec_suite import spec_suite_named

            out.append(spec_suite_named(name))
        elif name in PLANNED:
            raise ConfigError(
                f"suite {name!r} needs layer kinds {list(PLANNED[name])} that this polyframe "
                f"does not have yet; available suites: {', '.join(SUITES)}"
            )
        else:
            names_ = [n for n, s in SUITES.items() if not s.family]
            raise ConfigError(
                f"unknown suite {name!r}; available: {', '.join(names_)}, the families "
                f"{', '.join(families())} (or 'all')"
            )
    return out


def families() -> list[str]:
    """The names of the suite families (``overhead``)."""
    return list(dict.fromkeys(s.family for s in SUITES.values() if s.family))
