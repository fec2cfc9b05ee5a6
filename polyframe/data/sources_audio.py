"""``audiodir:ROOT``: class folders of ``.wav`` files -> float32 ``[N, length]`` clips in
[-1, 1] at one sample rate, labels int64."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from polyframe.data.audio import read_wav, stack_clips
from polyframe.data.folders import path_of, split_result, tree_splits
from polyframe.errors import DataError


def load_audiodir(
    name: str,
    sample_rate: int | None = None,
    resample: bool = False,
    length: int | None = None,
    labels: Sequence[str] | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
    split: str | None = None,
    data_dir: str | None = None,
    download: bool = False,
) -> Any:
    """``audiodir:ROOT`` -> ``((x, y), (x, y))`` from ``ROOT/<class>/*.wav`` (or ``ROOT/train``
    and ``ROOT/test`` trees). Every file must have ``sample_rate`` (default: the first file's),
    or is resampled to it with ``resample=True``. Clips are zero-padded or cropped at the end
    to ``length`` samples (default: the longest clip)."""
    del data_dir, download
    root = path_of(name, "audiodir")
    rate = [sample_rate]

    def read(paths: list[str]) -> list[np.ndarray]:
        clips = []
        for p in paths:
            clip, r = read_wav(p, rate[0], resample)
            rate[0] = r if rate[0] is None else rate[0]
            clips.append(clip)
        return clips

    (xtr, ytr), (xte, yte) = tree_splits(
        root, ".wav", _Clips.wrap(read), labels, test_fraction, seed
    )
    n = length if length is not None else max(len(c) for c in xtr.clips + xte.clips)
    if not isinstance(n, int) or n < 1:
        raise DataError(f"length must be a positive number of samples, got {length!r}")
    return split_result(
        ((stack_clips(xtr.clips, n), ytr), (stack_clips(xte.clips, n), yte)), split, name
    )


class _Clips:
    """Variable-length clips that index like an array (for the seeded hold-out)."""

    def __init__(self, clips: list[np.ndarray]) -> None:
        self.clips = clips

    def __getitem__(self, idx: np.ndarray) -> _Clips:
        return _Clips([self.clips[int(i)] for i in idx])

    @staticmethod
    def wrap(read: Any) -> Any:
        return lambda paths: _Clips(read(paths))
