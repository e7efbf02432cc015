"""The example requests tests start from, and a way to vary them.

The seed page's example invoice, as recorded in ``samples/``, and API.md's example transaction.

For the test modules that build parametrize tables when they are imported, where fixtures
cannot reach; the tests themselves take the fixtures of ``conftest.py``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).parent / "samples"

SEED_REQUEST: dict[str, Any] = json.loads((SAMPLES / "invoice_create_request.json").read_bytes())
"""The JSON body of the seed page's example create, with its wire names."""

SEED_LINE_ITEM: dict[str, Any] = {
    ("currency_code" if key == "currencyCode" else key): value for key, value in SEED_REQUEST["lineItems"][0].items()
}
"""The seed's one line item with Python names (``currencyCode`` is its only key that differs)."""

ALLOCATION: dict[str, Any] = {
    "amount": "1000",
    "invoice_id": "inv_abc123",
    "type": "invoice_payin",
    "user": {"id": "user_abc123"},
}
"""The example transaction's one allocation (the same keys on the wire)."""

TRANSACTION: dict[str, Any] = {
    "account": {"id": "ext_account_1", "external_id": "bank_acct_1"},
    "allocations": [ALLOCATION],
    "amount": "-1000",
    "currency": "USD",
    "external_id": "bank_txn_123",
    "posted": datetime(2026, 2, 12, tzinfo=UTC),
}
"""API.md's example ``transactions.create``, as keyword arguments."""

MISSING = object()
"""A value for :func:`changed` that removes the field."""


def changed(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of ``base`` with some fields changed (``MISSING`` removes one)."""
    result = dict(base)
    for key, value in changes.items():
        if value is MISSING:
            del result[key]
        else:
            result[key] = value
    return result
