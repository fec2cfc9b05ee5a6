"""Text and audio sets of tensorflow-datasets (``imdb_reviews``, ``ag_news_subset``,
``spoken_digit``, ``speech_commands``): texts as an object array of ``str``, audio as float32
``[N, length]`` in [-1, 1] (16-bit PCM scaled by 1/32768, zero-padded or cropped)."""

from __future__ import annotations

from typing import Any

import numpy as np

from polyframe.data.audio import stack_clips
from polyframe.errors import DataError


def feature_kind(feature: Any) -> str:
    """'text', 'audio' or 'image' for a tfds feature connector."""
    name = type(feature).__name__
    return {"Text": "text", "Audio": "audio"}.get(name, "image")


def read_media(
    tfds: Any, ds: Any, keys: tuple[str, str], kind: str, where: str, length: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Read a text or audio split example by example (clips differ in length)."""
    xs, ys = [], []
    for ex in tfds.as_numpy(ds):
        xs.append(ex[keys[0]])
        ys.append(ex[keys[1]])
    if not xs:
        raise DataError(f"tfds split {where} is empty")
    y = np.asarray(ys, np.int64)
    if kind == "text":
        texts = [t.decode("utf-8") if isinstance(t, bytes) else str(t) for t in xs]
        return np.array(texts, dtype=object), y
    clips = [np.asarray(c, np.float32) / 32768.0 for c in xs]
    n = length if length is not None else max(len(c) for c in clips)
    return stack_clips(clips, n), y
