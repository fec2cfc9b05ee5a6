"""Every Trainer feature trained with 1 or several workers on the same global batches.

The tests run this file once per backend as a 2-worker job (a subprocess: JAX and TensorFlow
need their devices before they are imported; torch launches one process per worker) and call
:func:`run_cases` in-process as the 1-worker reference. Each case records the loss of every
step, the final parameters and the last epoch's logs.

    python tests/distributed/features_job.py --backend jax --devices 2 --out result.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

import polyframe as pf
from polyframe.distributed import Plan, launched_env, prepare_environment, setup

N, BATCH, EPOCHS = 25, 8, 2  # 4 batches per epoch (8, 8, 8, 1): a worker without examples
METRICS = ["accuracy", "precision", "recall", "f1_macro", "f1_micro", "auc", "confusion_matrix"]


def dataset(n: int = N) -> tuple[np.ndarray, np.ndarray]:
    """6 features, 3 classes."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 6)).astype(np.float32)
    y = (x[:, 1] + x[:, 2] > 0).astype(np.int64) + (x[:, 3] > 0.5).astype(np.int64)
    return x, y


def spec(batchnorm: bool = False) -> pf.Sequential:
    L = pf.layers
    norm = [L.BatchNorm()] if batchnorm else []
    return pf.Sequential([L.Input((6,)), L.Dense(16), *norm, L.Activation("relu"), L.Dense(3)])


def conv_spec() -> pf.Sequential:
    """A small CNN on the 6 features seen as a 3x2 image with 1 channel."""
    L = pf.layers
    return pf.Sequential(
        [
            L.Input((3, 2, 1)),
            L.Conv2D(4, 2, padding="same"),
            L.Activation("relu"),
            L.Flatten(),
            L.Dense(3),
        ]
    )


def sequence_spec() -> pf.Sequential:
    """Embedding -> LSTM -> transformer block (attention, layer norms) on 6 tokens."""
    L = pf.layers
    return pf.Sequential(
        [
            L.Input((6,), dtype="int32"),
            L.Embedding(5, 8),
            L.LSTM(8, return_sequences=True),
            L.TransformerEncoderBlock(num_heads=2, ff_dim=8),
            L.GlobalAvgPool1D(),
            L.Dense(3),
        ]
    )


#: the models of the bfloat16 cases beyond the MLP: spec and how it sees the 6 features
MODELS: dict[str, tuple[Any, Any]] = {
    "mlp": (spec, lambda x: x),
    "conv": (conv_spec, lambda x: x.reshape(-1, 3, 2, 1)),
    "sequence": (sequence_spec, lambda x: np.clip(np.round(x + 2), 0, 4).astype(np.int32)),
}


#: name -> (Trainer options, fit options, callbacks factory)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "plain": ({}, {}),
    "clip_norm": ({"clip_norm": 0.05}, {}),
    "clip_value": ({"clip_value": 0.01}, {}),
    "accum_steps": ({"accum_steps": 2}, {}),
    "steps_per_execution": ({"steps_per_execution": 2}, {}),
    "bfloat16": ({"precision": "bfloat16"}, {}),
    "bfloat16_conv": ({"precision": "bfloat16"}, {"model": "conv"}),
    "bfloat16_sequence": ({"precision": "bfloat16"}, {"model": "sequence"}),
    # a sample weight of 1e6 overflows float16 at one step: the same step is skipped
    "float16": (
        {"precision": "float16", "loss_scale": pf.LossScale(initial=2.0**10, growth_interval=2)},
        {"sample_weight": np.where(np.arange(N) == 7, 1e6, 1.0).astype(np.float32)},
    ),
    "label_smoothing": ({"loss": pf.losses.Loss("cross_entropy", label_smoothing=0.1)}, {}),
    "class_weight": ({}, {"class_weight": {0: 2.0, 1: 0.5, 2: 1.0}}),
    "sample_weight": ({}, {"sample_weight": np.linspace(0.1, 2.0, N).astype(np.float32)}),
    "metrics": ({"metrics": METRICS}, {"validation": True}),
    "schedule": ({"schedule": "cosine"}, {}),
    "early_stopping": ({}, {"validation": True, "early_stopping": True, "epochs": 6}),
    # a model with batch norm, 5 steps of batches that split evenly over the workers
    "sync_batchnorm": ({"sync_batchnorm": True}, {"batchnorm": True, "epochs": 1}),
    # two inputs, two outputs (dict batches, per-output losses and metrics)
    "two_heads": (
        {
            "loss": {"cls": "cross_entropy", "reg": "mse"},
            "loss_weights": {"cls": 1.0, "reg": 0.5},
            "metrics": {"cls": ["accuracy", "f1_macro"]},
        },
        {"two_heads": True, "validation": True},
    ),
}


def two_heads_spec() -> pf.Graph:
    """``a``, ``b`` -> a shared Dense encoder -> ``cls`` (3 logits) and ``reg`` (2 values)."""
    L = pf.layers
    a, b = L.Input((6,), name="a"), L.Input((6,), name="b")
    enc = L.Dense(8, activation="tanh", name="enc")
    h = L.Concatenate(name="cat")([enc(a), enc(b)])
    return pf.Graph([a, b], [L.Dense(3, name="cls")(h), L.Dense(2, name="reg")(h)])


