"""Flax NNX lowerings of Spectrogram, MelSpectrogram and MFCC (``jnp.fft.rfft``)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from polyframe.spec.audio import MFCC, MelSpectrogram, Spectrogram, feature_constants
from polyframe.spec.sequential import Node
from polyframe_jax.lowering import register_builtin


class AudioFeatures(nnx.Module):
    """Raw audio ``[N, T]`` -> ``[N, frames, features]``: frames gathered by index, windowed,
    ``jnp.fft.rfft``, power, then optionally mel filters + log and a DCT. The constants are
    numpy arrays rebuilt from the (hashable) spec, so they are trace-time constants."""

    def __init__(self, layer: Spectrogram | MelSpectrogram):
        self.layer = layer

    def __call__(self, x: jax.Array) -> jax.Array:
        layer = self.layer
        consts = feature_constants(layer)
        frames = layer.frames(x.shape[1])
        idx = np.arange(frames)[:, None] * layer.frame_step + np.arange(layer.frame_length)[None, :]
        window = jnp.asarray(consts["window"][: layer.frame_length], x.dtype)
        spec = jnp.fft.rfft(x[:, idx] * window, n=layer.n_fft, axis=-1)
        out = jnp.real(spec) ** 2 + jnp.imag(spec) ** 2
        power = layer.power if isinstance(layer, Spectrogram) else 2.0
        if power != 2.0:
            out = out ** (power / 2.0)
        if "mel" in consts:
            out = jnp.log(out @ jnp.asarray(consts["mel"], x.dtype) + layer.log_offset)
        if "dct" in consts:
            out = out @ jnp.asarray(consts["dct"], x.dtype)
        return out


def _lower(layer: Spectrogram | MelSpectrogram, node: Node) -> nnx.Module:
    """:class:`AudioFeatures` (no parameters)."""
    return AudioFeatures(layer)


for _cls in (Spectrogram, MelSpectrogram, MFCC):
    register_builtin(_cls)(_lower)
