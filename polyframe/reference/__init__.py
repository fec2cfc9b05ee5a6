"""The numpy forward pass of every layer: the oracle every backend is tested against.

Computations run in float64 and are cast back to the input's float dtype, so the reference
is more precise than any backend it judges. Register the reference of a user-defined layer
with :func:`register_reference`; polyframe's own layers use the same decorator. One module
per layer family; importing this package registers them all.
"""

from polyframe.reference import attention as _attention  # noqa: F401  (registers)
from polyframe.reference import audio as _audio  # noqa: F401
from polyframe.reference import builtin as _builtin  # noqa: F401
from polyframe.reference import conv as _conv  # noqa: F401
from polyframe.reference import embedding as _embedding  # noqa: F401
from polyframe.reference import graph as _graph  # noqa: F401  (Graph + merge layers)
from polyframe.reference import layer_norms as _layer_norms  # noqa: F401
from polyframe.reference import pooling1d as _pooling1d  # noqa: F401
from polyframe.reference import recurrent as _recurrent  # noqa: F401
from polyframe.reference import reshaping as _reshaping  # noqa: F401
from polyframe.reference.model import forward as forward
from polyframe.reference.registry import Context as Context
from polyframe.reference.registry import activate as activate
from polyframe.reference.registry import reference_fn as reference_fn
from polyframe.reference.registry import register_reference as register_reference
