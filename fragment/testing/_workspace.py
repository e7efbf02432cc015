"""One workspace's resources: keyed tables, plus the clock and id maker its rules use."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import datetime
from enum import Enum
from typing import Generic, Protocol, TypeVar

from ._records import AccountRecord, InvoiceRecord, ProductRecord, RoleRecord, TransactionRecord, UserRecord

__all__ = ["Identified", "Outcome", "Table", "Workspace", "new_order"]


class Identified(Protocol):
    """A stored record: it has a generated ``id``."""

    @property
    def id(self) -> str: ...


R = TypeVar("R", bound=Identified)


class Outcome(Enum):
    """The status of a create: a new record (201) or the replay of an identical one (200)."""

    CREATED = 201
    REPLAYED = 200


class Table(Generic[R]):
    """Records by their unique key (the caller's ID, a code, a name) and by their generated ``id``.

    Iteration is in creation order; ``order`` numbers records across every table that shares
    it, so that listings over several workspaces keep creation order too.
    """

    def __init__(self, key: Callable[[R], str], order: Iterator[int]) -> None:
        self._key = key
        self._order = order
        self._by_key: dict[str, tuple[int, R]] = {}
        self._by_id: dict[str, str] = {}

    def get(self, key: str) -> R | None:
        """The record under its unique key, if any."""
        entry = self._by_key.get(key)
        return entry[1] if entry is not None else None

    def by_id(self, id: str) -> R | None:
        """The record with this generated ``id``, if any."""
        key = self._by_id.get(id)
        return self.get(key) if key is not None else None

    def put(self, record: R) -> None:
        """Add a record, or replace the one under the same key (keeping its place)."""
        key = self._key(record)
        entry = self._by_key.get(key)
        self._by_key[key] = (entry[0] if entry is not None else next(self._order), record)
        self._by_id[record.id] = key

    def __iter__(self) -> Iterator[R]:
        return (record for _, record in self._by_key.values())

    def numbered(self) -> Iterator[tuple[int, R]]:
        """The records with their creation number."""
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)


class Workspace:
    """Everything one workspace holds. Not thread safe: the store's lock guards it."""

    def __init__(
        self, id: str, *, clock: Callable[[], datetime], new_id: Callable[[str], str], order: Iterator[int]
    ) -> None:
        self.id = id
        self.now = clock
        """The current time, timezone-aware UTC."""
        self.new_id = new_id
        """A fresh ID with the given prefix: ``new_id("txn")``."""
        self.invoices: Table[InvoiceRecord] = Table(lambda r: r.id, order)
        self.roles: Table[RoleRecord] = Table(lambda r: r.name, order)
        self.users: Table[UserRecord] = Table(lambda r: r.external_id, order)
        self.products: Table[ProductRecord] = Table(lambda r: r.code, order)
        self.accounts: Table[AccountRecord] = Table(lambda r: r.external_id, order)
        self.transactions: Table[TransactionRecord] = Table(lambda r: r.external_id, order)


def new_order() -> Iterator[int]:
    """A creation counter shared by the tables of every workspace of a store."""
    return itertools.count()