def two_heads_data(n: int = N) -> tuple[dict, dict]:
    x, y = dataset(n)
    b = np.roll(x, 1, axis=1)
    reg = np.stack([x[:, 0] - b[:, 1], x[:, 2] * 0.5], axis=1).astype(np.float32)
    return {"a": x, "b": b}, {"cls": y, "reg": reg}


class StepLosses(pf.callbacks.Callback):
    """The loss of every optimizer step, as the trainer logs it."""

    wants_batch_logs = True

    def __init__(self) -> None:
        self.losses: list[float] = []
        self.scales: list[float] = []  # float16: the loss scale after each step

    def on_train_batch_end(self, step: int, logs: dict | None = None) -> None:
        self.losses.append(float((logs or {})["loss"]))
        state = self.trainer.steps.loss_scale_state()
        if state:
            self.scales.append(float(state["loss_scale"]))


def _params(model: Any) -> dict[str, list]:
    return {k: np.asarray(v, np.float64).tolist() for k, v in model.params().items()}


def run_case(backend: str, name: str, strategy: str | None) -> dict[str, Any]:
    """Train one feature case; its step losses, final parameters and last logs."""
    options, fit_options = CASES[name]
    fit_options = dict(fit_options)
    batchnorm = fit_options.pop("batchnorm", False)
    heads = fit_options.pop("two_heads", False)
    data = two_heads_data if heads else dataset
    build, view = MODELS[fit_options.pop("model", "mlp")]
    x, y = data(40 if batchnorm else N)
    if heads:
        model = pf.build(two_heads_spec(), backend=backend, seed=3)
    else:
        x = view(x)
        model = pf.build(spec(batchnorm) if batchnorm else build(), backend=backend, seed=3)
    opts = {"optimizer": pf.optim.SGD(0.2, momentum=0.9), **options}
    trainer = pf.Trainer(model, strategy=strategy, **opts)
    losses = StepLosses()
    callbacks: list[Any] = [losses]
    if fit_options.pop("early_stopping", False):
        callbacks.append(pf.callbacks.EarlyStopping(monitor="val_loss", patience=0))
    if fit_options.pop("validation", False):
        fit_options["validation_data"] = data(11)
    fit_options.setdefault("epochs", EPOCHS)
    if "sample_weight" in fit_options:
        fit_options["sample_weight"] = fit_options["sample_weight"][: len(x)]
    history = trainer.fit(x, y, batch_size=BATCH, seed=5, callbacks=callbacks, **fit_options)
    result = {"losses": losses.losses, "params": _params(model), "epochs": len(history.epoch)}
    result["scales"] = losses.scales
    result["logs"] = {k: v[-1] for k, v in history.history.items()}
    if name == "metrics":
        evaluated = trainer.evaluate(*dataset(11), batch_size=5)
        result["evaluate"] = {k: np.asarray(v).tolist() for k, v in evaluated.items()}
    return result


def checkpoint_run(
    backend: str, strategy: str | None, epochs: int, directory: Path, resume: Path | None = None
) -> dict[str, Any]:
    """Adam (its state matters) with ModelCheckpoint into ``directory``, optionally resuming."""
    x, y = dataset()
    model = pf.build(spec(), backend=backend, seed=3)
    trainer = pf.Trainer(model, optimizer=pf.optim.Adam(0.01), strategy=strategy)
    ckpt = pf.callbacks.ModelCheckpoint(directory, keep_last=None)
    trainer.fit(x, y, batch_size=BATCH, epochs=epochs, seed=5, callbacks=[ckpt], resume_from=resume)
    return {"params": _params(model), "epoch": trainer.epoch}


#: 1-worker references computed in this process, shared by the tests that compare with them
_REFS: dict[tuple[str, str], dict[str, Any]] = {}


def run_cases(backend: str, strategy: str | None, names: list[str]) -> dict[str, Any]:
    """Every case of ``names`` (1-worker references: once per process)."""
    if strategy is not None:
        return {name: run_case(backend, name, strategy) for name in names}
    for name in names:
        if (backend, name) not in _REFS:
            _REFS[backend, name] = run_case(backend, name, None)
    return {name: _REFS[backend, name] for name in names}


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--backend", required=True)
    p.add_argument("--devices", type=int, default=2)
    p.add_argument("--nnodes", type=int, default=1)
    p.add_argument("--node-rank", type=int, default=0)
    p.add_argument("--port", type=int, default=29500)
    p.add_argument("--cases", default=",".join(CASES))
    p.add_argument("--checkpoint-dir", type=Path, help="train Adam 2 epochs, checkpoint here")
    p.add_argument("--resume-dir", type=Path, help="resume Adam from here to 4 epochs")
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    plan = Plan(args.devices, args.nnodes, args.node_rank, "127.0.0.1", args.port)
    prepare_environment(args.backend, plan)
    engine = pf.get_backend(args.backend).data_parallel()
    if engine.process_per_device and launched_env() is None:
        return engine.launch([__file__, *argv], plan)
    _, topo = setup(args.backend, plan=plan)
    names = [c for c in args.cases.split(",") if c]
    result: dict[str, Any] = {"cases": run_cases(args.backend, "data_parallel", names)}
    if args.checkpoint_dir:
        result["saved"] = checkpoint_run(args.backend, "data_parallel", 2, args.checkpoint_dir)
    if args.resume_dir:
        resumed = args.out.parent / "resumed"
        result["resumed"] = checkpoint_run(
            args.backend, "data_parallel", 4, resumed, resume=args.resume_dir
        )
    if topo.is_main:
        args.out.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
