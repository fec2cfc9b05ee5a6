"""The layer-spec DSL: frozen, declarative, validated at build time, YAML/JSON round trip."""

from polyframe.spec import attention as _attention  # noqa: F401
from polyframe.spec import audio as _audio  # noqa: F401  (Spectrogram, MelSpectrogram, MFCC)
from polyframe.spec import conv as _conv  # noqa: F401  (registers layer kinds)
from polyframe.spec import conv1d as _conv1d  # noqa: F401
from polyframe.spec import conv_depthwise as _conv_depthwise  # noqa: F401
from polyframe.spec import conv_transpose as _conv_transpose  # noqa: F401
from polyframe.spec import core_layers as _core  # noqa: F401
from polyframe.spec import embedding as _embedding  # noqa: F401
from polyframe.spec import layer_norms as _layer_norms  # noqa: F401
from polyframe.spec import merge as _merge  # noqa: F401
from polyframe.spec import normalization as _norm  # noqa: F401
from polyframe.spec import pooling as _pool  # noqa: F401
from polyframe.spec import pooling1d as _pool1d  # noqa: F401
from polyframe.spec import recurrent as _recurrent  # noqa: F401
from polyframe.spec import reshaping as _reshaping  # noqa: F401
from polyframe.spec.graph import Graph as Graph
from polyframe.spec.graph import GraphNode as GraphNode
from polyframe.spec.layer import Layer as Layer
from polyframe.spec.layer import ParamSpec as ParamSpec
from polyframe.spec.layer import layer_kinds as layer_kinds
from polyframe.spec.layer import register_layer as register_layer
from polyframe.spec.model_spec import ModelSpec as ModelSpec
from polyframe.spec.sequential import Node as Node
from polyframe.spec.sequential import Sequential as Sequential
from polyframe.spec.serialize import load_spec as load_spec
from polyframe.spec.serialize import loads_spec as loads_spec
from polyframe.spec.serialize import register_model_kind as register_model_kind
from polyframe.spec.serialize import spec_from_dict as spec_from_dict

register_model_kind("Sequential", Sequential)
register_model_kind("Graph", Graph)
