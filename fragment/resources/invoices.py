"""The invoices resource: ``client.invoices``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Unpack

from .. import _operation as declare
from .. import types
from ..types.invoice_retrieve_response import Data as InvoiceWithBalances

__all__ = ["Invoices"]


class Invoices(declare.Resource[declare.ModeT]):
    """Invoice operations (``client.invoices``).

    .. versionadded:: 0.1.0
    """

    with_raw_response: declare.RawView[Invoices[declare.AsyncRaw], Invoices[declare.BlockingRaw]] = declare.RawView()

    @declare.operation("POST", "/invoices", body=types.InvoiceCreateParams, response=types.InvoiceCreateResponse)
    def create(
        self,
        *,
        invoice_id: str,
        line_items: Iterable[types.LineItem | Mapping[str, Any]],
        **options: Unpack[declare.RequestOptions],
    ) -> None:
        """Create an invoice, or return the stored one if this exact invoice already exists.

        ``line_items`` takes :class:`~fragment.types.LineItem` instances or dicts with the
        same keys; ``amount`` may also be a non-negative int. Everything is checked before
        any I/O: a bad invoice raises :class:`~fragment.ValidationError` and is not sent.

        Creates are idempotent by ``invoice_id``, which makes them safe to retry: the
        client retries connection errors, timeouts, 408, 409, 429 and 5xx answers.

        :param invoice_id: your system's canonical ID for the invoice.
        :raises ValidationError: the invoice is invalid; nothing was sent.
        :raises ConflictError: another invoice with this ``invoice_id`` exists.

        .. versionadded:: 0.1.0
        """

    create_many, create_many_iter = declare.batches(create, types.InvoiceCreateParams, key="invoice_id")

    @declare.operation("GET", "/invoices/{id}", response=types.InvoiceRetrieveResponse)
    def retrieve(self, id: str, /, **options: Unpack[declare.RequestOptions]) -> None:
        """Get an invoice by ID, with its balances per currency and per user.

        :param id: the invoice's ID (its ``invoice_id``).
        :raises NotFoundError: no invoice has this ID.

        .. versionadded:: 0.2.0
        """

    @declare.operation("POST", "/invoices/{id}", body=types.InvoiceUpdateParams, response=types.InvoiceUpdateResponse)
    def update(
        self,
        id: str,
        /,
        *,
        line_items_update: Iterable[types.LineItemsUpdate | Mapping[str, Any]],
        version: int,
        **options: Unpack[declare.RequestOptions],
    ) -> None:
        """Apply line item operations (add, update the amount, delete) to an invoice, unless another write came first.

        A stale ``version`` is refused at once; :meth:`modify` re-reads and re-applies for you.

        :param line_items_update: ``{"op": "add", ...line item fields}``,
            ``{"op": "update", "id": ..., "amount": ...}`` or ``{"op": "delete", "id": ...}``
            (or :class:`~fragment.types.LineItemAddOp` and its siblings).
        :raises ValidationError: an operation is invalid; nothing was sent.

        .. versionadded:: 0.2.0
        """

    @declare.operation("GET", "/invoices", response=types.InvoiceListResponse)
    def list(self, **options: Unpack[declare.RequestOptions]) -> None:
        """List every invoice of the workspace (the API does not paginate).

        .. versionadded:: 0.2.0
        """

    @declare.operation("GET", "/invoices/{id}/history", response=types.InvoiceListHistoryResponse)
    def list_history(self, id: str, /, **options: Unpack[declare.RequestOptions]) -> None:
        """List an invoice's versions, oldest first, each with the cumulative diff since the first.

        .. versionadded:: 0.2.0
        """

    modify = declare.ReadModifyWrite[InvoiceWithBalances, types.LineItemsUpdate, types.InvoiceUpdateResponse](
        retrieve, update, operations="line_items_update", noun="invoice", versionadded="0.2.0"
    )
