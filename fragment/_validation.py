"""The one validator of request params, shared by the client and the emulator.

Everything is checked before any I/O and every problem is reported with its field path in
Python names and the offending value, so a bad request is never half-sent. Whatever the
input (odd objects, huge ints, lone surrogates, iterables that fail half-way), the only
exception raised is :class:`~fragment.ValidationError`.

Each params model has a spec here: a check per field, and the rules that span fields (a
role reference names exactly one of ``id`` / ``name``). Scalar checks raise :class:`_Problem`
and the walker adds the path, so paths are formatted only for the fields that are wrong.
"""

from __future__ import annotations

import difflib
import operator
import re
import reprlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

import attrs

from ._errors import FieldError, ValidationError
from ._wire import key_in_path, parse_timestamp, unknown_field_message, variants_by_op
from .types import (
    CURRENCY_CODES,
    ExternalAccountCreateParams,
    InvoiceCreateParams,
    InvoiceUpdateParams,
    LineItem,
    LineItemsUpdate,
    ProductCreateParams,
    RoleCreateParams,
    RoleRef,
    TransactionCreateAllocationsParams,
    TransactionCreateParams,
    TransactionListParams,
    UserCreateParams,
)
from .types.transaction_create_allocations_params import AllocationUpdate
from .types.transaction_create_params import Account, Allocation, AllocationUser

__all__ = ["INVOICE_FIELDS", "LINE_ITEM_FIELDS", "MAX_AMOUNT_DIGITS", "validate", "validate_create", "validate_invoice"]

T = TypeVar("T")

INVOICE_FIELDS: tuple[str, ...] = tuple(a.name for a in attrs.fields(InvoiceCreateParams))
LINE_ITEM_FIELDS: tuple[str, ...] = tuple(a.name for a in attrs.fields(LineItem))
MAX_AMOUNT_DIGITS = 64
"""The longest amount accepted, in digits: far beyond any real amount, short of an accident."""
_MAX_VERSION = 2**63 - 1  # what a JSON encoder such as orjson can write as an integer
_MISSING = "required field is missing"
# ASCII only: str.isdigit() would also accept digits of other scripts, which the API does not.
_DIGITS = re.compile(r"[0-9]+")
_SIGNED_DIGITS = re.compile(r"-?[0-9]+")


@attrs.frozen
class _Rules:
    """The switchable checks, passed down the field checks as one value."""

    check_currency_codes: bool
    int_amounts: bool


_USUAL_RULES = _Rules(check_currency_codes=True, int_amounts=True)


class _Problem(Exception):
    """What is wrong with one field's value; the walker knows the field's path."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_INVALID: Any = object()
"""What a nested check returns after reporting its problems."""

ScalarCheck = Callable[[Any, _Rules], Any]
"""Returns the clean value or raises :class:`_Problem`."""
NestedCheck = Callable[[Any, str, "list[FieldError]", _Rules], Any]
"""Gets the field's path and the error list; returns the clean value or :data:`_INVALID`."""
Rule = Callable[[dict[str, Any], str, "list[FieldError]"], None]
"""Checks fields together, once each of them is valid on its own."""


def validate(params_cls: type[T], fields: object, *, check_currency_codes: bool = True, int_amounts: bool = True) -> T:
    """Check the fields of one request and return them as ``params_cls``, clean.

    ``fields`` is a mapping of Python names (``invoice_id``, ``line_items``), or a
    ``params_cls`` instance (checked again); nested values may be models or mappings, and
    lists any iterable. ``int_amounts`` lets amounts be ints (Python callers); the emulator
    turns it off because on the wire an amount is always a string. Raises
    :class:`~fragment.ValidationError` naming every problem, and nothing else (a
    ``params_cls`` that is not the params model of an operation is a TypeError: a bug, not an input).
    """
    spec = _SPECS.get(params_cls)
    if spec is None:
        raise TypeError(f"{params_cls!r} is not the params model of an operation")
    # The usual rules are one shared value, not one built per call: this runs for every batch item.
    usual = check_currency_codes is True and int_amounts is True
    rules = _USUAL_RULES if usual else _Rules(check_currency_codes, int_amounts)
    errors: list[FieldError] = []
    try:
        if type(fields) is not dict and not isinstance(fields, (Mapping, params_cls)):
            problem = f"expected a mapping or {params_cls.__name__}, got {_describe(fields)}"
            raise ValidationError([FieldError(spec.noun, problem)])
        params = _check_model(spec, fields, "", errors, rules)
    except ValidationError:
        raise
    except Exception as exc:  # the last resort: an odd input defeated a check that guards itself
        raise ValidationError([*errors, FieldError(spec.noun, _unreadable(fields, exc))]) from None
    if errors:
        raise ValidationError(errors)
    result: T = params
    return result


