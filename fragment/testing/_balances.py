"""An invoice's balances: what is expected (its line items) against what was paid (allocations).

Per currency, ``payins`` and ``payouts`` each have ``expected`` (the sum of the invoice's
``payin`` / ``payout`` line items), ``actual`` (the sum of the workspace's allocations of type
``invoice_payin`` / ``invoice_payout`` against the invoice, in their transaction's currency)
and ``remaining = expected - actual``. ``net`` is ``payins - payouts`` field by field. The
same figures are given per user, keyed by the user's external ID (the line items'
``user_id``). A currency or user appears in the order it is first met: line items first,
then allocations.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from ._records import InvoiceRecord, TransactionRecord

__all__ = ["Amounts", "Balance", "InvoiceBalances", "UserBalances", "invoice_balances"]

_PAYIN_TYPES = frozenset({"payin", "invoice_payin"})


@attrs.frozen
class Amounts:
    """Expected and actual amounts, in the currency's smallest unit."""

    expected: int = 0
    actual: int = 0

    @property
    def remaining(self) -> int:
        """What is still to come: ``expected - actual`` (negative when overpaid)."""
        return self.expected - self.actual

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(self.expected + other.expected, self.actual + other.actual)

    def __sub__(self, other: Amounts) -> Amounts:
        return Amounts(self.expected - other.expected, self.actual - other.actual)


@attrs.frozen
class Balance:
    """One currency's payins and payouts."""

    currency: str
    payins: Amounts = attrs.field(factory=Amounts)
    payouts: Amounts = attrs.field(factory=Amounts)

    @property
    def net(self) -> Amounts:
        """``payins - payouts``."""
        return self.payins - self.payouts

    def plus(self, type: str, amounts: Amounts) -> Balance:
        """This balance with ``amounts`` added to the payins or payouts, by line item or allocation type."""
        if type in _PAYIN_TYPES:
            return attrs.evolve(self, payins=self.payins + amounts)
        return attrs.evolve(self, payouts=self.payouts + amounts)


@attrs.frozen
class UserBalances:
    """One user's balances on an invoice."""

    id: str
    """The user's external ID."""
    balances: tuple[Balance, ...]


@attrs.frozen
class InvoiceBalances:
    """An invoice's balances, in total and per user."""

    balances: tuple[Balance, ...]
    users: tuple[UserBalances, ...]


class _Ledger:
    """Balances being summed, per currency and per (user, currency), in first-seen order."""

    def __init__(self) -> None:
        self.total: dict[str, Balance] = {}
        self.per_user: dict[str, dict[str, Balance]] = {}

    def add(self, user: str, currency: str, type: str, amounts: Amounts) -> None:
        self.total[currency] = self.total.get(currency, Balance(currency)).plus(type, amounts)
        mine = self.per_user.setdefault(user, {})
        mine[currency] = mine.get(currency, Balance(currency)).plus(type, amounts)

    def result(self) -> InvoiceBalances:
        users = tuple(UserBalances(user, tuple(balances.values())) for user, balances in self.per_user.items())
        return InvoiceBalances(tuple(self.total.values()), users)


def invoice_balances(invoice: InvoiceRecord, transactions: Iterable[TransactionRecord]) -> InvoiceBalances:
    """The balances of ``invoice`` at its current version, given the workspace's transactions."""
    ledger = _Ledger()
    for item in invoice.current.line_items:
        ledger.add(item.user_id, item.currency_code, item.type, Amounts(expected=int(item.amount)))
    for transaction in transactions:
        for allocation in transaction.allocations:
            if allocation.invoice_id == invoice.id:
                paid = Amounts(actual=int(allocation.amount))
                ledger.add(allocation.user.external_id, transaction.currency, allocation.type, paid)
    return ledger.result()
