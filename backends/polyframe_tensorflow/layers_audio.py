"""Keras lowerings of Spectrogram, MelSpectrogram and MFCC (``tf.signal.stft``)."""

from __future__ import annotations

from typing import Any

from polyframe.backend import register_lowering
from polyframe.spec.audio import MFCC, MelSpectrogram, Spectrogram, feature_constants
from polyframe.spec.sequential import Node
from polyframe.spec.serialize import layer_from_dict
from polyframe_tensorflow._env import keras


@keras.saving.register_keras_serializable(package="polyframe")
class AudioFeatures(keras.layers.Layer):
    """Raw audio ``[N, T]`` -> ``[N, frames, features]``: ``tf.signal.stft`` with a periodic
    Hann window, power, then optionally mel filters + log and a DCT (no weights)."""

    def __init__(self, feature_spec: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.feature_spec = dict(feature_spec)
        self.layer = _layer_from_dict(self.feature_spec)
        self.consts = feature_constants(self.layer)

    def call(self, x: Any) -> Any:
        import tensorflow as tf

        layer = self.layer
        spec = tf.signal.stft(
            x,
            frame_length=layer.frame_length,
            frame_step=layer.frame_step,
            fft_length=layer.n_fft,
            window_fn=lambda n, dtype: tf.signal.hann_window(n, periodic=True, dtype=dtype),
            pad_end=False,
        )
        out = tf.math.real(spec) ** 2 + tf.math.imag(spec) ** 2
        power = layer.power if isinstance(layer, Spectrogram) else 2.0
        if power != 2.0:
            out = out ** (power / 2.0)
        if "mel" in self.consts:
            out = tf.math.log(out @ tf.constant(self.consts["mel"], out.dtype) + layer.log_offset)
        if "dct" in self.consts:
            out = out @ tf.constant(self.consts["dct"], out.dtype)
        return out

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (input_shape[0], *self.layer.output_shape((input_shape[1],)))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "feature_spec": self.feature_spec}


def _layer_from_dict(d: dict[str, Any]) -> Spectrogram | MelSpectrogram:
    return layer_from_dict(d, 0)  # type: ignore[return-value]


def _lower(layer: Spectrogram | MelSpectrogram, node: Node) -> keras.layers.Layer:
    """:class:`AudioFeatures` (no weights)."""
    return AudioFeatures({"kind": layer.kind, **layer.config()}, name=node.name)


for _cls in (Spectrogram, MelSpectrogram, MFCC):
    register_lowering("tensorflow", _cls)(_lower)
