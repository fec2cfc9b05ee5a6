"""Shape-only layers: Reshape, Permute, Identity, Upsample2D."""

from __future__ import annotations

import math
from dataclasses import dataclass

from polyframe.spec.inputs import check_rank, single
from polyframe.spec.layer import Layer, Shape, as_pair, check, register_layer

INTERPOLATIONS = ("nearest", "bilinear")


def _int_tuple(value: object) -> bool:
    return isinstance(value, (tuple, list)) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    )


@register_layer("Reshape")
@dataclass(frozen=True)
class Reshape(Layer):
    """Reshape each example (row-major, channels-last order) to ``target_shape``; one entry
    may be -1 (inferred)."""

    target_shape: tuple[int, ...]

    def __post_init__(self) -> None:
        shape = self.target_shape
        check(
            _int_tuple(shape)
            and len(shape) > 0
            and all(d > 0 or d == -1 for d in shape)
            and list(shape).count(-1) <= 1,
            self,
            f"target_shape must be a non-empty tuple of positive ints with at most one -1, "
            f"got {shape!r}",
        )
        object.__setattr__(self, "target_shape", tuple(int(d) for d in shape))

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = single(self, input_shape)
        size = math.prod(shape)
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            check(
                size % known == 0,
                self,
                f"cannot reshape {shape} ({size} values) to {self.target_shape}",
            )
            return tuple(size // known if d == -1 else d for d in self.target_shape)
        check(
            known == size,
            self,
            f"cannot reshape {shape} ({size} values) to {self.target_shape} ({known} values)",
        )
        return self.target_shape


@register_layer("Permute")
@dataclass(frozen=True)
class Permute(Layer):
    """Permute the axes of each example; ``dims`` numbers them from 1 (axis 0 is the batch),
    as Keras does: ``Permute((2, 1))`` turns ``(T, C)`` into ``(C, T)``."""

    dims: tuple[int, ...]

    def __post_init__(self) -> None:
        dims = self.dims
        check(
            _int_tuple(dims) and sorted(dims) == list(range(1, len(dims) + 1)),
            self,
            f"dims must be a permutation of 1..n (axis 0 is the batch), got {dims!r}",
        )
        object.__setattr__(self, "dims", tuple(int(d) for d in dims))

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = single(self, input_shape)
        check(
            len(shape) == len(self.dims),
            self,
            f"dims {self.dims} permute {len(self.dims)} axes but the input {shape} has {len(shape)}",
        )
        return tuple(shape[d - 1] for d in self.dims)


@register_layer("Identity")
@dataclass(frozen=True)
class Identity(Layer):
    """Returns its input unchanged."""

    def output_shape(self, input_shape: Shape) -> Shape:
        return single(self, input_shape)


@register_layer("Upsample2D")
@dataclass(frozen=True)
class Upsample2D(Layer):
    """Enlarge ``(H, W, C)`` images by integer factors ``size``.

    ``nearest`` repeats pixels; ``bilinear`` uses half-pixel centres with edge clamping
    (torch ``align_corners=False``, TF ``half_pixel_centers=True``, ``jax.image.resize``).
    """

    size: int | tuple[int, int] = 2
    interpolation: str = "nearest"

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", as_pair(self.size, "size", self.kind))
        check(
            self.interpolation in INTERPOLATIONS,
            self,
            f"interpolation must be one of {INTERPOLATIONS}, got {self.interpolation!r}",
        )

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = single(self, input_shape)
        check_rank(self, shape, 3, "(H, W, C)")
        return (shape[0] * self.size[0], shape[1] * self.size[1], shape[2])
