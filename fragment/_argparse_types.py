"""Argument types shared by the two command lines (``fragment`` and ``python -m fragment.testing``)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeVar

__all__ = ["argument_type"]

T = TypeVar("T")


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
