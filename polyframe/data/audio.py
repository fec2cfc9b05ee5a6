"""WAV decoding (``scipy.io.wavfile``), resampling (``scipy.signal.resample_poly``) and
padding/cropping to a fixed length, on the host, in numpy.

scipy is used because it is already installed wherever JAX is (a jax dependency), is
maintained, reads PCM/float WAV without a native sound library, and has a polyphase
resampler; ``soundfile`` would add libsndfile for formats polyframe does not need.
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Any

import numpy as np

from polyframe.errors import DataError


def _scipy() -> tuple[Any, Any]:
    try:
        from scipy import signal
        from scipy.io import wavfile
    except ImportError:
        raise DataError(
            "reading WAV files needs scipy; install it with pip install 'polyframe[audio]'"
        ) from None
    return wavfile, signal


def to_float(samples: np.ndarray) -> np.ndarray:
    """PCM integers (or floats) -> float32 in [-1, 1]; several channels are averaged to mono."""
    a = np.asarray(samples)
    if np.issubdtype(a.dtype, np.integer):
        if a.dtype == np.uint8:  # 8-bit WAV is unsigned, centred on 128
            a = (a.astype(np.float32) - 128.0) / 128.0
        else:
            a = a.astype(np.float32) / float(np.iinfo(a.dtype).max + 1)
    a = a.astype(np.float32)
    return a.mean(axis=1) if a.ndim == 2 else a


def read_wav(
    path: str | os.PathLike, sample_rate: int | None = None, resample: bool = False
) -> tuple[np.ndarray, int]:
    """``(mono float32 samples, rate)`` of a WAV file. With ``sample_rate`` a file at another
    rate is resampled when ``resample`` is true, and refused otherwise."""
    wavfile, _ = _scipy()
    path = os.fspath(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scipy warns about unknown chunks
            rate, data = wavfile.read(path)
    except Exception as exc:  # noqa: BLE001 - scipy raises ValueError and friends, no file name
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"{path}: not a readable WAV file ({first}); remove it or re-encode it as PCM WAV"
        ) from None
    x = to_float(data)
    if x.size == 0:
        raise DataError(f"{path}: the WAV file holds no samples; remove it")
    if sample_rate is not None and rate != sample_rate:
        if not resample:
            raise DataError(
                f"{path}: sample rate {rate} Hz, expected {sample_rate} Hz; pass resample=True "
                "to convert it, or a matching sample_rate"
            )
        x = resample_audio(x, rate, sample_rate)
        rate = sample_rate
    return x, int(rate)


def resample_audio(x: np.ndarray, rate: int, target: int) -> np.ndarray:
    """``x`` at ``rate`` Hz -> ``target`` Hz (polyphase filter, float32)."""
    _, signal = _scipy()
    g = math.gcd(int(rate), int(target))
    return signal.resample_poly(x, target // g, rate // g).astype(np.float32)


def fix_length(x: np.ndarray, length: int) -> np.ndarray:
    """Zero-pad at the end, or crop the end, to exactly ``length`` samples."""
    if len(x) >= length:
        return x[:length]
    return np.concatenate([x, np.zeros(length - len(x), x.dtype)])


def stack_clips(clips: list[np.ndarray], length: int) -> np.ndarray:
    """Clips padded/cropped to ``length`` and stacked: float32 ``[N, length]``."""
    out = np.zeros((len(clips), length), np.float32)
    for i, c in enumerate(clips):
        n = min(len(c), length)
        out[i, :n] = c[:n]
    return out


def write_wav(path: str | os.PathLike, samples: np.ndarray, sample_rate: int) -> None:
    """Write float samples in [-1, 1] as a 16-bit PCM mono WAV file."""
    wavfile, _ = _scipy()
    pcm = np.clip(np.round(np.asarray(samples) * 32767.0), -32768, 32767).astype(np.int16)
    wavfile.write(os.fspath(path), int(sample_rate), pcm)
