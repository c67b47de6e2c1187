"""Argument checks shared by the model builders: one clear ``ValueError`` line naming the argument and what it must
be, raised before any layer is made."""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral


def image_shape(input_shape, *, min_size: int = 1, channels: int | None = None) -> tuple:
    """``input_shape`` as a tuple (height, width, channels) of positive sizes, height and width at least
    ``min_size`` and, when given, exactly ``channels`` channels."""
    shape = tuple(input_shape)
    if (len(shape) != 3 or not all(isinstance(v, Integral) and v > 0 for v in shape) or min(shape[:2]) < min_size
            or (channels is not None and shape[-1] != channels)):
        side = "" if min_size <= 1 else f" >= {min_size}"
        raise ValueError(f"input_shape must be (height{side}, width{side}, {channels or 'channels'}), "
                         f"got {input_shape!r}")
    return shape


def num_classes(n: int) -> int:
    if n < 2:
        raise ValueError(f"num_classes must be at least 2, got {n!r}")
    return n


def choice(value: str, valid: Sequence[str], what: str = "activation") -> str:
    """``value`` if it is one of ``valid``, else an error listing them (``unknown activation 'gelu'; valid ...``)."""
    if value not in valid:
        raise ValueError(f"unknown {what} {value!r}; valid {what}s: {', '.join(valid)}")
    return value
