"""Read-modify-write under optimistic concurrency: on a version conflict, read again and re-apply.

``invoices.modify`` and ``transactions.modify_allocations`` are this loop around their
resource's read and version-guarded write, each declared as a
:class:`~fragment._operation.ReadModifyWrite`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from ._errors import ConflictError

__all__ = ["DEFAULT_MODIFY_ATTEMPTS", "read_modify_write"]

S = TypeVar("S")
W = TypeVar("W")

DEFAULT_MODIFY_ATTEMPTS = 5


async def read_modify_write(
    read: Callable[[], Awaitable[S]],
    change: Callable[[S], Iterable[Any]],
    write: Callable[[S, list[Any]], Awaitable[W]],
    unchanged: Callable[[S], W],
    *,
    max_attempts: int,
) -> W:
    """Read the state, compute operations from it, write them at its version; repeat on conflict.

    ``write(state, operations)`` sends the operations at ``state``'s version; a
    :class:`~fragment.ConflictError` means another writer came first, so the state is read
    again and ``change`` re-applied to it, up to ``max_attempts`` reads in all. When
    ``change`` returns no operation nothing is written and ``unchanged(state)`` is returned.
    """
    if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
        raise ValueError(f"max_attempts must be an int of at least 1, got {max_attempts!r}")
    for attempt in range(1, max_attempts + 1):
        state = await read()
        operations = list(change(state))
        if not operations:
            return unchanged(state)
        try:
            return await write(state, operations)
        except ConflictError:
            if attempt == max_attempts:
                raise
    raise AssertionError("unreachable: the last attempt returns or raises")
