"""Argument types shared by the two command lines (``fragment`` and ``python -m fragment.testing``).

Each is a function for argparse's ``type=``: a value it refuses is a usage error (exit 2)
whose message says what was expected, never a traceback further on.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import TypeVar

__all__ = ["MAX_SECONDS", "argument_type", "finite_number", "port", "positive_seconds", "shard_spec", "whole_number"]

T = TypeVar("T")

MAX_SECONDS = 365 * 24 * 3600.0
"""The longest duration an option takes: a year (an event loop's timer overflows on ``inf``)."""


def argument_type(parse: Callable[[str], T]) -> Callable[[str], T]:
    """Wrap a parser for argparse's ``type=``: its ValueError becomes a usage error (exit 2) with its message.

    argparse would otherwise replace the message with a generic "invalid value".
    """

    def convert(text: str) -> T:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    convert.__name__ = getattr(parse, "__name__", "value")  # argparse names the type in some errors
    return convert


def finite_number(text: str, *, expected: str = "expected") -> float:
    """Read a number that is neither infinite nor NaN; raise ValueError otherwise.

    :param expected: how the error's message starts: ``expected`` a number, ``slow needs`` a number.
    """
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{expected} a number, got {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{expected} a finite number, got {text!r}")
    return value


def whole_number(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number from ``minimum`` to ``maximum`` (no upper bound when None)."""

    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum}, got {value}")
        return value

    return convert


def positive_seconds(text: str) -> float:
    """An argparse type: a positive, finite number of seconds (at most :data:`MAX_SECONDS`)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number of seconds, got {text!r}")
    if not 0 < value <= MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most {MAX_SECONDS:.0f} (a year), got {text}")
    return value


port = whole_number(0, 65535)
"""An argparse type: a TCP port number, 0 for any free one."""


def shard_spec(text: str) -> tuple[int, int]:
    """An argparse type: ``K/N``, shard K of N, K counted from 0 (a Kubernetes indexed Job's completion index)."""
    index, slash, count = text.partition("/")
    try:
        shard, shards = int(index), int(count)
    except ValueError:
        shard = shards = -1
    if not slash or shards < 1 or not 0 <= shard < shards:
        raise argparse.ArgumentTypeError(f"expected K/N with N >= 1 and K from 0 to N-1 (such as 0/4), got {text!r}")
    return shard, shards
