"""How long a retry really waits: the client's default sleep, and the testing switch.

Like stamina's ``set_testing``, one switch makes every retry and rate-limit pause of every
client wait no time, so that a test suite full of injected faults runs in milliseconds. The
switch is the only state here; a client given its own ``sleep=`` ignores it.
"""

from __future__ import annotations

import asyncio

__all__ = ["instant", "set_instant", "sleep"]

_instant = False


def set_instant(on: bool) -> None:
    """Make retries wait no time (``True``), or their real delay again (``False``)."""
    global _instant
    _instant = bool(on)


def instant() -> bool:
    """Whether retries currently wait no time."""
    return _instant


async def sleep(delay: float) -> None:
    """Wait ``delay`` seconds before a retry; no time at all while the testing switch is on."""
    await asyncio.sleep(0 if _instant else delay)
