"""SMS spam detection: a subword tokenizer trained on the training split, a small Transformer
on token ids, spam-class precision / recall / F1 / ROC-AUC on a seeded held-out 20%.

    python docs/examples/sms_spam.py --backend torch
    python docs/examples/sms_spam.py --backend jax --data tsv:/path/to/train.tsv

The data defaults to ``$POLYFRAME_SHARED_DATA/sms_spam/train.tsv`` (or
``<repo>/../shared/data/...``). With ``--out DIR`` the trained model is saved as a checkpoint
with its ``tokenizer.json`` recorded in the manifest (``pf.data.tokenizer``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import polyframe as pf
from polyframe.data.shared import shared_path
from polyframe.data.tokenizer import Tokenizer, save_checkpoint
from polyframe.metrics_host import classification_report


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["torch", "tensorflow", "jax"], default=None)
    parser.add_argument("--data", default=f"tsv:{shared_path('sms_spam', 'train.tsv')}")
    parser.add_argument("--vocab-size", type=int, default=2000)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=None, help="use only N examples per split")
    parser.add_argument("--out", default=None, help="save a checkpoint + tokenizer here")
    parser.add_argument("--record", default=None, help="write the metrics as JSON here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse(argv)
    started = time.perf_counter()
    (texts, y), (texts_test, y_test) = pf.data.load_train_test(
        args.data, labels=("ham", "spam"), test_fraction=0.2, seed=args.seed
    )
    if args.limit:
        texts, y = texts[: args.limit], y[: args.limit]
        texts_test, y_test = texts_test[: args.limit], y_test[: args.limit]
    tokenizer = Tokenizer.train(texts, vocab_size=args.vocab_size, seq_len=args.seq_len)
    x, x_test = tokenizer(texts), tokenizer(texts_test)
    print(
        f"{args.data}: {len(x)} train, {len(x_test)} test ({int(y.sum())} / "
        f"{int(y_test.sum())} spam), vocabulary {tokenizer.vocab_size}, {args.seq_len} tokens"
    )
    spec = pf.models.text_classifier(args.seq_len, tokenizer.vocab_size, classes=2)
    model = pf.build(spec, backend=args.backend, seed=args.seed)
    trainer = pf.Trainer(model, optimizer=pf.optim.Adam(args.lr), loss="cross_entropy")
    trainer.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, seed=args.seed)
    report = classification_report(y_test, trainer.predict(x_test), positive=1)
    report.update(backend=model.backend, seconds=round(time.perf_counter() - started, 1))
    print(
        f"{model.backend}: spam precision {report['precision']:.4f} recall "
        f"{report['recall']:.4f} F1 {report['f1']:.4f} ROC-AUC {report['roc_auc']:.4f}; "
        f"confusion (rows ham, spam) {report['confusion_matrix']}"
    )
    if args.out:
        save_checkpoint(args.out, model, tokenizer, trainer)
        print(f"checkpoint and tokenizer: {args.out}")
    if args.record:
        command = "python docs/examples/sms_spam.py " + " ".join(
            sys.argv[1:] if argv is None else argv
        )
        with open(args.record, "w") as f:
            json.dump({"command": command, **report}, f, indent=1)
    return report


if __name__ == "__main__":
    main()
