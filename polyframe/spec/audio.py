"""Audio feature layers: Spectrogram, MelSpectrogram (log-mel) and MFCC of raw waveforms.

Each takes raw audio ``(T,)`` (one example, no batch axis) and returns ``(frames, features)``
channels-last, so the next layer can be a ``Conv1D`` over time. Framing follows
``tf.signal.stft``: frames of ``frame_length`` samples every ``frame_step`` samples, no
centring or padding (``frames = 1 + (T - frame_length) // frame_step``), a periodic Hann
window, each frame zero-padded to ``fft_length`` before the real FFT. The constant matrices
(window, mel filter bank, DCT-II) are computed here once in numpy, so every backend and the
reference use the same numbers; only the framing and the FFT are the framework's own ops.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from polyframe.spec.inputs import check_rank, positive_int, single
from polyframe.spec.layer import Layer, Shape, check, register_layer

if TYPE_CHECKING:
    import numpy as np


def _check_frames(layer: _Framed) -> None:
    positive_int(layer, layer.frame_length, "frame_length")
    positive_int(layer, layer.frame_step, "frame_step")
    if layer.fft_length is not None:
        positive_int(layer, layer.fft_length, "fft_length")
        check(
            layer.fft_length >= layer.frame_length,
            layer,
            f"fft_length ({layer.fft_length}) must be >= frame_length ({layer.frame_length})",
        )


@dataclass(frozen=True)
class _Framed(Layer):
    """What the three feature layers share: the framing of the STFT."""

    frame_length: int = 256
    frame_step: int = 128
    fft_length: int | None = None

    @property
    def n_fft(self) -> int:
        """The FFT size (``fft_length``, or ``frame_length`` when unset)."""
        return self.fft_length or self.frame_length

    @property
    def bins(self) -> int:
        """Frequency bins of the one-sided spectrum: ``n_fft // 2 + 1``."""
        return self.n_fft // 2 + 1

    def frames(self, samples: int) -> int:
        """Frames of a clip of ``samples`` samples."""
        return 1 + (samples - self.frame_length) // self.frame_step

    def features(self) -> int:
        """Features per frame (the output's last axis)."""
        return self.bins

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = single(self, input_shape)
        check_rank(self, shape, 1, "(samples,) raw audio")
        check(
            shape[0] >= self.frame_length,
            self,
            f"the clip has {shape[0]} samples, fewer than frame_length {self.frame_length}; "
            "pad the audio or shorten the frame",
        )
        return (self.frames(shape[0]), self.features())


@register_layer("Spectrogram")
@dataclass(frozen=True)
class Spectrogram(_Framed):
    """``|STFT(x)| ** power`` per frame and bin: ``(frames, fft_length // 2 + 1)``.
    ``power=2`` (the default) is the power spectrum, differentiable everywhere."""

    power: float = 2.0

    def __post_init__(self) -> None:
        _check_frames(self)
        check(self.power > 0, self, f"power must be > 0, got {self.power!r}")


@register_layer("MelSpectrogram")
@dataclass(frozen=True)
class MelSpectrogram(_Framed):
    """Log-mel spectrogram: ``log(power_spectrum @ mel_filters + log_offset)``,
    ``(frames, num_mels)``; HTK mel scale, triangular filters from ``fmin`` to ``fmax``
    (default ``sample_rate / 2``)."""

    sample_rate: int = 16000
    num_mels: int = 40
    fmin: float = 0.0
    fmax: float | None = None
    log_offset: float = 1e-6

    def __post_init__(self) -> None:
        _check_frames(self)
        positive_int(self, self.sample_rate, "sample_rate")
        positive_int(self, self.num_mels, "num_mels")
        top = self.fmax if self.fmax is not None else self.sample_rate / 2
        check(
            0 <= self.fmin < top <= self.sample_rate / 2,
            self,
            f"need 0 <= fmin < fmax <= sample_rate / 2 ({self.sample_rate / 2}), "
            f"got fmin={self.fmin}, fmax={top}",
        )
        check(self.log_offset > 0, self, f"log_offset must be > 0, got {self.log_offset!r}")

    def features(self) -> int:
        return self.num_mels


@register_layer("MFCC")
@dataclass(frozen=True)
class MFCC(MelSpectrogram):
    """Mel-frequency cepstral coefficients: the orthonormal DCT-II of the log-mel spectrogram,
    first ``num_coefficients`` of them: ``(frames, num_coefficients)``."""

    num_coefficients: int = 13

    def __post_init__(self) -> None:
        super().__post_init__()
        positive_int(self, self.num_coefficients, "num_coefficients")
        check(
            self.num_coefficients <= self.num_mels,
            self,
            f"num_coefficients ({self.num_coefficients}) must be <= num_mels ({self.num_mels})",
        )

    def features(self) -> int:
        return self.num_coefficients


# -- the constants, shared by the reference and every lowering ------------------------------


def hann_window(frame_length: int, fft_length: int) -> np.ndarray:
    """Periodic Hann window of ``frame_length`` zero-padded at the end to ``fft_length``."""
    import numpy as np

    n = np.arange(frame_length, dtype=np.float64)
    w = 0.5 - 0.5 * np.cos(2.0 * math.pi * n / frame_length)
    return np.concatenate([w, np.zeros(fft_length - frame_length)])


def _hz_to_mel(f: np.ndarray | float) -> np.ndarray | float:
    import numpy as np

    return 1127.0 * np.log1p(np.asarray(f) / 700.0)


@functools.lru_cache(maxsize=32)
def mel_filters(
    sample_rate: int, n_fft: int, num_mels: int, fmin: float, fmax: float | None
) -> np.ndarray:
    """``[n_fft // 2 + 1, num_mels]`` float64 triangular filters on the HTK mel scale (the
    construction of ``tf.signal.linear_to_mel_weight_matrix``: the DC bin gets no weight)."""
    import numpy as np

    top = fmax if fmax is not None else sample_rate / 2
    bins = n_fft // 2 + 1
    freqs = np.linspace(0.0, sample_rate / 2, bins)
    mel = _hz_to_mel(freqs)
    edges = np.linspace(_hz_to_mel(fmin), _hz_to_mel(top), num_mels + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    up = (mel[:, None] - lower) / (center - lower)
    down = (upper - mel[:, None]) / (upper - center)
    w = np.maximum(0.0, np.minimum(up, down))
    w[0] = 0.0
    return w


@functools.lru_cache(maxsize=32)
def dct_matrix(num_mels: int, num_coefficients: int) -> np.ndarray:
    """``[num_mels, num_coefficients]`` float64 orthonormal DCT-II (``y = x @ D``)."""
    import numpy as np

    n = np.arange(num_mels)[:, None]
    k = np.arange(num_coefficients)[None, :]
    d = np.cos(math.pi / num_mels * (n + 0.5) * k) * math.sqrt(2.0 / num_mels)
    d[:, 0] /= math.sqrt(2.0)
    return d


def feature_constants(layer: _Framed) -> dict[str, np.ndarray]:
    """The float64 constants a layer needs: ``window`` always; ``mel`` for MelSpectrogram and
    MFCC; ``dct`` for MFCC."""
    out = {"window": hann_window(layer.frame_length, layer.n_fft)}
    if isinstance(layer, MelSpectrogram):
        out["mel"] = mel_filters(
            layer.sample_rate, layer.n_fft, layer.num_mels, layer.fmin, layer.fmax
        )
    if isinstance(layer, MFCC):
        out["dct"] = dct_matrix(layer.num_mels, layer.num_coefficients)
    return out
