"""The transactions resource: ``client.transactions``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Unpack

from .. import _operation as declare
from .. import types
from ..types.transaction import Transaction
from ..types.transaction_create_params import Account, Allocation

__all__ = ["Transactions"]


class Transactions(declare.Resource[declare.ModeT]):
    """Transaction operations (``client.transactions``): money that moved, and how it pays invoices.

    .. versionadded:: 0.2.0
    """

    with_raw_response: declare.RawView[Transactions[declare.AsyncRaw], Transactions[declare.BlockingRaw]] = (
        declare.RawView()
    )

    @declare.operation(
        "POST", "/transactions", body=types.TransactionCreateParams, response=types.TransactionCreateResponse
    )
    def create(
        self,
        *,
        account: Account | Mapping[str, Any],
        allocations: Iterable[Allocation | Mapping[str, Any]],
        amount: str | int,
        currency: types.CurrencyCode,
        external_id: str,
        posted: datetime | str,
        **options: Unpack[declare.RequestOptions],
    ) -> None:
        """Record (sync) a transaction, optionally allocating it to invoices.

        Creates are idempotent by ``external_id``, which makes them safe to retry.

        :param account: the external account, by ``id``, ``external_id`` or both
            (:class:`~fragment.types.transaction_create_params.Account` or a dict).
        :param allocations: ``{"amount", "invoice_id", "type", "user"}`` each, ``type`` being
            ``"invoice_payin"`` or ``"invoice_payout"`` and ``user`` ``{"id": ...}`` or
            ``{"external_id": ...}``; empty leaves the funds unreconciled.
        :param amount: in the currency's smallest unit: a string of digits or an int,
            negative for money going out.
        :param currency: the currency code.
        :param external_id: your system's ID for the transaction.
        :param posted: when the money moved: a timezone-aware datetime (sent as its
            ``isoformat()``) or an ISO-8601 string with an offset or ``Z`` (sent as written).
        :raises ValidationError: a field is invalid (a naive ``posted``, an empty ``account``,
            ...); nothing was sent.
        :raises BadRequestError: the API refused it, for example an unknown account or invoice.
        """

    create_many, create_many_iter = declare.batches(create, types.TransactionCreateParams, key="external_id")

    @declare.operation("GET", "/transactions/{id}", response=types.TransactionRetrieveResponse)
    def retrieve(self, id: str, /, **options: Unpack[declare.RequestOptions]) -> None:
        """Get a transaction by ID.

        :param id: the transaction's ID.
        :raises NotFoundError: no transaction has this ID.
        """

    @declare.operation(
        "GET", "/transactions", query=types.TransactionListParams, response=types.TransactionListResponse
    )
    def list(
        self,
        *,
        account: str | None = None,
        reconciliation_status: types.ReconciliationStatus | None = None,
        **options: Unpack[declare.RequestOptions],
    ) -> None:
        """List the workspace's transactions, optionally filtered (the API does not paginate).

        :param account: only this account's: its ID (``ext_account_...``) or its external ID;
            an account that does not exist gives an empty list.
        :param reconciliation_status: ``"reconciled"`` (nothing left to allocate) or
            ``"unreconciled"``; None for both.
        :raises ValidationError: a filter is invalid; nothing was sent.
        """

    @declare.operation(
        "POST",
        "/transactions/{id}/allocations",
        body=types.TransactionCreateAllocationsParams,
        response=types.TransactionCreateAllocationsResponse,
    )
    def create_allocations(
        self,
        id: str,
        /,
        *,
        allocation_updates: Iterable[types.AllocationUpdate | Mapping[str, Any]],
        version: int,
        **options: Unpack[declare.RequestOptions],
    ) -> None:
        """Add and delete allocations of a transaction, unless another write came first.

        :param id: the transaction's ID.
        :param allocation_updates: ``{"op": "add", "amount", "invoice_id", "type", "user"}``
            or ``{"op": "delete", "id": ...}`` (or :class:`~fragment.types.AllocationAddOp`
            and :class:`~fragment.types.AllocationDeleteOp`); at least one. An allocation's
            ID is :attr:`fragment.types.transaction.Allocation.id`.
        :raises ValidationError: an operation is invalid; nothing was sent.
        :raises NotFoundError: no transaction has this ID.
        """

    modify_allocations = declare.ReadModifyWrite[
        Transaction, types.AllocationUpdate, types.TransactionCreateAllocationsResponse
    ](retrieve, create_allocations, operations="allocation_updates", noun="transaction")
