"""MNIST with a two-hidden-layer MLP, on any backend, from torchvision or tensorflow-datasets.

    python docs/examples/mnist_mlp.py --backend torch --data torchvision:MNIST --download
    python docs/examples/mnist_mlp.py --backend jax --data tfds:mnist --data-dir ~/tfds

The same seed gives the same batches (and the same initial weights) on every backend.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import polyframe as pf


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--backend", choices=["torch", "tensorflow", "jax"], default=None)
    parser.add_argument(
        "--data", default="torchvision:MNIST", help="torchvision:MNIST or tfds:mnist"
    )
    parser.add_argument("--data-dir", default=None, help="torchvision root / tfds data_dir")
    parser.add_argument("--download", action="store_true", help="fetch the data set if missing")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=None, help="use only N examples per split")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, float]:
    args = parse(argv)
    (x, y), (xt, yt) = pf.data.load_train_test(
        args.data, data_dir=args.data_dir, download=args.download
    )
    if args.limit:
        x, y, xt, yt = x[: args.limit], y[: args.limit], xt[: args.limit], yt[: args.limit]
    print(f"{args.data}: {len(x)} train, {len(xt)} test, images {x.shape[1:]} {x.dtype}")

    loader = pf.data.Loader(
        x, y, batch_size=args.batch_size, seed=args.seed, prefetch=2, num_classes=10
    )
    model = pf.build(
        pf.models.mlp(input_shape=(28, 28, 1), hidden=(512, 512)),
        backend=args.backend,
        seed=args.seed,
    )
    trainer = pf.Trainer(
        model, optimizer=pf.optim.Adam(args.lr), loss="cross_entropy", metrics=["accuracy"]
    )
    trainer.fit(loader, epochs=args.epochs, verbose=1)
    result = trainer.evaluate(xt, yt)
    chance = float(np.bincount(yt, minlength=10).max() / len(yt))
    print(
        f"{model.backend}: test accuracy {result['accuracy']:.4f} (majority class {chance:.2f}),"
        f" loss {result['loss']:.4f}"
    )
    return result


if __name__ == "__main__":
    try:
        main()
    except pf.PolyframeError as exc:  # a user error (missing data, bad flag): one line, exit 2
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
