"""TEMPORARY: stands in for _wire.to_wire/from_wire and _validation.validate until they land."""

from __future__ import annotations

from typing import Any

from ._validation import validate_invoice


def validate(cls: type, fields: Any, *, check_currency_codes: bool = True, int_amounts: bool = True) -> Any:
    return validate_invoice(fields, check_currency_codes=check_currency_codes, int_amounts=int_amounts)


