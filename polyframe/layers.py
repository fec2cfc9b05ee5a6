"""Every built-in layer spec, as ``pf.layers.<Kind>``."""

from typing import Any

from polyframe.spec.attention import MultiHeadAttention as MultiHeadAttention
from polyframe.spec.attention import TransformerEncoderBlock as TransformerEncoderBlock
from polyframe.spec.audio import MFCC as MFCC
from polyframe.spec.audio import MelSpectrogram as MelSpectrogram
from polyframe.spec.audio import Spectrogram as Spectrogram
from polyframe.spec.conv import Conv2D as Conv2D
from polyframe.spec.conv1d import Conv1D as Conv1D
from polyframe.spec.conv_depthwise import DepthwiseConv2D as DepthwiseConv2D
from polyframe.spec.conv_transpose import Conv2DTranspose as Conv2DTranspose
from polyframe.spec.core_layers import Activation as Activation
from polyframe.spec.core_layers import Dense as Dense
from polyframe.spec.core_layers import Dropout as Dropout
from polyframe.spec.core_layers import Flatten as Flatten
from polyframe.spec.core_layers import Input as Input
from polyframe.spec.embedding import Embedding as Embedding
from polyframe.spec.embedding import PositionalEmbedding as PositionalEmbedding
from polyframe.spec.layer import Layer as Layer
from polyframe.spec.layer import ParamSpec as ParamSpec
from polyframe.spec.layer import register_layer as register_layer
from polyframe.spec.layer_norms import GroupNorm as GroupNorm
from polyframe.spec.layer_norms import LayerNorm as LayerNorm
from polyframe.spec.layer_norms import RMSNorm as RMSNorm
from polyframe.spec.lazy_kinds import LAZY_KINDS, load_kind
from polyframe.spec.merge import Add as Add
from polyframe.spec.merge import Concatenate as Concatenate
from polyframe.spec.merge import Multiply as Multiply
from polyframe.spec.normalization import BatchNorm as BatchNorm
from polyframe.spec.pooling import AvgPool2D as AvgPool2D
from polyframe.spec.pooling import GlobalAvgPool2D as GlobalAvgPool2D
from polyframe.spec.pooling import MaxPool2D as MaxPool2D
from polyframe.spec.pooling1d import AvgPool1D as AvgPool1D
from polyframe.spec.pooling1d import GlobalAvgPool1D as GlobalAvgPool1D
from polyframe.spec.pooling1d import GlobalMaxPool1D as GlobalMaxPool1D
from polyframe.spec.pooling1d import GlobalMaxPool2D as GlobalMaxPool2D
from polyframe.spec.pooling1d import MaxPool1D as MaxPool1D
from polyframe.spec.recurrent import GRU as GRU
from polyframe.spec.recurrent import LSTM as LSTM
from polyframe.spec.recurrent import Bidirectional as Bidirectional
from polyframe.spec.reshaping import Identity as Identity
from polyframe.spec.reshaping import Permute as Permute
from polyframe.spec.reshaping import Reshape as Reshape
from polyframe.spec.reshaping import Upsample2D as Upsample2D


def __getattr__(name: str) -> Any:
    """The catalogue layers written in ``pf.ops`` load on first use (``import polyframe``
    stays fast); see polyframe/spec/lazy_kinds.py."""
    if name in LAZY_KINDS:
        return load_kind(name)
    raise AttributeError(f"module 'polyframe.layers' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *LAZY_KINDS])