def validate_invoice(
    invoice: object, *, check_currency_codes: bool = True, int_amounts: bool = True
) -> InvoiceCreateParams:
    """Check one whole invoice: an :class:`InvoiceCreateParams` or a mapping of its fields.

    Mapping keys are the Python names (``invoice_id``, ``line_items``); an unknown key is an
    error that suggests the closest known name.
    """
    return validate(InvoiceCreateParams, invoice, check_currency_codes=check_currency_codes, int_amounts=int_amounts)


def validate_create(
    invoice_id: object, line_items: object, *, check_currency_codes: bool = True, int_amounts: bool = True
) -> InvoiceCreateParams:
    """Check the arguments of ``invoices.create`` and return them as a clean value."""
    fields = {"invoice_id": invoice_id, "line_items": line_items}
    return validate(InvoiceCreateParams, fields, check_currency_codes=check_currency_codes, int_amounts=int_amounts)


# --- the walker ---------------------------------------------------------------------------------


@attrs.frozen
class _Spec:
    """How to check one params model: a check per field, then the rules across fields."""

    cls: type
    noun: str
    """What one of these is called in messages (``line item``)."""
    plan: tuple[tuple[str, Any, bool, bool], ...]
    """Per field: its name, its check, whether the check is nested, whether the field is required."""
    rules: tuple[Rule, ...]
    names: tuple[str, ...] = attrs.field(init=False)
    keys: frozenset[str] = attrs.field(init=False)

    @names.default
    def _names(self) -> tuple[str, ...]:
        return tuple(name for name, *_ in self.plan)

    @keys.default
    def _keys(self) -> frozenset[str]:
        return frozenset(self.names)


def _check_model(spec: _Spec, value: object, path: str, errors: list[FieldError], rules: _Rules) -> Any:
    """Check one object against ``spec``; return the model, or :data:`_INVALID` once its problems are reported."""
    try:
        fields = value if type(value) is dict else _fields_of(spec.cls, value)
        known = fields.keys() <= spec.keys
    except _Problem as problem:
        errors.append(FieldError(path or spec.noun, problem.message))
        return _INVALID
    except Exception as exc:  # a mapping that fails to give its items, or a key whose __hash__ fails
        errors.append(FieldError(path or spec.noun, _unreadable(value, exc)))
        return _INVALID
    before = len(errors)
    if not known:
        errors.extend(_unknown_keys(fields, spec.names, path))
    values: dict[str, Any] = {}
    # Paths are formatted only for nested fields and problems: most fields have neither.
    for name, check, nested, required in spec.plan:
        raw = None
        try:
            raw = fields.get(name)
            if raw is None:
                if required:
                    errors.append(FieldError(_join(path, name), _MISSING))
                values[name] = None
            elif nested:
                values[name] = check(raw, _join(path, name), errors, rules)
            else:
                values[name] = check(raw, rules)
        except _Problem as problem:
            errors.append(FieldError(_join(path, name), problem.message))
        except Exception as exc:  # an odd object's own method failed: a problem of this field, not a crash
            errors.append(FieldError(_join(path, name), _unreadable(raw, exc)))
    if len(errors) == before:
        for rule in spec.rules:
            rule(values, path or spec.noun, errors)
        if len(errors) == before:
            return spec.cls(**values)
    return _INVALID


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _fields_of(cls: type | tuple[type, ...], value: object) -> dict[Any, Any]:
    """The fields of a mapping or a model, as a plain dict; raises :class:`_Problem` for anything else."""
    if type(value) is dict:
        return value
    if isinstance(value, cls):
        return attrs.asdict(value, recurse=False)  # type: ignore[arg-type]
    if isinstance(value, Mapping):
        return dict(value)
    names = cls.__name__ if isinstance(cls, type) else ", ".join(c.__name__ for c in cls)
    raise _Problem(f"expected {_article(names)} {names} or a mapping, got {_describe(value)}")


