"""The one validator of create requests, shared by the client and the emulator.

Everything is checked before any I/O and every problem is reported with its field path in
Python names and the offending value, so a bad invoice is never half-sent.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ._errors import FieldError, ValidationError
from .types import CURRENCY_CODES, InvoiceCreateParams, LineItem

__all__ = ["INVOICE_FIELDS", "LINE_ITEM_FIELDS", "validate_create", "validate_invoice"]

INVOICE_FIELDS: tuple[str, ...] = tuple(a.name for a in attrs.fields(InvoiceCreateParams))
LINE_ITEM_FIELDS: tuple[str, ...] = tuple(a.name for a in attrs.fields(LineItem))
_LINE_ITEM_KEYS = frozenset(LINE_ITEM_FIELDS)
_INVOICE_KEYS = frozenset(INVOICE_FIELDS)
_MISSING = "required field is missing"


@attrs.frozen
class _Rules:
    """The switchable checks, passed down the field checks as one value."""

    check_currency_codes: bool
    int_amounts: bool


_LINE_ITEM_TYPES = ("payin", "payout")
# ASCII only: str.isdigit() would also accept digits of other scripts, which the API does not.
_DIGITS = re.compile(r"[0-9]+")


def validate_create(
    invoice_id: object, line_items: object, *, check_currency_codes: bool = True, int_amounts: bool = True
) -> InvoiceCreateParams:
    """Check the arguments of ``invoices.create`` and return them as a clean value.

    ``int_amounts`` lets ``amount`` be a non-negative int (Python callers); the emulator
    turns it off because on the wire an amount is always a string.
    Raises :class:`~fragment.ValidationError` naming every bad field.
    """
    errors: list[FieldError] = []
    params = _check_invoice(invoice_id, line_items, errors, _Rules(check_currency_codes, int_amounts))
    if errors:
        raise ValidationError(errors)
    assert params is not None
    return params


def validate_invoice(
    invoice: object, *, check_currency_codes: bool = True, int_amounts: bool = True
) -> InvoiceCreateParams:
    """Check one whole invoice: an :class:`InvoiceCreateParams` or a mapping of its fields.

    Mapping keys are the Python names (``invoice_id``, ``line_items``); an unknown key is an
    error that suggests the closest known name.
    """
    if type(invoice) is dict:  # the common case, without the cost of ABC isinstance checks
        pass
    elif isinstance(invoice, InvoiceCreateParams):
        return validate_create(
            invoice.invoice_id, invoice.line_items, check_currency_codes=check_currency_codes, int_amounts=int_amounts
        )
    if not isinstance(invoice, Mapping):
        raise ValidationError(
            [FieldError("invoice", f"expected a mapping or InvoiceCreateParams, got {_describe(invoice)}")]
        )
    errors = [] if invoice.keys() == _INVOICE_KEYS else _unknown_keys(invoice, INVOICE_FIELDS, prefix="")
    rules = _Rules(check_currency_codes, int_amounts)
    params = _check_invoice(invoice.get("invoice_id"), invoice.get("line_items"), errors, rules)
    if errors:
        raise ValidationError(errors)
    assert params is not None
    return params


def _check_invoice(
    invoice_id: object, line_items: object, errors: list[FieldError], rules: _Rules
) -> InvoiceCreateParams | None:
    if (problem := _text_problem(invoice_id)) is not None:
        errors.append(FieldError("invoice_id", problem))
    items = _check_line_item_list(line_items, errors)
    checked = [_check_line_item(f"line_items[{index}]", item, errors, rules) for index, item in enumerate(items)]
    if errors:
        return None
    return InvoiceCreateParams(invoice_id=invoice_id, line_items=checked)  # type: ignore[arg-type]


def _check_line_item_list(line_items: object, errors: list[FieldError]) -> list[Any]:
    if line_items is None:
        errors.append(FieldError("line_items", _MISSING))
        return []
    if type(line_items) is list:
        items: list[Any] = line_items
    elif isinstance(line_items, (str, bytes, Mapping)) or not isinstance(line_items, Iterable):
        errors.append(FieldError("line_items", f"expected a list of line items, got {_describe(line_items)}"))
        return []
    else:
        items = list(line_items)
    if not items:
        errors.append(FieldError("line_items", "must contain at least one line item, got an empty list"))
    return items


def _check_line_item(path: str, item: object, errors: list[FieldError], rules: _Rules) -> LineItem | None:
    fields: Mapping[str, Any]
    if type(item) is dict and item.keys() == _LINE_ITEM_KEYS:
        fields = item  # the common case: well-formed keys, no ABC isinstance checks
    elif isinstance(item, LineItem):
        fields = attrs.asdict(item, recurse=False)
    elif isinstance(item, Mapping):
        fields = item
        if item.keys() != _LINE_ITEM_KEYS:
            errors.extend(_unknown_keys(item, LINE_ITEM_FIELDS, prefix=f"{path}."))
    else:
        errors.append(FieldError(path, f"expected a LineItem or a mapping, got {_describe(item)}"))
        return None
    amount, amount_problem = _amount(fields.get("amount"), rules.int_amounts)
    currency_code = fields.get("currency_code")
    description, product_id, type_, user_id = (
        fields.get("description"),
        fields.get("product_id"),
        fields.get("type"),
        fields.get("user_id"),
    )
    # Problems are found first and paths formatted only for them: most items have none.
    problems = (
        ("amount", amount_problem),
        ("currency_code", _currency_code_problem(currency_code, rules.check_currency_codes)),
        ("description", _text_problem(description)),
        ("product_id", _text_problem(product_id)),
        ("type", _type_problem(type_)),
        ("user_id", _text_problem(user_id)),
    )
    found = [FieldError(f"{path}.{name}", problem) for name, problem in problems if problem is not None]
    if found:
        errors.extend(found)
        return None
    return LineItem(
        amount=amount,  # type: ignore[arg-type]
        currency_code=currency_code,  # type: ignore[arg-type]
        description=description,  # type: ignore[arg-type]
        product_id=product_id,  # type: ignore[arg-type]
        type=type_,  # type: ignore[arg-type]
        user_id=user_id,  # type: ignore[arg-type]
    )


def _unknown_keys(mapping: Mapping[Any, Any], known: tuple[str, ...], *, prefix: str) -> list[FieldError]:
    # Missing fields are reported by each field's own check, which sees them as None.
    return [
        FieldError(f"{prefix}{key}", f"unknown field{_suggestion(key, known)}") for key in mapping if key not in known
    ]


def _suggestion(key: object, known: tuple[str, ...]) -> str:
    if not isinstance(key, str):
        return f" {key!r}"
    # Wire names (currencyCode) and other spellings compare best without case or separators.
    folded = {name.replace("_", ""): name for name in known}
    matches = difflib.get_close_matches(key.replace("_", "").replace("-", "").lower(), folded, n=1, cutoff=0.6)
    return f"; did you mean {folded[matches[0]]!r}?" if matches else f"; expected one of {', '.join(known)}"


def _text_problem(value: object) -> str | None:
    if type(value) is str and value.strip():  # the common case first, in one test
        return None
    if value is None:
        return _MISSING
    if not isinstance(value, str):
        return f"expected a non-empty string, got {_describe(value)}"
    return None if value.strip() else f"must not be empty, got {value!r}"


def _amount(value: object, int_amounts: bool) -> tuple[str | None, str | None]:
    """The amount as the wire's digit string, or a problem."""
    if type(value) is str and _DIGITS.fullmatch(value):
        return value, None
    if isinstance(value, bool) or value is None:
        return None, _MISSING if value is None else f"expected a string of digits, got {value!r}"
    if isinstance(value, int) and int_amounts:
        return (str(value), None) if value >= 0 else (None, f"must not be negative, got {value!r}")
    if isinstance(value, int):
        return None, f"expected a string of digits, got int {value!r}"
    if isinstance(value, str):
        return None, f"{value!r} is not a string of digits (the amount in the smallest unit)"
    return None, f"expected a string of digits or a non-negative int, got {_describe(value)}"


def _currency_code_problem(value: object, check_membership: bool) -> str | None:
    if value is None:
        return _MISSING
    if not isinstance(value, str) or not value:
        return f"expected a currency code string, got {_describe(value)}"
    if check_membership and value not in CURRENCY_CODES:
        return f"{value!r} is not a supported currency code{_close_codes(value)}"
    return None


def _close_codes(value: str) -> str:
    matches = difflib.get_close_matches(value.upper(), sorted(CURRENCY_CODES), n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(map(repr, matches))}?" if matches else ""


def _type_problem(value: object) -> str | None:
    if value in _LINE_ITEM_TYPES:
        return None
    if value is None:
        return _MISSING
    return f"{value!r} is not a line item type; expected 'payin' or 'payout'"


def _describe(value: object) -> str:
    return f"{type(value).__name__} {value!r}"
