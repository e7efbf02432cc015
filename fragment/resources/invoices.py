"""The invoices resource: ``client.invoices``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Unpack

from .._operation import CreateMany, CreateManyIter, ModeT, RequestOptions, Resource, operation
from ..types import InvoiceCreateParams, InvoiceCreateResponse, LineItem

__all__ = ["Invoices"]


class Invoices(Resource[ModeT]):
    """Invoice operations (``client.invoices``).

    .. versionadded:: 0.1.0
    """

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

    create_many = CreateMany(
        create,
        InvoiceCreateParams,
        key="invoice_id",
        doc="""Create many invoices concurrently; return one result per input item, in input order.

        ``items`` is an iterable or async iterable of dicts (the keyword arguments of
        :meth:`create`) or :class:`~fragment.types.InvoiceCreateParams`, pulled lazily.
        A failed invoice never stops the batch: its :class:`~fragment.BatchResult` carries
        the error. A repeated ``invoice_id`` is not sent again. See :meth:`create_many_iter`
        for the guarantees, and to stream results without holding them all.

        .. versionadded:: 0.1.0
        """,
    )
    create_many_iter = CreateManyIter(
        create,
        InvoiceCreateParams,
        key="invoice_id",
        doc="""Create many invoices concurrently, yielding each result as it completes.

        At most ``concurrency`` requests are in flight, and an item is taken from the input
        only when a slot is free, so memory is bounded by ``concurrency``, not by the input.
        Guarantees:

        * every input item yields exactly one :class:`~fragment.BatchResult`, or the batch raises;
        * an invalid item fails alone with a :class:`~fragment.ValidationError` (not sent);
        * a second item with an ``invoice_id`` already seen in this batch is not sent; its
          error names the first item's index;
        * a 429 anywhere pauses the whole batch for the server's ``retry-after`` and halves
          its concurrency, which recovers step by step as requests succeed;
        * an exception raised by the input ends the batch with that exception once the
          requests in flight have finished and been reported;
        * cancelling stops new sends at once; requests in flight are cancelled and reported
          to ``on_result`` with :class:`asyncio.CancelledError` as their error.

        :param concurrency: the most requests in flight; at most the client's ``max_connections``.
        :param on_result: called with each result as it is produced (for progress).

        .. versionadded:: 0.1.0
        """,
    )