def _unknown_keys(fields: Mapping[Any, Any], known: tuple[str, ...], path: str) -> list[FieldError]:
    # Missing fields are reported by each field's own check, which sees them as None.
    return [
        FieldError(_join(path, key_in_path(key)), unknown_field_message(key, known))
        for key in fields
        if not (type(key) is str and key in known)
    ]


def _scalar(check: ScalarCheck) -> tuple[ScalarCheck, bool]:
    return check, False


def _nested(check: NestedCheck) -> tuple[NestedCheck, bool]:
    return check, True


def _spec(cls: type, noun: str, checks: Mapping[str, tuple[Any, bool]], *rules: Rule) -> _Spec:
    """A spec whose checks are exactly ``cls``'s fields, in order; a field that defaults to None is optional."""
    attributes = attrs.fields(cls)
    if [a.name for a in attributes] != list(checks):
        raise TypeError(f"the checks of {cls.__name__} are not its fields: {list(checks)}")
    plan = tuple((a.name, *checks[a.name], a.default is not None) for a in attributes)
    return _Spec(cls, noun, plan, rules)


def _model(spec: _Spec) -> NestedCheck:
    """A nested object (``account``, ``user``)."""

    def check(value: object, path: str, errors: list[FieldError], rules: _Rules) -> Any:
        return _check_model(spec, value, path, errors, rules)

    return check


def _operation(union: Any, specs: Sequence[_Spec], noun: str) -> NestedCheck:
    """One operation of a list of them, told apart by its ``op``."""
    by_op = {op: next(spec for spec in specs if spec.cls is cls) for op, cls in variants_by_op(union).items()}
    variants = tuple(by_op[op].cls for op in by_op)
    expected = _either(tuple(by_op))

    def check(value: object, path: str, errors: list[FieldError], rules: _Rules) -> Any:
        try:
            fields = _fields_of(variants, value)
            op = fields.get("op")
        except _Problem as problem:
            errors.append(FieldError(path, problem.message))
            return _INVALID
        except Exception as exc:  # a mapping that fails to give its items
            errors.append(FieldError(path, _unreadable(value, exc)))
            return _INVALID
        spec = by_op.get(_plain(op)) if isinstance(op, str) else None
        if spec is None:
            wrong = (
                f"{_MISSING}; expected {expected}" if op is None else f"{_show(op)} is not {noun}; expected {expected}"
            )
            errors.append(FieldError(f"{path}.op", wrong))
            return _INVALID
        return _check_model(spec, fields, path, errors, rules)

    return check


def _list_of(item: _Spec | NestedCheck, noun: str, *, non_empty: bool) -> NestedCheck:
    """A list of ``item`` (a model's spec, or a nested check); any iterable but a string or a mapping is accepted."""

    def check(value: object, path: str, errors: list[FieldError], rules: _Rules) -> list[Any]:
        if type(value) is list:
            items: list[Any] = value
        elif isinstance(value, (str, bytes, bytearray, Mapping)) or not isinstance(value, Iterable):
            raise _Problem(f"expected a list of {noun}s, got {_describe(value)}")
        else:
            items = list(value)
        if non_empty and not items:
            raise _Problem(f"must contain at least one {noun}, got an empty list")
        if isinstance(item, _Spec):  # checked directly: a list of line items is the hot path
            return [
                _check_model(item, element, f"{path}[{index}]", errors, rules) for index, element in enumerate(items)
            ]
        return [item(element, f"{path}[{index}]", errors, rules) for index, element in enumerate(items)]

    return check


# --- scalar checks ------------------------------------------------------------------------------


def _text(value: object, rules: _Rules) -> str:
    """A non-empty string that can be sent as UTF-8 JSON."""
    if type(value) is str and value.isascii():  # the common case first
        if value.strip():
            return value
        raise _Problem(f"must not be empty, got {_show(value)}")
    if not isinstance(value, str):
        raise _Problem(f"expected a non-empty string, got {_describe(value)}")
    text = _sendable(_plain(value))
    if not text.strip():
        raise _Problem(f"must not be empty, got {_show(text)}")
    return text


def _amount(value: object, rules: _Rules) -> str:
    """An amount in the smallest unit: ASCII digits, or a non-negative int when ints are allowed."""
    if type(value) is str and len(value) <= MAX_AMOUNT_DIGITS and _DIGITS.fullmatch(value):
        return value  # the common case first
    return _digits(value, rules, signed=False)


