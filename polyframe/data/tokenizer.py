"""A subword tokenizer trained on the training split, on the host, framework-free.

Built on Hugging Face ``tokenizers`` (byte-level BPE): it is maintained, fast (Rust), trains
in well under a second on tens of thousands of sentences, needs no ``[UNK]`` for any input
(every byte is in the alphabet, so ``£`` and emoji survive), and saves *everything* — normaliser,
pre-tokenizer, merges, padding and truncation — as one JSON file that any process reloads and
that tokenizes identically. (``sentencepiece`` would also do; its model file does not carry the
padding/truncation settings, and it has no byte-level fallback by default.)

Token id 0 is ``[PAD]``: the padding mask of :meth:`Tokenizer.encode` is ``ids != 0``, which
is what ``MultiHeadAttention`` / ``TransformerEncoderBlock`` block with ``padding_idx=0``.

>>> tok = Tokenizer.train(["free entry now", "see you soon"], vocab_size=300, seq_len=8)
>>> tok.encode(["free"])[0].shape
(1, 8)
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from polyframe.errors import CheckpointError, DataError

PAD, UNK = "[PAD]", "[UNK]"
#: The file name of the tokenizer inside a checkpoint directory.
TOKENIZER_FILE = "tokenizer.json"


def _tokenizers() -> Any:
    try:
        import tokenizers
    except ImportError:
        raise DataError(
            "the tokenizer needs Hugging Face tokenizers; install it with "
            "pip install 'polyframe[text]'"
        ) from None
    return tokenizers


class Tokenizer:
    """Texts -> ``int32`` token ids ``[N, seq_len]`` (padded with 0, truncated) and a boolean
    padding mask. Create with :meth:`train` or :meth:`load`."""

    def __init__(self, native: Any) -> None:
        self.native = native
        padding = native.padding
        if not padding or padding.get("length") is None or padding.get("pad_id") != 0:
            raise DataError("a polyframe tokenizer pads to a fixed length with [PAD] = id 0")
        self.seq_len = int(padding["length"])

    @classmethod
    def train(
        cls,
        texts: Iterable[str],
        vocab_size: int = 2000,
        seq_len: int = 64,
        lowercase: bool = False,
        min_frequency: int = 2,
    ) -> Tokenizer:
        """Train a byte-level BPE vocabulary of ``vocab_size`` on ``texts`` (the training split
        only), padding/truncating to ``seq_len``."""
        tk = _tokenizers()
        texts = [str(t) for t in texts]
        if not texts:
            raise DataError("cannot train a tokenizer on no texts")
        if vocab_size < 300:
            raise DataError(f"vocab_size must be >= 300 (256 bytes + merges), got {vocab_size}")
        tok = tk.Tokenizer(tk.models.BPE(unk_token=UNK))
        norms = [tk.normalizers.NFKC()] + ([tk.normalizers.Lowercase()] if lowercase else [])
        tok.normalizer = tk.normalizers.Sequence(norms)
        tok.pre_tokenizer = tk.pre_tokenizers.ByteLevel(add_prefix_space=True)
        tok.decoder = tk.decoders.ByteLevel()
        trainer = tk.trainers.BpeTrainer(
            vocab_size=vocab_size,
            min_frequency=min_frequency,
            special_tokens=[PAD, UNK],
            initial_alphabet=tk.pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        )
        tok.train_from_iterator(texts, trainer=trainer, length=len(texts))
        tok.enable_padding(pad_id=0, pad_token=PAD, length=seq_len)
        tok.enable_truncation(max_length=seq_len)
        return cls(tok)

    @property
    def vocab_size(self) -> int:
        """Ids are in ``[0, vocab_size)``: the ``input_dim`` of the model's Embedding."""
        return int(self.native.get_vocab_size(with_added_tokens=True))

    def encode(self, texts: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(ids int32 [N, seq_len], mask bool [N, seq_len])``; ``mask`` is True on tokens."""
        texts = [str(t) for t in texts]
        for i, t in enumerate(texts):
            if not t.strip():
                raise DataError(f"text {i} is empty; remove it or give it content")
        encodings = self.native.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], np.int32).reshape(len(texts), self.seq_len)
        return ids, ids != 0

    def __call__(self, texts: Iterable[str]) -> np.ndarray:
        """Token ids only (what a model on ``Input((seq_len,), dtype='int32')`` takes)."""
        return self.encode(texts)[0]

    def to_json(self) -> str:
        """The whole tokenizer (vocabulary, merges, normaliser, padding) as JSON text."""
        return self.native.to_str()

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of :meth:`to_json`: two tokenizers with the same hash are the same."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()

    def save(self, path: str | os.PathLike) -> Path:
        """Write the tokenizer as one JSON file (atomically)."""
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(self.to_json(), encoding="utf-8")
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> Tokenizer:
        """Read a tokenizer written by :meth:`save`."""
        tk = _tokenizers()
        try:
            return cls(tk.Tokenizer.from_file(os.fspath(path)))
        except Exception as exc:  # noqa: BLE001 - the Rust errors name no file
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataError(f"{os.fspath(path)}: not a tokenizer file ({first})") from None

    def manifest_entry(self) -> dict[str, Any]:
        """What a checkpoint's manifest records: ``{"tokenizer": {file, sha256, ...}}`` (pass
        it as ``extra=`` to ``pf.checkpoint.save``, then :meth:`save_to_checkpoint`)."""
        return {
            "tokenizer": {
                "file": TOKENIZER_FILE,
                "sha256": self.sha256,
                "library": "tokenizers",
                "seq_len": self.seq_len,
                "vocab_size": self.vocab_size,
            }
        }

    def save_to_checkpoint(self, checkpoint: str | os.PathLike) -> Path:
        """Write ``tokenizer.json`` next to the tensors of a checkpoint directory."""
        return self.save(Path(checkpoint) / TOKENIZER_FILE)


def save_checkpoint(
    path: str | os.PathLike, model: Any, tokenizer: Tokenizer, trainer: Any = None
) -> Path:
    """``pf.checkpoint.save`` plus the tokenizer: the manifest records its file and hash, and
    ``tokenizer.json`` is written into the checkpoint directory."""
    from polyframe.checkpoint import save

    out = save(path, model, trainer, extra=tokenizer.manifest_entry())
    tokenizer.save_to_checkpoint(out)
    return out


def load_from_checkpoint(checkpoint: str | os.PathLike) -> Tokenizer:
    """The tokenizer a checkpoint's manifest names, checked against its recorded SHA-256."""
    from polyframe.checkpoint.verify import read_manifest

    entry = read_manifest(checkpoint).get("tokenizer")
    if not isinstance(entry, dict):
        raise CheckpointError(
            f"{os.fspath(checkpoint)}: the manifest records no tokenizer; it was saved without "
            "one (use polyframe.data.tokenizer.save_checkpoint)"
        )
    path = Path(checkpoint) / entry.get("file", TOKENIZER_FILE)
    if not path.is_file():
        raise CheckpointError(f"{path} is missing; the manifest records a tokenizer there")
    tok = Tokenizer.load(path)
    if tok.sha256 != entry.get("sha256"):
        raise CheckpointError(
            f"{path}: SHA-256 {tok.sha256[:12]}... differs from the manifest's "
            f"{str(entry.get('sha256'))[:12]}...; the tokenizer file was changed or replaced"
        )
    return tok


def read_json(path: str | os.PathLike) -> dict[str, Any]:
    """The tokenizer file as a dict (to inspect the vocabulary or settings)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
