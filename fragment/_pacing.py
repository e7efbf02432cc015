"""How a batch paces the requests its tasks send, without widening any method's signature.

A batch sets :data:`current_pacer` in the context of each of its tasks. The client's retry
loop takes a ticket from it before every attempt (retries included) and hands the ticket
back with the answer's status, so one 429 slows the whole batch instead of only the request
that saw it, and a shrunken limit holds back retries as well as new sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Protocol

__all__ = ["Pacer", "current_pacer"]


class Pacer(Protocol):
    """What the client's retry loop needs from a batch's rate controller."""

    def try_acquire(self) -> int | None:
        """A ticket if an attempt may start right now, else None (then :meth:`acquire`)."""

    async def acquire(self) -> int:
        """Wait until an attempt may start; return its ticket."""

    def release(self, ticket: int, status: int, headers: Mapping[str, str] | None) -> None:
        """The attempt ended: with an answer of ``status``, or with none (``status`` 0)."""


current_pacer: ContextVar[Pacer | None] = ContextVar("fragment_current_pacer", default=None)
