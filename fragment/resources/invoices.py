"""The invoices resource: ``create`` (and the batch operations built on it)."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .. import _json
from .._batch import BatchInput, BatchResult, collect_batch, run_batch
from .._protocol import decode_create_response
from .._validation import validate_create
from .._wire import params_to_wire
from ..types import InvoiceCreateParams, InvoiceCreateResponse, LineItem

if TYPE_CHECKING:
    from .._client import AsyncFragment, Timeout

__all__ = ["AsyncInvoices"]


class AsyncInvoices:
    """Invoice operations of an :class:`~fragment.AsyncFragment` (``client.invoices``)."""

    def __init__(self, client: AsyncFragment) -> None:
        self._client = client

    async def create(
        self,
        *,
        invoice_id: str,
        line_items: Iterable[LineItem | Mapping[str, Any]],
        extra_headers: Mapping[str, str] | None = None,
        timeout: Timeout | None = None,
    ) -> InvoiceCreateResponse:
        """Create an invoice, or return the stored one if this exact invoice already exists.

        ``line_items`` takes :class:`~fragment.types.LineItem` instances or dicts with the
        same keys; ``amount`` may also be a non-negative int. Everything is checked before
        any I/O: a bad invoice raises :class:`~fragment.ValidationError` and is not sent.

        Creates are idempotent by ``invoice_id``, which makes them safe to retry: the
        client retries connection errors, timeouts, 408, 409, 429 and 5xx answers.

        :param extra_headers: headers added to this request only.
        :param timeout: this request's timeout, overriding the client's.
        :raises ValidationError: the invoice is invalid; nothing was sent.
        :raises ConflictError: another invoice with this ``invoice_id`` exists.
        :raises APIStatusError: any other error answer, after retries.
        :raises APIConnectionError: no answer, after retries.

        .. versionadded:: 0.1.0
        """
        params = validate_create(invoice_id, line_items, check_currency_codes=self._client.check_currency_codes)
        return await self._send_create(params, extra_headers=extra_headers, timeout=timeout)

    async def create_many(
        self,
        invoices: Iterable[BatchInput] | AsyncIterable[BatchInput],
        *,
        concurrency: int = 16,
        on_result: Callable[[BatchResult], object] | None = None,
    ) -> list[BatchResult]:
        """Create many invoices concurrently; return one result per input item, in input order.

        ``invoices`` is an iterable or async iterable of dicts (the keyword arguments of
        :meth:`create`) or :class:`~fragment.types.InvoiceCreateParams`, pulled lazily.
        A failed invoice never stops the batch: its :class:`~fragment.BatchResult` carries
        the error. A repeated ``invoice_id`` is not sent again. See :meth:`create_many_iter`
        for the details and to stream results without holding them all.

        .. versionadded:: 0.1.0
        """
        self._check_concurrency(concurrency)
        return await collect_batch(
            invoices,
            send=self._send_create,
            concurrency=concurrency,
            check_currency_codes=self._client.check_currency_codes,
            on_result=on_result,
        )

    def create_many_iter(
        self,
        invoices: Iterable[BatchInput] | AsyncIterable[BatchInput],
        *,
        concurrency: int = 16,
        on_result: Callable[[BatchResult], object] | None = None,
    ) -> AsyncIterator[BatchResult]:
        """Create many invoices concurrently, yielding each result as it completes.

        At most ``concurrency`` requests are in flight, and an item is taken from the input
        only when a slot is free, so memory is bounded by ``concurrency``, not by the input.
        Guarantees:

        * every input item yields exactly one :class:`~fragment.BatchResult`;
        * an invalid item fails alone with a :class:`~fragment.ValidationError` (not sent);
        * a second item with an ``invoice_id`` already seen in this batch is not sent; its
          error names the first item's index;
        * a 429 anywhere pauses the whole batch for the server's ``retry-after`` and halves
          its concurrency, which recovers step by step as requests succeed;
        * an exception raised by the input ends the batch with that exception once the
          requests in flight have finished and been reported;
        * cancelling stops new sends at once; requests in flight are cancelled and reported
          to ``on_result`` with :class:`asyncio.CancelledError` as their error.

        :param concurrency: the most requests in flight; at most the client's
            ``max_connections``.
        :param on_result: called with each result as it is produced (for progress).

        .. versionadded:: 0.1.0
        """
        self._check_concurrency(concurrency)
        return run_batch(
            invoices,
            send=self._send_create,
            concurrency=concurrency,
            check_currency_codes=self._client.check_currency_codes,
            on_result=on_result,
        )

    def _check_concurrency(self, concurrency: int) -> None:
        # A pool smaller than the batch would queue requests the batch believes are in flight.
        if isinstance(concurrency, int) and concurrency > self._client.max_connections:
            raise ValueError(
                f"concurrency {concurrency} exceeds the client's connection pool of {self._client.max_connections}; "
                "create the client with a larger max_connections"
            )

    async def _send_create(
        self,
        params: InvoiceCreateParams,
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: Timeout | None = None,
    ) -> InvoiceCreateResponse:
        """Send an already validated invoice."""
        body = _json.dumps(params_to_wire(params))
        status, answer = await self._client._post("/invoices", body, extra_headers=extra_headers, timeout=timeout)
        return decode_create_response(status, answer)
