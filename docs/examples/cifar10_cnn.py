"""CIFAR-10 with the classic small CNN and crop/flip augmentation, on any backend, from
torchvision or tensorflow-datasets.

    python docs/examples/cifar10_cnn.py --backend torch --data torchvision:CIFAR10 --download
    python docs/examples/cifar10_cnn.py --backend tensorflow --data tfds:cifar10 --download

Augmentation runs in numpy in the loader, seeded per (seed, epoch, batch): the same seed
gives the same augmented batches on every backend.
"""

from __future__ import annotations

import argparse
import sys

import polyframe as pf


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--backend", choices=["torch", "tensorflow", "jax"], default=None)
    parser.add_argument(
        "--data", default="torchvision:CIFAR10", help="torchvision:CIFAR10 or tfds:cifar10"
    )
    parser.add_argument("--data-dir", default=None, help="torchvision root / tfds data_dir")
    parser.add_argument("--download", action="store_true", help="fetch the data set if missing")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=None, help="use only N examples per split")
    parser.add_argument("--no-augment", action="store_true", help="skip random crop and flip")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, float]:
    args = parse(argv)
    (x, y), (xt, yt) = pf.data.load_train_test(
        args.data, data_dir=args.data_dir, download=args.download
    )
    if args.limit:
        x, y, xt, yt = x[: args.limit], y[: args.limit], xt[: args.limit], yt[: args.limit]
    print(f"{args.data}: {len(x)} train, {len(xt)} test, images {x.shape[1:]} {x.dtype}")

    augment = [] if args.no_augment else [pf.data.RandomCrop(padding=4), pf.data.RandomFlip()]
    loader = pf.data.Loader(
        x,
        y,
        batch_size=args.batch_size,
        seed=args.seed,
        transforms=augment,
        prefetch=2,
        num_classes=10,
    )
    model = pf.build(pf.models.cifar_cnn(), backend=args.backend, seed=args.seed)
    trainer = pf.Trainer(
        model,
        optimizer=pf.optim.SGD(args.lr, momentum=0.9),
        loss="cross_entropy",
        metrics=["accuracy"],
    )
    trainer.fit(loader, epochs=args.epochs, verbose=1)
    result = trainer.evaluate(xt, yt)
    print(f"{model.backend}: test accuracy {result['accuracy']:.4f}, loss {result['loss']:.4f}")
    return result


if __name__ == "__main__":
    try:
        main()
    except pf.PolyframeError as exc:  # a user error (missing data, bad flag): one line, exit 2
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