def _signed_amount(value: object, rules: _Rules) -> str:
    """A transaction's amount: like :func:`_amount`, and negative for money going out."""
    return _digits(value, rules, signed=True)


def _digits(value: object, rules: _Rules, *, signed: bool) -> str:
    pattern = _SIGNED_DIGITS if signed else _DIGITS
    if type(value) is str and len(value) <= MAX_AMOUNT_DIGITS and pattern.fullmatch(value):
        return value
    kind = "a string of digits, optionally negative" if signed else "a string of digits"
    if isinstance(value, bool):
        raise _Problem(f"expected {kind}, got {value!r}")
    if isinstance(value, int):
        if not rules.int_amounts:
            raise _Problem(f"expected {kind}, got int {_show(value)}")
        number = operator.index(value)  # an exact int, even from a subclass
        if number < 0 and not signed:
            raise _Problem(f"must not be negative, got {_show(number)}")
        if abs(number) >= 10**MAX_AMOUNT_DIGITS:
            raise _Problem(f"{_show(number)} is too large: at most {MAX_AMOUNT_DIGITS} digits")
        return str(number)
    if isinstance(value, str):
        text = _plain(value)
        if pattern.fullmatch(text):
            count = len(text.lstrip("-"))
            if count <= MAX_AMOUNT_DIGITS:
                return text
            raise _Problem(f"has {count} digits, at most {MAX_AMOUNT_DIGITS} are accepted")
        raise _Problem(f"{_show(text)} is not {kind} (the amount in the smallest unit)")
    ints = ("or an int" if signed else "or a non-negative int") if rules.int_amounts else ""
    raise _Problem(f"expected {kind}{' ' if ints else ''}{ints}, got {_describe(value)}")


def _currency(value: object, rules: _Rules) -> str:
    """One of the currency codes (any string when the check is switched off)."""
    if type(value) is str and value in CURRENCY_CODES:
        return value  # the common case first
    if not isinstance(value, str) or not (code := _plain(value)):
        raise _Problem(f"expected a currency code string, got {_describe(value)}")
    if rules.check_currency_codes and code not in CURRENCY_CODES:
        raise _Problem(f"{_show(code)} is not a supported currency code{_close_codes(code)}")
    return _sendable(code)


def _close_codes(value: str) -> str:
    matches = difflib.get_close_matches(value[:20].upper(), sorted(CURRENCY_CODES), n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(map(repr, matches))}?" if matches else ""


def _choice(choices: tuple[str, ...], noun: str) -> ScalarCheck:
    """One of a few strings (an enum of the API)."""
    allowed = frozenset(choices)
    expected = _either(choices)

    def check(value: object, rules: _Rules) -> str:
        if type(value) is str and value in allowed:
            return value  # the common case first
        if isinstance(value, str) and (text := _plain(value)) in allowed:
            return text
        raise _Problem(f"{_show(value)} is not {noun}; expected {expected}")

    return check


def _version(value: object, rules: _Rules) -> int:
    """A version: an int >= 0 (an integral float such as 2.0 is taken as the int 2)."""
    if type(value) is int and 0 <= value <= _MAX_VERSION:
        return value  # the common case first
    if isinstance(value, bool):
        raise _Problem(f"expected a non-negative int, got {value!r}")
    if isinstance(value, int):
        number = operator.index(value)
    elif isinstance(value, float) and float.is_integer(value):
        number = float.__int__(value)
    else:
        raise _Problem(f"expected a non-negative int, got {_describe(value)}")
    if number < 0:
        raise _Problem(f"must not be negative, got {_show(value)}")
    if number > _MAX_VERSION:
        raise _Problem(f"{_show(value)} is too large for a version")
    return number


