"""The same training script on any backend.

    python docs/examples/train_digits.py --backend torch
    python docs/examples/train_digits.py --backend tensorflow
    python docs/examples/train_digits.py --backend jax

Without --backend, $POLYFRAME_BACKEND (or the first installed backend) is used.
"""

from __future__ import annotations

import argparse
import sys

import polyframe as pf


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--backend", choices=["torch", "tensorflow", "jax"], default=None)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    (x_train, y_train), (x_test, y_test) = pf.data.load("digits")
    L = pf.layers
    spec = pf.Sequential([
        L.Input((8, 8, 1)),
        L.Flatten(),
        L.Dense(128, activation="relu"),
        L.Dense(10),
    ])
    model = pf.build(spec, backend=args.backend, seed=args.seed)
    trainer = pf.Trainer(model, optimizer=pf.optim.Adam(2e-3), loss="cross_entropy",
                         metrics=["accuracy"])
    trainer.fit(x_train, y_train, batch_size=32, epochs=args.epochs, seed=args.seed, verbose=1)
    result = trainer.evaluate(x_test, y_test)
    print(f"{model.backend}: test accuracy {result['accuracy']:.4f}, loss {result['loss']:.4f}")
    return result


if __name__ == "__main__":
    try:
        main()
    except pf.PolyframeError as exc:  # a user error (missing data, bad flag): one line, exit 2
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
