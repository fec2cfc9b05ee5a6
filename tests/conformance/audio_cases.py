"""Tiny cases of the audio feature layers (raw audio in): small enough for float64 finite
differences of the numpy reference."""

from __future__ import annotations

import polyframe as pf

L = pf.layers
FRAMES = {"frame_length": 16, "frame_step": 8, "fft_length": 32}  # fft > frame: zero-padded
MEL = {**FRAMES, "sample_rate": 1000, "num_mels": 6, "fmin": 20.0}

AUDIO_CASES: dict[str, tuple[pf.Sequential, tuple[int, ...]]] = {
    "spectrogram_power": (pf.Sequential([L.Input((48,)), L.Spectrogram(**FRAMES)]), (2, 48)),
    "spectrogram_magnitude": (
        pf.Sequential([L.Input((40,)), L.Spectrogram(16, 6, power=1.0)]),
        (2, 40),
    ),
    "log_mel": (pf.Sequential([L.Input((48,)), L.MelSpectrogram(**MEL)]), (2, 48)),
    "mfcc": (pf.Sequential([L.Input((48,)), L.MFCC(**MEL, num_coefficients=4)]), (2, 48)),
}
