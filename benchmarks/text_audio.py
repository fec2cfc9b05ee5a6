"""Text and speech pipeline speed, on the host and per backend (short: about a minute).

    python benchmarks/text_audio.py                       # every installed backend
    python benchmarks/text_audio.py --backend torch --steps 20 --threads 2

1. Tokenization throughput: texts/s of ``pf.data.Tokenizer`` (byte-level BPE, 2,000 tokens,
   64 per text) on SMS-like messages, batch-encoded on the host.
2. Audio features: clips/s of the log-mel layer of ``audio_classifier`` (1 s at 8 kHz, 40 mel
   bands) in the numpy reference and in each backend's forward pass (batches of 64).
3. Training step time (ms, one epoch of ``--steps`` batches after a warm-up epoch, best of 3)
   of the two example models on each backend: the text classifier (batch 32 x 64 tokens) and
   the audio classifier (batch 32 x 8,000 samples).

Every framework's intra-op pool is pinned to ``--threads`` (default 1, as
``polyframe.bench.threads`` does): on a loaded shared machine torch's default pool (one
thread per core) spins and ran 20-50x slower than one thread in the same process.

Data is synthetic (no files needed). Results go to benchmarks/results/text_audio.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from polyframe.bench.threads import apply_in_process, thread_env

RESULTS = Path(__file__).resolve().parent / "results" / "text_audio.json"
WORDS = "free call now win prize txt reply stop see you home later ok lar £100 &lt;#&gt;".split()


def _texts(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=int(rng.integers(5, 30)))) for _ in range(n)]


def _rate(fn, items: int, repeats: int = 3) -> float:
    best = min(_timed(fn) for _ in range(repeats))
    return items / best


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def _step_ms(spec, x: np.ndarray, y: np.ndarray, backend: str, steps: int) -> float:
    import polyframe as pf

    model = pf.build(spec, backend=backend, seed=0)
    trainer = pf.Trainer(model, optimizer=pf.optim.Adam(1e-3))
    xs, ys = np.concatenate([x] * steps), np.concatenate([y] * steps)
    trainer.fit(xs, ys, batch_size=len(x), epochs=1, seed=0)  # compile / warm up
    best = min(_timed(lambda: trainer.fit(xs, ys, batch_size=len(x), epochs=1)) for _ in range(3))
    return 1000.0 * best / steps


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="all")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    os.environ.update(thread_env(args.threads))  # before any framework is imported
    import polyframe as pf
    from polyframe.data.tokenizer import Tokenizer

    backends = pf.list_backends() if args.backend == "all" else args.backend.split(",")
    texts = _texts(20000)
    tok = Tokenizer.train(texts[:5000], vocab_size=2000, seq_len=64)
    out: dict = {
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "threads": args.threads,
        "load_average_before": round(os.getloadavg()[0], 2),
        "tokenize_texts_per_s": round(_rate(lambda: tok.encode(texts), len(texts))),
    }
    audio_spec = pf.models.audio_classifier()
    mel = pf.Sequential([pf.layers.Input((8000,)), audio_spec.layers[1]])
    clips = (0.1 * np.random.default_rng(0).normal(size=(64, 8000))).astype(np.float32)
    out["log_mel_clips_per_s"] = {
        "numpy_reference": round(_rate(lambda: pf.reference.forward(mel, {}, clips), 64))
    }
    text_spec = pf.models.text_classifier(64, tok.vocab_size, 2)
    ids, labels = tok(texts[:32]), np.arange(32) % 2
    out["step_ms"] = {}
    for b in backends:
        apply_in_process(b, args.threads)
        model = pf.build(mel, backend=b, seed=0)
        model(clips)
        out["log_mel_clips_per_s"][b] = round(_rate(lambda m=model: m(clips), 64))
        out["step_ms"][b] = {
            "text_classifier": round(_step_ms(text_spec, ids, labels, b, args.steps), 2),
            "audio_classifier": round(
                _step_ms(audio_spec, clips[:32], np.arange(32) % 10, b, args.steps), 2
            ),
        }
        print(b, out["log_mel_clips_per_s"][b], out["step_ms"][b], flush=True)
    out["load_average_after"] = round(os.getloadavg()[0], 2)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
