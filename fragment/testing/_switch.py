"""The testing switch: make every retry wait no time, for test suites full of faults."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from .. import _wait

__all__ = ["instant_retries", "set_instant_retries"]


def set_instant_retries(on: bool = True) -> None:
    """Make every client's retries and rate-limit pauses wait no time (or, with False, their real delay).

    The same idea as ``stamina.set_testing``: tests that inject faults run in milliseconds.
    The retries still happen, as many as the policy allows; only the waiting goes. A
    client built with its own ``sleep=`` is not affected.

    .. versionadded:: 0.2.0
    """
    _wait.set_instant(on)


@contextlib.contextmanager
def instant_retries() -> Iterator[None]:
    """Within the ``with`` block, retries wait no time; the previous setting comes back after.

    .. versionadded:: 0.2.0
    """
    previous = _wait.instant()
    _wait.set_instant(True)
    try:
        yield
    finally:
        _wait.set_instant(previous)
