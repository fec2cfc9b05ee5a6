"""Text and audio sources on data the tests write (TSV/CSV files, class folders of .txt and of
16-bit WAV files written with scipy) and on tfds mock data: shapes, dtypes, determinism, and
every bad input as one line naming the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import polyframe as pf
from polyframe.data.audio import write_wav
from polyframe.errors import DataError

pytest.importorskip("scipy", reason="the audio sources need scipy (polyframe[audio])")

TSV = "label\ttext\n" + "".join(
    f"{'spam' if i % 4 == 0 else 'ham'}\tmessage {i} with \"quotes\" & £{i}\n" for i in range(20)
)


def _one_line_error(fn, *args, **kwargs) -> str:
    with pytest.raises(DataError) as info:
        fn(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_tsv_splits_shapes_dtypes_and_determinism(tmp_path: Path) -> None:
    path = tmp_path / "sms.tsv"
    path.write_text(TSV, encoding="utf-8")
    (x, y), (xt, yt) = pf.data.load(f"tsv:{path}", labels=("ham", "spam"), seed=3)
    assert x.shape == (16,) and xt.shape == (4,) and x.dtype == object
    assert y.dtype == np.int64 and set(np.concatenate([y, yt]).tolist()) == {0, 1}
    assert int(np.concatenate([y, yt]).sum()) == 5  # spam is label 1, as `labels` orders it
    assert "£" in x[0] and '"quotes"' in x[0]  # raw text: TSV fields are not unquoted
    (x2, _), _ = pf.data.load(f"tsv:{path}", labels=("ham", "spam"), seed=3)
    (x3, _), _ = pf.data.load(f"tsv:{path}", labels=("ham", "spam"), seed=4)
    assert x.tolist() == x2.tolist() and x.tolist() != x3.tolist()


def test_csv_with_named_columns(tmp_path: Path) -> None:
    path = tmp_path / "news.csv"
    path.write_text('category,body\nsport,"a, b"\nworld,c\nsport,d\nworld,e\nsport,f\n')
    xt, yt = pf.data.load(
        f"csv:{path}", text_column="body", label_column="category", split="test"
    )
    assert xt.shape == (1,) and yt.dtype == np.int64
    (x, y), _ = pf.data.load(f"csv:{path}", text_column="body", label_column="category")
    assert "a, b" in set(x.tolist()) | set(xt.tolist())
    assert sorted(np.concatenate([y, yt]).tolist()) == [0, 0, 0, 1, 1]  # sorted names


@pytest.mark.parametrize(
    "content, options, expected",
    [
        ("label\tbody\nham\thi\n", {}, "no column 'text'; the header has ['label', 'body']"),
        ("label\ttext\nham\thi\neggs\tyo\n", {"labels": ("ham", "spam")}, "unknown label 'eggs'"),
        ("label\ttext\nham\thi\nspam\t  \n", {}, ":3: empty text in column 'text'"),
    ],
    ids=["missing_column", "unknown_label", "empty_text"],
)
def test_table_errors_are_one_line(tmp_path: Path, content: str, options: dict, expected: str):
    path = tmp_path / "bad.tsv"
    path.write_text(content)
    message = _one_line_error(pf.data.load, f"tsv:{path}", **options)
    assert str(path) in message and expected in message


def test_textdir_official_split_and_empty_file(tmp_path: Path) -> None:
    for split, n in (("train", 3), ("test", 2)):
        for label in ("neg", "pos"):
            (tmp_path / split / label).mkdir(parents=True)
            for i in range(n):
                (tmp_path / split / label / f"{i}.txt").write_text(f"{label} review {i}")
    (x, y), (xt, yt) = pf.data.load(f"textdir:{tmp_path}")
    assert x.shape == (6,) and xt.shape == (4,) and y.tolist() == [0, 0, 0, 1, 1, 1]
    assert xt[0] == "neg review 0"
    (tmp_path / "train" / "pos" / "9.txt").write_text(" \n")
    message = _one_line_error(pf.data.load, f"textdir:{tmp_path}")
    assert "9.txt: empty text file" in message


@pytest.fixture()
def wav_tree(tmp_path: Path) -> Path:
    """Two classes of sine tones at 8 kHz, 300-900 samples long, in train/ and test/."""
    t = np.arange(900) / 8000.0
    for split, n in (("train", 3), ("test", 1)):
        for label, freq in (("high", 1000.0), ("low", 200.0)):
            (tmp_path / split / label).mkdir(parents=True)
            for i in range(n):
                clip = 0.5 * np.sin(2 * np.pi * freq * t[: 300 + 300 * i])
                write_wav(tmp_path / split / label / f"{i}.wav", clip, 8000)
    return tmp_path


def test_audiodir_shapes_padding_and_values(wav_tree: Path) -> None:
    (x, y), (xt, yt) = pf.data.load(f"audiodir:{wav_tree}", length=600)
    assert x.shape == (6, 600) and x.dtype == np.float32 and xt.shape == (2, 600)
    assert y.tolist() == [0, 0, 0, 1, 1, 1] and yt.dtype == np.int64
    assert np.all(x[0, 300:] == 0.0) and np.abs(x[0, :300]).max() == pytest.approx(0.5, abs=1e-3)
    (x2, _), _ = pf.data.load(f"audiodir:{wav_tree}")  # default length: the longest clip
    assert x2.shape == (6, 900)


def test_audiodir_resamples_or_refuses_another_rate(wav_tree: Path) -> None:
    write_wav(wav_tree / "train" / "low" / "16k.wav", np.zeros(1600), 16000)
    message = _one_line_error(pf.data.load, f"audiodir:{wav_tree}", sample_rate=8000)
    assert "16k.wav: sample rate 16000 Hz, expected 8000 Hz; pass resample=True" in message
    (x, _), _ = pf.data.load(f"audiodir:{wav_tree}", sample_rate=8000, resample=True)
    assert x.shape == (7, 900)  # the 1600-sample 16 kHz clip became 800 samples


def test_corrupt_wav_names_the_file(wav_tree: Path) -> None:
    (wav_tree / "test" / "low" / "broken.wav").write_bytes(b"RIFF\x00\x00junk, not audio")
    message = _one_line_error(pf.data.load, f"audiodir:{wav_tree}")
    assert "broken.wav: not a readable WAV file" in message


def test_tfds_text_and_audio_from_mock_data() -> None:
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=6):
        (x, y), (xt, yt) = pf.data.load("tfds:imdb_reviews")
        audio, labels = pf.data.load("tfds:spoken_digit:train", length=50)
    assert x.shape == (6,) and x.dtype == object and isinstance(x[0], str)
    assert y.dtype == np.int64 and set(y.tolist()) <= {0, 1} and xt.shape == (6,)
    assert audio.shape == (6, 50) and audio.dtype == np.float32 and labels.dtype == np.int64
    assert np.abs(audio).max() <= 1.0 and set(labels.tolist()) <= set(range(10))
