"""Spoken digits (FSDD): raw 8 kHz audio -> a log-mel layer inside the model -> a small 1-D CNN;
accuracy and confusion matrix on the dataset's official test split.

    python docs/examples/spoken_digits.py --backend torch
    python docs/examples/spoken_digits.py --backend tensorflow --data audiodir:/path/to/fsdd

The data defaults to ``$POLYFRAME_SHARED_DATA/fsdd`` (or ``<repo>/../shared/data/fsdd``):
class folders ``train/<digit>/*.wav`` and ``test/<digit>/*.wav``. Clips are padded/cropped to
1 s; the feature layer is part of the model, so an exported model takes raw audio.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import polyframe as pf
from polyframe.data.shared import shared_path
from polyframe.metrics_host import classification_report


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["torch", "tensorflow", "jax"], default=None)
    parser.add_argument("--data", default=f"audiodir:{shared_path('fsdd')}")
    parser.add_argument("--sample-rate", type=int, default=8000)
    parser.add_argument("--samples", type=int, default=8000, help="clip length after pad/crop")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=None, help="use only N examples per split")
    parser.add_argument("--record", default=None, help="write the metrics as JSON here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse(argv)
    started = time.perf_counter()
    (x, y), (x_test, y_test) = pf.data.load_train_test(
        args.data, sample_rate=args.sample_rate, resample=True, length=args.samples
    )
    if args.limit:
        x, y, x_test, y_test = (
            x[: args.limit],
            y[: args.limit],
            x_test[: args.limit],
            y_test[: args.limit],
        )
    classes = 10
    print(f"{args.data}: {len(x)} train, {len(x_test)} test clips of {x.shape[1]} samples")
    spec = pf.models.audio_classifier(args.samples, args.sample_rate, classes=classes)
    model = pf.build(spec, backend=args.backend, seed=args.seed)
    trainer = pf.Trainer(
        model, optimizer=pf.optim.Adam(args.lr), loss="cross_entropy", metrics=["accuracy"]
    )
    trainer.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, seed=args.seed)
    report = classification_report(y_test, trainer.predict(x_test))
    report.update(backend=model.backend, seconds=round(time.perf_counter() - started, 1))
    print(f"{model.backend}: test accuracy {report['accuracy']:.4f}")
    print("confusion (rows: true digit 0-9):")
    for row in report["confusion_matrix"]:
        print("  " + " ".join(f"{v:3d}" for v in row))
    if args.record:
        command = "python docs/examples/spoken_digits.py " + " ".join(
            sys.argv[1:] if argv is None else argv
        )
        with open(args.record, "w") as f:
            json.dump({"command": command, **report}, f, indent=1)
    return report


if __name__ == "__main__":
    main()
