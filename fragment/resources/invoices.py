"""The invoices resource: ``create`` (and the batch operations built on it)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .. import _json
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
