"""numpy references of Spectrogram, MelSpectrogram and MFCC (framing + ``np.fft.rfft``)."""

from __future__ import annotations

import numpy as np

from polyframe.reference.registry import Context, register_reference
from polyframe.spec.audio import MFCC, MelSpectrogram, Spectrogram, feature_constants


def power_spectrum(layer: Spectrogram | MelSpectrogram, x: np.ndarray, power: float) -> np.ndarray:
    """``|rfft(frame * window)| ** power`` of ``x [N, T]``: ``[N, frames, bins]``."""
    consts = feature_constants(layer)
    frames = layer.frames(x.shape[1])
    idx = np.arange(frames)[:, None] * layer.frame_step + np.arange(layer.frame_length)[None, :]
    framed = x[:, idx] * consts["window"][: layer.frame_length]
    spec = np.fft.rfft(framed, n=layer.n_fft, axis=-1)
    mag2 = spec.real**2 + spec.imag**2
    return mag2 if power == 2.0 else mag2 ** (power / 2.0)


@register_reference(Spectrogram)
def _spectrogram(layer: Spectrogram, p: dict, x: np.ndarray, ctx: Context) -> np.ndarray:
    return power_spectrum(layer, x, layer.power)


@register_reference(MelSpectrogram)
def _log_mel(layer: MelSpectrogram, p: dict, x: np.ndarray, ctx: Context) -> np.ndarray:
    consts = feature_constants(layer)
    out = np.log(power_spectrum(layer, x, 2.0) @ consts["mel"] + layer.log_offset)
    if isinstance(layer, MFCC):
        out = out @ consts["dct"]
    return out
