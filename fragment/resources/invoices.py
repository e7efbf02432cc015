"""The invoices resource: ``client.invoices``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Unpack

from .._modify import DEFAULT_MODIFY_ATTEMPTS, read_modify_write
from .._operation import (
    Async,
    AsyncRaw,
    BlockingRaw,
    CreateMany,
    CreateManyIter,
    ModeT,
    RawView,
    RequestOptions,
    Resource,
    composite,
    operation,
)
from ..types import (
    InvoiceCreateParams,
    InvoiceCreateResponse,
    InvoiceListHistoryResponse,
    InvoiceListResponse,
    InvoiceRetrieveResponse,
    InvoiceUpdateParams,
    InvoiceUpdateResponse,
    LineItem,
    LineItemsUpdate,
)
from ..types.invoice_retrieve_response import Data as InvoiceWithBalances

__all__ = ["Invoices"]


class Invoices(Resource[ModeT]):
    """Invoice operations (``client.invoices``).

    .. versionadded:: 0.1.0
    """

    with_raw_response: RawView[Invoices[AsyncRaw], Invoices[BlockingRaw]] = RawView()
    """The same operations, returning a :class:`~fragment.RawResponse` (status, headers, timing)."""

    @operation("POST", "/invoices", body=InvoiceCreateParams, response=InvoiceCreateResponse)
    def create(
        self,
        *,
        invoice_id: str,
        line_items: Iterable[LineItem | Mapping[str, Any]],
        **options: Unpack[RequestOptions],
    ) -> None:
        """Create an invoice, or return the stored one if this exact invoice already exists.

        ``line_items`` takes :class:`~fragment.types.LineItem` instances or dicts with the
        same keys; ``amount`` may also be a non-negative int. Everything is checked before
        any I/O: a bad invoice raises :class:`~fragment.ValidationError` and is not sent.

        Creates are idempotent by ``invoice_id``, which makes them safe to retry: the
        client retries connection errors, timeouts, 408, 409, 429 and 5xx answers.

        :param invoice_id: your system's canonical ID for the invoice.
        :param options: :class:`~fragment.RequestOptions` for this request only.
        :raises ValidationError: the invoice is invalid; nothing was sent.
        :raises ConflictError: another invoice with this ``invoice_id`` exists.
        :raises APIStatusError: any other error answer, after retries.
        :raises APIConnectionError: no answer, after retries.

        .. versionadded:: 0.1.0
        """

    create_many = CreateMany(create, InvoiceCreateParams, key="invoice_id")
    create_many_iter = CreateManyIter(create, InvoiceCreateParams, key="invoice_id")

    @operation("GET", "/invoices/{id}", response=InvoiceRetrieveResponse)
    def retrieve(self, id: str, /, **options: Unpack[RequestOptions]) -> None:
        """Get an invoice by ID, with its balances per currency and per user.

        :param id: the invoice's ID (its ``invoice_id``).
        :raises NotFoundError: no invoice has this ID.

        .. versionadded:: 0.2.0
        """

    @operation("POST", "/invoices/{id}", body=InvoiceUpdateParams, response=InvoiceUpdateResponse, version_guarded=True)
    def update(
        self,
        id: str,
        /,
        *,
        line_items_update: Iterable[LineItemsUpdate | Mapping[str, Any]],
        version: int,
        **options: Unpack[RequestOptions],
    ) -> None:
        """Apply line item operations (add, update the amount, delete) to an invoice.

        The update applies only if ``version`` is still the invoice's current version. If
        another write came first, the API answers 409 and this raises
        :class:`~fragment.ConflictError` at once: resending a stale version cannot succeed,
        so it is not retried. :meth:`modify` re-reads and re-applies for you.

        :param line_items_update: ``{"op": "add", ...line item fields}``,
            ``{"op": "update", "id": ..., "amount": ...}`` or ``{"op": "delete", "id": ...}``
            (or :class:`~fragment.types.LineItemAddOp` and its siblings).
        :param version: the invoice's ``version`` as last read.
        :raises ValidationError: an operation is invalid; nothing was sent.
        :raises ConflictError: ``version`` is stale.

        .. versionadded:: 0.2.0
        """

    @operation("GET", "/invoices", response=InvoiceListResponse)
    def list(self, **options: Unpack[RequestOptions]) -> None:
        """List every invoice of the workspace (the API does not paginate).

        .. versionadded:: 0.2.0
        """

    @operation("GET", "/invoices/{id}/history", response=InvoiceListHistoryResponse)
    def list_history(self, id: str, /, **options: Unpack[RequestOptions]) -> None:
        """List an invoice's versions, oldest first, each with the cumulative diff since the first.

        .. versionadded:: 0.2.0
        """

    @composite
    async def modify(
        self,
        id: str,
        /,
        change: Callable[[InvoiceWithBalances], Iterable[LineItemsUpdate | Mapping[str, Any]]],
        *,
        max_attempts: int = DEFAULT_MODIFY_ATTEMPTS,
        **options: Unpack[RequestOptions],
    ) -> InvoiceUpdateResponse:
        """Read an invoice, compute line item operations from it, and write them at its version.

        ``change(invoice)`` gets the invoice as just retrieved and returns the operations
        for :meth:`update`. If another writer changes the invoice in between (a version
        conflict), the invoice is read again and ``change`` called again on the new state,
        up to ``max_attempts`` reads in all; so no concurrent update is lost. ``change`` may
        run several times: it should only compute, not act. If it returns no operation,
        nothing is sent and the invoice as read is returned.

        :raises ConflictError: still conflicting after ``max_attempts`` reads.

        .. versionadded:: 0.2.0
        """
        invoices = Invoices[Async](self._client)

        async def read() -> InvoiceWithBalances:
            return (await invoices.retrieve(id, **options)).data

        async def write(current: InvoiceWithBalances, operations: list[Any]) -> InvoiceUpdateResponse:
            version = int(current.version)  # the official model types it as float; the API counts in ints
            return await invoices.update(id, line_items_update=operations, version=version, **options)

        def unchanged(current: InvoiceWithBalances) -> InvoiceUpdateResponse:
            return InvoiceUpdateResponse(data=current)

        return await read_modify_write(read, change, write, unchanged, max_attempts=max_attempts)
