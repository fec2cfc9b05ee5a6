"""Text sources: ``csv:PATH`` / ``tsv:PATH`` (a text column and a label column) and
``textdir:ROOT`` (class folders of ``.txt`` files). Texts come back as a numpy array of
``str`` (dtype object), labels int64; tokenize them with :class:`polyframe.text.Tokenizer`.
"""

from __future__ import annotations

import csv
import os
from typing import Any, Sequence

import numpy as np

from polyframe.data.folders import class_index, holdout, path_of, split_result, tree_splits
from polyframe.errors import DataError


def read_table(
    path: str,
    text_column: str = "text",
    label_column: str = "label",
    delimiter: str = ",",
) -> tuple[list[str], list[str]]:
    """``(texts, label names)`` of a CSV/TSV file with a header line. TSV fields are not quoted
    (quotes are part of the text); CSV follows the usual quoting."""
    if not os.path.isfile(path):
        raise DataError(f"no file {path!r}")
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    with open(path, newline="", encoding="utf-8") as f:
        rows = csv.reader(f, delimiter=delimiter, quoting=quoting)
        header = next(rows, None)
        if header is None:
            raise DataError(f"{path}: the file is empty; expected a header line")
        for col in (text_column, label_column):
            if col not in header:
                raise DataError(
                    f"{path}: no column {col!r}; the header has {header} "
                    "(set text_column / label_column)"
                )
        ti, li = header.index(text_column), header.index(label_column)
        texts, names = [], []
        for line, row in enumerate(rows, start=2):
            if not row:
                continue
            if len(row) != len(header):
                raise DataError(f"{path}:{line}: {len(row)} fields, the header has {len(header)}")
            if not row[ti].strip():
                raise DataError(f"{path}:{line}: empty text in column {text_column!r}")
            texts.append(row[ti])
            names.append(row[li])
    if not texts:
        raise DataError(f"{path}: no rows after the header")
    return texts, names


def load_table(
    name: str,
    text_column: str = "text",
    label_column: str = "label",
    labels: Sequence[str] | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
    split: str | None = None,
    data_dir: str | None = None,
    download: bool = False,
    seq_len: int | None = None,
    vocab_size: int = 2000,
    tokenizer: str | None = None,
) -> Any:
    """``csv:PATH`` / ``tsv:PATH`` -> ``((texts, y), (texts, y))``: a seeded ``test_fraction``
    held out. Label ids follow ``labels`` when given, else the sorted label names. With
    ``seq_len`` or ``tokenizer`` the texts come back as token ids (see :func:`tokenize`)."""
    del download  # local files only
    prefix = name.split(":", 1)[0]
    path = path_of(name, prefix)
    if data_dir is not None and not os.path.isabs(path):
        path = os.path.join(data_dir, path)
    texts, names = read_table(path, text_column, label_column, "\t" if prefix == "tsv" else ",")
    index = class_index(names, labels, path)
    x = np.array(texts, dtype=object)
    y = np.array([index[n] for n in names], np.int64)
    tr, te = holdout(len(y), test_fraction, seed)
    data = tokenize(((x[tr], y[tr]), (x[te], y[te])), seq_len, vocab_size, tokenizer)
    return split_result(data, split, name)


def tokenize(data: Any, seq_len: int | None, vocab_size: int, tokenizer: str | None) -> Any:
    """Texts -> int32 token ids when ``seq_len`` or ``tokenizer`` is set: the tokenizer file
    ``tokenizer`` is used when it exists; otherwise one is trained on the *training* split
    (``vocab_size``, ``seq_len``, default 64) and, with ``tokenizer``, saved there so later
    runs (another backend, a resume, serving) tokenize identically."""
    if seq_len is None and tokenizer is None:
        return data
    from polyframe.data.tokenizer import Tokenizer

    (x, y), (xt, yt) = data
    if tokenizer is not None and os.path.isfile(tokenizer):
        tok = Tokenizer.load(tokenizer)
        if seq_len is not None and seq_len != tok.seq_len:
            raise DataError(
                f"{tokenizer}: the tokenizer pads to {tok.seq_len} tokens, not seq_len={seq_len}; "
                "drop seq_len or use another tokenizer path"
            )
    else:
        tok = Tokenizer.train(x, vocab_size=vocab_size, seq_len=seq_len or 64)
        if tokenizer is not None:
            tok.save(tokenizer)
    return (tok(x), y), (tok(xt), yt)


def read_texts(paths: list[str]) -> np.ndarray:
    """The contents of ``.txt`` files (UTF-8) as an object array; an empty file is an error."""
    out = []
    for p in paths:
        try:
            with open(p, encoding="utf-8") as f:
                text = f.read()
        except UnicodeDecodeError as exc:
            raise DataError(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        if not text.strip():
            raise DataError(f"{p}: empty text file; remove it or give it content")
        out.append(text)
    return np.array(out, dtype=object)


def load_textdir(
    name: str,
    labels: Sequence[str] | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
    split: str | None = None,
    data_dir: str | None = None,
    download: bool = False,
) -> Any:
    """``textdir:ROOT`` -> ``((texts, y), (texts, y))`` from ``ROOT/<class>/*.txt`` (or
    ``ROOT/train`` and ``ROOT/test`` trees)."""
    del data_dir, download
    root = path_of(name, "textdir")
    return split_result(
        tree_splits(root, ".txt", read_texts, labels, test_fraction, seed), split, name
    )
