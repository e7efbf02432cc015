"""What can be imported: every resource with a ``create_many_iter``, read from its declaration.

The batch declaration gives the create's params model and its idempotency key
(``invoice_id``, ``external_id``); the CSV columns follow from the params model (see
:mod:`._csv_shape`). Only what the declarations cannot say is written here: which resources'
rows must each be an item, and what ``--local`` prepares in its empty emulator.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs

from .._client import AsyncFragment
from .._errors import APIError, ValidationError
from .._operation import CreateManyIter
from ..resources import RESOURCES
from ._csv_shape import CsvShape, csv_shape
from ._progress import Noun

__all__ = ["ImportKind", "LocalPreparer", "import_kind"]

LocalPreparer = Callable[[AsyncFragment, Mapping[str, Any]], Awaitable[str | None]]
"""Prepares ``--local``'s emulator for one record before it is sent; returns a note to print, if any."""


@attrs.frozen
class ImportKind:
    """How to import one resource's records."""

    resource: str
    """The resource's attribute name on the client (``invoices``)."""
    key: str
    """The create's idempotency key, which names each record (``invoice_id``)."""
    params: type
    """The create's params model."""
    csv: CsvShape | None
    """The CSV columns, or None when only JSON Lines can hold a record."""
    local_preparer: Callable[[], LocalPreparer] | None = None
    """Makes the ``--local`` preparation of one import (None: the empty emulator is fine)."""

    @property
    def noun(self) -> Noun:
        """``invoice``/``invoices``, ``external account``/``external accounts``."""
        many = self.resource.replace("_", " ")
        return Noun(many[:-1] if many.endswith("s") else many, many)


def import_kind(resource: str) -> ImportKind | None:
    """The import of ``resource``, or None when it has no ``create_many_iter``."""
    cls = RESOURCES.get(resource)
    batch = inspect.getattr_static(cls, "create_many_iter", None) if cls is not None else None
    if not isinstance(batch, CreateManyIter):
        return None
    # The declaration's own key and params model: package-internal, read rather than repeated.
    key: str = batch._key
    params: type = batch._params
    items_required = resource in _EVERY_ROW_AN_ITEM
    return ImportKind(
        resource, key, params, csv_shape(params, key, items_required=items_required), _LOCAL.get(resource)
    )


_EVERY_ROW_AN_ITEM = frozenset({"invoices"})
"""Resources whose every CSV row is an item (an invoice has at least one line item; a
transaction may have no allocation)."""


class _NamedAccounts:
    """``--local``: creates each external account a transaction names by ``external_id``, once.

    The emulator starts empty, and a transaction must name an existing account; this lets a
    bank export import as it would into a workspace that has its accounts.
    """

    def __init__(self) -> None:
        self._done: set[str] = set()

    async def __call__(self, client: AsyncFragment, arguments: Mapping[str, Any]) -> str | None:
        account = arguments.get("account")
        external_id = account.get("external_id") if isinstance(account, Mapping) else None
        if not isinstance(external_id, str) or not external_id or external_id in self._done:
            return None
        self._done.add(external_id)
        try:
            await client.external_accounts.create(external_id=external_id, name=external_id)
        except (APIError, ValidationError):  # the transaction's own create reports what is wrong
            return None
        return f"fragment: --local: created external account {external_id!r}, which the file names"


_LOCAL: dict[str, Callable[[], LocalPreparer]] = {"transactions": _NamedAccounts}
