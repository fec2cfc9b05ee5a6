"""The subword tokenizer: deterministic training, fixed-length ids with a padding mask, and a
checkpoint that carries it (saved on torch, loaded on jax: same ids, same predictions)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import polyframe as pf
from polyframe.errors import CheckpointError, DataError

pytest.importorskip("tokenizers", reason="the tokenizer needs tokenizers (polyframe[text])")
from polyframe.data.tokenizer import (  # noqa: E402
    Tokenizer,
    load_from_checkpoint,
    save_checkpoint,
)

TEXTS = [
    "WINNER!! Claim your £900 prize now, call 09061701461",
    "Ok lar... Joking wif u oni... &lt;#&gt;",
    "Free entry in 2 a wkly comp to win FA Cup final tkts",
    "I'll be home soon, see you at dinner",
] * 5


@pytest.fixture(scope="module")
def tok() -> Tokenizer:
    return Tokenizer.train(TEXTS, vocab_size=300, seq_len=12, min_frequency=1)


def test_training_is_deterministic_and_ids_are_padded(tok: Tokenizer) -> None:
    again = Tokenizer.train(TEXTS, vocab_size=300, seq_len=12, min_frequency=1)
    assert again.sha256 == tok.sha256 and tok.vocab_size == 300
    ids, mask = tok.encode(["Free prize", TEXTS[0] * 3])
    assert ids.shape == (2, 12) and ids.dtype == np.int32 and mask.dtype == bool
    assert mask[1].all()  # truncated to seq_len
    n = int(mask[0].sum())
    assert 0 < n < 12 and np.all(ids[0, n:] == 0) and np.all(ids[0, :n] > 1)  # 0 pads, no UNK
    assert tok.native.decode(ids[0].tolist()).strip() == "Free prize"
    assert "£" in tok.native.decode(tok(["£900"])[0].tolist())  # byte-level: nothing lost


def test_empty_text_and_bad_file_are_one_line(tok: Tokenizer, tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"^text 1 is empty; remove it or give it content$"):
        tok.encode(["fine", "   "])
    bad = tmp_path / "tok.json"
    bad.write_text("{}")
    with pytest.raises(DataError, match="tok.json: not a tokenizer file"):
        Tokenizer.load(bad)


def test_checkpoint_saved_on_torch_loads_on_jax_with_its_tokenizer(
    tok: Tokenizer, tmp_path: Path
) -> None:
    from polyframe.backend import backend_status

    for name in ("torch", "jax"):
        if not backend_status(name)[0]:
            pytest.skip(f"the {name} backend is not usable here")
    spec = pf.models.text_classifier(12, tok.vocab_size, classes=2, dim=8, heads=2, ff_dim=16)
    model = pf.build(spec, backend="torch", seed=0)
    trainer = pf.Trainer(model, optimizer=pf.optim.Adam(1e-2))
    x = tok(TEXTS)
    trainer.fit(x, np.arange(len(TEXTS)) % 2, batch_size=8, epochs=1)
    path = save_checkpoint(tmp_path / "ckpt", model, tok, trainer)
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["tokenizer"]["file"] == "tokenizer.json"
    assert manifest["tokenizer"]["sha256"] == tok.sha256
    back = load_from_checkpoint(path)
    assert back.sha256 == tok.sha256
    new_texts = ["claim your free prize", "see you at home"]
    np.testing.assert_array_equal(back(new_texts), tok(new_texts))
    restored = pf.checkpoint.load(path, backend="jax")
    assert restored.backend == "jax"
    diff = np.abs(restored(back(new_texts)) - model(tok(new_texts))).max()
    assert diff <= 1e-5
    (path / "tokenizer.json").write_text(back.to_json().replace('"[UNK]"', '"[unk]"'))
    with pytest.raises(CheckpointError, match="differs from the manifest"):
        load_from_checkpoint(path)
