"""How a batch paces the requests its tasks send, without widening any method's signature.

A batch sets :data:`current_pacer` in the context of each of its tasks; the client's retry
loop asks it before every attempt whether to wait and tells it about every answer, so one 429 slows the
whole batch instead of only the request that saw it.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Protocol

__all__ = ["Pacer", "current_pacer"]


class Pacer(Protocol):
    """What the client's retry loop needs from a batch's rate controller."""

    def paused(self) -> bool:
        """Whether the batch is paused after a rate limit (checked before every attempt)."""

    async def wait(self) -> None:
        """Wait until the pause is over."""

    def rate_limited(self, pause: float) -> None:
        """A request was answered 429 and will be retried in ``pause`` seconds."""


current_pacer: ContextVar[Pacer | None] = ContextVar("fragment_current_pacer", default=None)
