"""The rules every stored resource shares: taken, free and missing keys, stale versions, list paths."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from ._answers import ApiError
from ._workspace import Identified, Outcome, Table

__all__ = ["check_version", "created", "or_not_found", "position_of", "replay_or_conflict", "with_paths"]

R = TypeVar("R", bound=Identified)
T = TypeVar("T")


def replay_or_conflict(
    stored: R, same: bool, what: str, key: str, difference: str = "different content"
) -> tuple[Outcome, R]:
    """Answer a create whose ``key`` is taken by ``stored``: replay it (200) when ``same``, else a 409.

    The 409 says ``"{what} {key!r} already exists with {difference}"``.
    """
    if same:
        return Outcome.REPLAYED, stored
    raise ApiError.conflict(f"{what} {key!r} already exists with {difference}")


def created(table: Table[R], record: R) -> tuple[Outcome, R]:
    """Store a new ``record`` in ``table`` and answer 201."""
    table.put(record)
    return Outcome.CREATED, record


def or_not_found(record: R | None, what: str, key: str) -> R:
    """``record`` when there is one, else the 404 for the ``what`` named ``key``."""
    if record is None:
        raise ApiError.not_found(what, key)
    return record


def check_version(what: str, key: str, sent: float, current: int) -> None:
    """Refuse a write made against any version but the ``current`` one (409, a stale write)."""
    if sent != current:
        raise ApiError.stale_version(what, key, sent, current)


def position_of(records: Sequence[Identified], id: str) -> int | None:
    """Where the record with this ``id`` stands in ``records``, if it is there."""
    return next((position for position, record in enumerate(records) if record.id == id), None)


def with_paths(field: str, elements: Iterable[T]) -> Iterator[tuple[str, T]]:
    """Each element of the request's list ``field`` with its path in errors: ``field[0]``, ``field[1]``..."""
    for index, element in enumerate(elements):
        yield f"{field}[{index}]", element
