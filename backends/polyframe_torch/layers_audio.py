"""torch lowerings of Spectrogram, MelSpectrogram and MFCC (``torch.stft``)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from polyframe.backend import register_lowering
from polyframe.spec.audio import MFCC, MelSpectrogram, Spectrogram, feature_constants
from polyframe.spec.sequential import Node
from polyframe_torch.lowered import CHANNELS_LAST, Lowered
from polyframe_torch.params import mapped_codec


class AudioFeatures(nn.Module):
    """Raw audio ``[N, T]`` -> ``[N, frames, features]``: ``torch.stft`` (no centring; the
    window zero-padded to ``n_fft``), power, then optionally mel filters + log and a DCT."""

    def __init__(self, layer: Spectrogram | MelSpectrogram) -> None:
        super().__init__()
        consts = feature_constants(layer)
        self.frame_length, self.frame_step, self.n_fft = (
            layer.frame_length,
            layer.frame_step,
            layer.n_fft,
        )
        self.power = layer.power if isinstance(layer, Spectrogram) else 2.0
        self.log_offset = getattr(layer, "log_offset", None)
        for name, value in consts.items():  # constants: buffers, not saved as parameters
            self.register_buffer(name, torch.from_numpy(value).float(), persistent=False)
        if "mel" not in consts:
            self.mel = None
        if "dct" not in consts:
            self.dct = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # frames of n_fft samples whose tail the padded window zeroes = frame_length frames
        x = F.pad(x, (0, self.n_fft - self.frame_length))
        spec = torch.stft(
            x,
            n_fft=self.n_fft,
            hop_length=self.frame_step,
            win_length=self.n_fft,
            window=self.window.to(x.dtype),
            center=False,
            return_complex=True,
        ).transpose(1, 2)
        out = spec.real**2 + spec.imag**2
        if self.power != 2.0:
            out = out ** (self.power / 2.0)
        if self.mel is not None:
            out = torch.log(out @ self.mel.to(x.dtype) + self.log_offset)
        if self.dct is not None:
            out = out @ self.dct.to(x.dtype)
        return out


def _lower(layer: Spectrogram | MelSpectrogram, node: Node) -> Lowered:
    """:class:`AudioFeatures` (no parameters)."""
    return Lowered(AudioFeatures(layer), *mapped_codec(()), CHANNELS_LAST)


for _cls in (Spectrogram, MelSpectrogram, MFCC):
    register_lowering("torch", _cls)(_lower)
