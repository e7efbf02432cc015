"""``fragment invoices create``: one invoice, from options or from a JSON document."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from .._errors import APIError, ValidationError
from .._validation import validate_invoice
from ._connect import ClientSettings, open_client
from ._errors import UsageError

__all__ = ["create_invoice", "invoice_from_json", "invoice_from_options", "parse_line_item"]

# A comma starts the next pair only when a KEY= follows it, so that commas inside a
# description ("Pro plan, monthly") need no quoting.
_PAIR_SEPARATOR = re.compile(r",(?=\s*[A-Za-z_][A-Za-z0-9_]*\s*=)")


def parse_line_item(text: str) -> dict[str, str]:
    """Read ``--line-item amount=1000,currency_code=USD,...`` into a line item dict.

    Raises ValueError for a piece that is not ``KEY=VALUE`` or a key given twice; the
    field names and values themselves are checked by the validator.
    """
    item: dict[str, str] = {}
    for pair in _PAIR_SEPARATOR.split(text):
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"expected KEY=VALUE pairs separated by commas, got {pair!r}")
        if key in item:
            raise ValueError(f"{key!r} is given twice")
        item[key] = value
    return item


def invoice_from_options(invoice_id: str | None, line_items: Sequence[dict[str, str]] | None) -> dict[str, Any]:
    """The create arguments given as ``--invoice-id`` and ``--line-item`` options."""
    if invoice_id is None or not line_items:
        raise UsageError("give --invoice-id and at least one --line-item, or the whole invoice with --json")
    return {"invoice_id": invoice_id, "line_items": list(line_items)}


def invoice_from_json(source: str, *, stdin: TextIO = sys.stdin) -> dict[str, Any]:
    """The create arguments from a JSON file, or standard input for ``-``."""
    try:
        text = stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read {source}: {error}") from None
    try:
        invoice = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"{source}: invalid JSON: {error}") from None
    if not isinstance(invoice, dict):
        raise UsageError(f"{source}: expected a JSON object with invoice_id and line_items")
    return invoice


async def create_invoice(invoice: dict[str, Any], settings: ClientSettings, *, out: TextIO, err: TextIO) -> int:
    """Check and create one invoice, print it as JSON; return the exit status."""
    try:
        # Checked before the client exists: a bad invoice needs no credentials to be refused.
        params = validate_invoice(invoice, check_currency_codes=settings.check_currency_codes)
    except ValidationError as error:
        for problem in error.errors:
            print(f"fragment: invalid invoice: {problem}", file=err)
        return 1
    async with open_client(settings, err=err) as client:
        try:
            response = await client.invoices.create(invoice_id=params.invoice_id, line_items=params.line_items)
        except APIError as error:
            print(f"fragment: {params.invoice_id}: {type(error).__name__}: {error}", file=err)
            return 1
    print(response.data.to_json(), file=out)
    return 0