def _timestamp(value: object, rules: _Rules) -> datetime | str:
    """A timezone-aware datetime, or an ISO-8601 string with an offset or ``Z`` (kept as written)."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise _Problem(
                f"{_show(value)} is a naive datetime: the API would read it in an unknown zone; "
                "give it one, e.g. datetime(..., tzinfo=UTC) or .astimezone()"
            )
        return value
    if isinstance(value, date):
        raise _Problem(f"{_show(value)} is a date, not a moment; pass a timezone-aware datetime")
    if not isinstance(value, str):
        raise _Problem(f"expected a timezone-aware datetime or an ISO-8601 string, got {_describe(value)}")
    text = _sendable(_plain(value))
    try:
        parsed = parse_timestamp(text)
    except ValueError:
        raise _Problem(f"{_show(text)} is not an ISO-8601 timestamp such as '2026-02-12T09:30:00Z'") from None
    if parsed.tzinfo is None:
        raise _Problem(f"{_show(text)} has no UTC offset; add 'Z' or one such as '+00:00'")
    return text


def _plain(text: str) -> str:
    """``text`` as an exact str: a subclass may override the methods the checks call."""
    return text if type(text) is str else str.__add__("", text)


def _sendable(text: str) -> str:
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise _Problem(f"{_show(text)} contains a lone surrogate, which cannot be sent as UTF-8 JSON") from None
    return text


# --- rules across fields ------------------------------------------------------------------------


def _exactly_one(first: str, second: str) -> Rule:
    def rule(values: dict[str, Any], path: str, errors: list[FieldError]) -> None:
        given = [name for name in (first, second) if values[name] is not None]
        if len(given) != 1:
            got = "both" if given else "neither"
            errors.append(FieldError(path, f"give exactly one of {first!r} or {second!r}, got {got}"))

    return rule


def _account_named(values: dict[str, Any], path: str, errors: list[FieldError]) -> None:
    if values["id"] is None and values["external_id"] is None:
        errors.append(FieldError(path, "give 'id', 'external_id' or both to name the account, got neither"))


def _some_role(values: dict[str, Any], path: str, errors: list[FieldError]) -> None:
    if not values["paid_by_roles"] and not values["paid_to_roles"]:
        errors.append(
            FieldError("paid_by_roles", "a product needs at least one role: give paid_by_roles, paid_to_roles or both")
        )


# --- messages -----------------------------------------------------------------------------------

_REPR = reprlib.Repr()
_REPR.maxstring = 80
_REPR.maxother = 80
_REPR.maxlong = 80


def _show(value: object) -> str:
    """A short repr that never raises (odd ``__repr__``, ints too long to print, deep nesting)."""
    if type(value) is int and value.bit_length() > 256:
        return f"<an int of about {int(value.bit_length() * 0.30103) + 1} digits>"
    try:
        return _REPR.repr(value)
    except Exception:
        return f"<{type(value).__name__} object>"


def _describe(value: object) -> str:
    return f"{type(value).__name__} {_show(value)}"


def _article(noun: str) -> str:
    return "an" if noun[0] in "AEIOUaeiou" else "a"


def _either(choices: tuple[str, ...]) -> str:
    quoted = [repr(choice) for choice in choices]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _unreadable(value: object, exc: Exception) -> str:
    try:
        detail = str(exc)[:200]
    except Exception:
        detail = ""
    detail = detail.encode("utf-8", "backslashreplace").decode("utf-8")
    return f"could not be read ({_describe(value)} raised {type(exc).__name__}{': ' if detail else ''}{detail})"


# --- the specs ----------------------------------------------------------------------------------

_LINE_ITEM_TYPE = _choice(("payin", "payout"), "a line item type")
_ALLOCATION_TYPE = _choice(("invoice_payin", "invoice_payout"), "an allocation type")


def _versioned_update(
    cls: type, noun: str, field: str, union: Any, operations: Sequence[_Spec], operation_noun: str
) -> _Spec:
    """An update made of operations: a non-empty list of them in ``field``, each told apart by its
    ``op`` (one spec of ``operations`` per member of ``union``), and the ``version`` it was read at."""
    each = _operation(union, operations, f"{_article(operation_noun)} {operation_noun}")
    return _spec(
        cls, noun, {field: _nested(_list_of(each, operation_noun, non_empty=True)), "version": _scalar(_version)}
    )


def _line_item_spec(cls: type, noun: str, **op: tuple[Any, bool]) -> _Spec:
    return _spec(
        cls,
        noun,
        {
            **op,
            "amount": _scalar(_amount),
            "currency_code": _scalar(_currency),
            "description": _scalar(_text),
            "product_id": _scalar(_text),
            "type": _scalar(_LINE_ITEM_TYPE),
            "user_id": _scalar(_text),
        },
    )


_LINE_ITEM = _line_item_spec(LineItem, "line item")
_INVOICE_CREATE = _spec(
    InvoiceCreateParams,
    "invoice",
    {"invoice_id": _scalar(_text), "line_items": _nested(_list_of(_LINE_ITEM, "line item", non_empty=True))},
)

_OPS = {op: _scalar(_choice((op,), "this operation")) for op in ("add", "update", "delete")}
_LINE_ITEM_OPS = [
    _line_item_spec(variants_by_op(LineItemsUpdate)["add"], "line item to add", op=_OPS["add"]),
    _spec(
        variants_by_op(LineItemsUpdate)["update"],
        "line item update",
        {"op": _OPS["update"], "id": _scalar(_text), "amount": _scalar(_amount)},
    ),
    _spec(
        variants_by_op(LineItemsUpdate)["delete"], "line item to delete", {"op": _OPS["delete"], "id": _scalar(_text)}
    ),
]
_INVOICE_UPDATE = _versioned_update(
    InvoiceUpdateParams, "invoice update", "line_items_update", LineItemsUpdate, _LINE_ITEM_OPS, "line item operation"
)

_ROLE_REF = _spec(RoleRef, "role reference", {"id": _scalar(_text), "name": _scalar(_text)}, _exactly_one("id", "name"))
_ROLE_REFS = _nested(_list_of(_ROLE_REF, "role reference", non_empty=False))
_PRODUCT_CREATE = _spec(
    ProductCreateParams,
    "product",
    {
        "code": _scalar(_text),
        "description": _scalar(_text),
        "paid_by_roles": _ROLE_REFS,
        "paid_to_roles": _ROLE_REFS,
    },
    _some_role,
)
_ROLE_CREATE = _spec(RoleCreateParams, "new role", {"role": _scalar(_text)})
_USER_CREATE = _spec(UserCreateParams, "user", {"external_id": _scalar(_text), "role": _scalar(_text)})
_EXTERNAL_ACCOUNT_CREATE = _spec(
    ExternalAccountCreateParams, "external account", {"external_id": _scalar(_text), "name": _scalar(_text)}
)

_ALLOCATION_USER = _spec(
    AllocationUser,
    "allocation user",
    {"id": _scalar(_text), "external_id": _scalar(_text)},
    _exactly_one("id", "external_id"),
)
_ALLOCATION_FIELDS = {
    "amount": _scalar(_amount),
    "invoice_id": _scalar(_text),
    "type": _scalar(_ALLOCATION_TYPE),
    "user": _nested(_model(_ALLOCATION_USER)),
}
_TRANSACTION_CREATE = _spec(
    TransactionCreateParams,
    "transaction",
    {
        "account": _nested(
            _model(_spec(Account, "account", {"id": _scalar(_text), "external_id": _scalar(_text)}, _account_named))
        ),
        # Empty is allowed: it records the funds as unreconciled.
        "allocations": _nested(
            _list_of(_spec(Allocation, "allocation", _ALLOCATION_FIELDS), "allocation", non_empty=False)
        ),
        "amount": _scalar(_signed_amount),
        "currency": _scalar(_currency),
        "external_id": _scalar(_text),
        "posted": _scalar(_timestamp),
    },
)
_TRANSACTION_LIST = _spec(
    TransactionListParams,
    "transaction filter",
    {
        "account": _scalar(_text),
        "reconciliation_status": _scalar(_choice(("reconciled", "unreconciled"), "a reconciliation status")),
    },
)
_ALLOCATION_OPS = [
    _spec(variants_by_op(AllocationUpdate)["add"], "allocation to add", {"op": _OPS["add"], **_ALLOCATION_FIELDS}),
    _spec(
        variants_by_op(AllocationUpdate)["delete"], "allocation to delete", {"op": _OPS["delete"], "id": _scalar(_text)}
    ),
]
_CREATE_ALLOCATIONS = _versioned_update(
    TransactionCreateAllocationsParams,
    "allocation update",
    "allocation_updates",
    AllocationUpdate,
    _ALLOCATION_OPS,
    "allocation operation",
)

_SPECS: Mapping[type, _Spec] = {
    spec.cls: spec
    for spec in (
        _INVOICE_CREATE,
        _INVOICE_UPDATE,
        _PRODUCT_CREATE,
        _ROLE_CREATE,
        _USER_CREATE,
        _EXTERNAL_ACCOUNT_CREATE,
        _TRANSACTION_CREATE,
        _TRANSACTION_LIST,
        _CREATE_ALLOCATIONS,
    )
}
"""The spec of every params model an operation sends."""
