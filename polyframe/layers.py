"""Every built-in layer spec, as ``pf.layers.<Kind>``."""

from polyframe.spec.conv import Conv2D as Conv2D
from polyframe.spec.core_layers import Activation as Activation
from polyframe.spec.core_layers import Dense as Dense
from polyframe.spec.core_layers import Dropout as Dropout
from polyframe.spec.core_layers import Flatten as Flatten
from polyframe.spec.core_layers import Input as Input
from polyframe.spec.layer import Layer as Layer
from polyframe.spec.layer import ParamSpec as ParamSpec
from polyframe.spec.layer import register_layer as register_layer
from polyframe.spec.normalization import BatchNorm as BatchNorm
from polyframe.spec.pooling import AvgPool2D as AvgPool2D
from polyframe.spec.pooling import GlobalAvgPool2D as GlobalAvgPool2D
from polyframe.spec.pooling import MaxPool2D as MaxPool2D
