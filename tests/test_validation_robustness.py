"""Whatever it is given, the validator raises ValidationError and nothing else, with a sendable message."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta, tzinfo
from typing import Any

import attrs
import pytest
from seed import ALLOCATION, SEED_LINE_ITEM, TRANSACTION

from fragment import ValidationError, _json
from fragment._validation import validate
from fragment._wire import to_wire
from fragment.types import (
    ExternalAccountCreateParams,
    InvoiceCreateParams,
    InvoiceUpdateParams,
    ProductCreateParams,
    RoleCreateParams,
    TransactionCreateAllocationsParams,
    TransactionCreateParams,
    TransactionListParams,
    UserCreateParams,
)

GOOD: dict[type, dict[str, Any]] = {
    InvoiceCreateParams: {"invoice_id": "inv_1", "line_items": [SEED_LINE_ITEM]},
    InvoiceUpdateParams: {"line_items_update": [{"op": "update", "id": "li_1", "amount": "1"}], "version": 1},
    ProductCreateParams: {"code": "c", "description": "d", "paid_by_roles": [{"name": "buyer"}]},
    RoleCreateParams: {"role": "buyer"},
    UserCreateParams: {"external_id": "u", "role": "buyer"},
    ExternalAccountCreateParams: {"external_id": "a", "name": "n"},
    TransactionCreateParams: TRANSACTION,
    TransactionListParams: {"account": "a", "reconciliation_status": "reconciled"},
    TransactionCreateAllocationsParams: {"allocation_updates": [{"op": "add", **ALLOCATION}], "version": 1},
}
"""One well-formed request per params model."""


class Boom(Exception):
    """What the odd objects below raise."""


class RaisingEq:
    """Compares and hashes by raising."""

    def __eq__(self, other: object) -> bool:
        raise Boom("eq")

    def __hash__(self) -> int:
        raise Boom("hash")


class RaisingRepr:
    def __repr__(self) -> str:
        raise Boom("repr")


class RecursingRepr:
    def __repr__(self) -> str:
        return repr(self)


class OddStr(str):
    """A str whose methods lie; the validator must read it as the plain text it holds."""

    def strip(self, chars: str | None = None) -> str:
        raise Boom("strip")

    def __eq__(self, other: object) -> bool:
        raise Boom("eq")

    def __hash__(self) -> int:
        raise Boom("hash")


class OddInt(int):
    def __lt__(self, other: object) -> bool:
        raise Boom("lt")

    def __index__(self) -> int:
        raise Boom("index")


class FailingMapping(Mapping[str, Any]):
    """A mapping that fails when its items are read."""

    def __getitem__(self, key: str) -> Any:
        raise Boom("getitem")

    def __iter__(self) -> Iterator[str]:
        raise Boom("iter")

    def __len__(self) -> int:
        return 1


class BrokenZone(tzinfo):
    def utcoffset(self, dt: datetime | None) -> timedelta:
        raise Boom("utcoffset")


def failing_midway(*items: Any) -> Iterator[Any]:
    yield from items
    raise Boom("midway")


def nested_list(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def self_containing() -> list[Any]:
    value: list[Any] = []
    value.append(value)
    return value


class CollidingKey:
    """A key that hashes like a field's name and fails to compare: a lookup of that field meets it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __hash__(self) -> int:
        return hash(self.name)

    def __eq__(self, other: object) -> bool:
        raise Boom("eq")


DEEPLY_NESTED = nested_list(100_000)  # built once: it takes a while, and the validator only reads it
# Factories, so that each test gets a fresh value (an iterator is used up by its first reader).
ODD_VALUES = [
    pytest.param(lambda: 10**5000, id="huge-int"),
    pytest.param(lambda: -(10**5000), id="huge-negative-int"),
    pytest.param(lambda: OddInt(3), id="int-subclass"),
    pytest.param(lambda: float("nan"), id="nan"),
    pytest.param(lambda: float("inf"), id="inf"),
    pytest.param(RaisingEq, id="raising-eq-hash"),
    pytest.param(RaisingRepr, id="raising-repr"),
    pytest.param(RecursingRepr, id="recursing-repr"),
    pytest.param(lambda: OddStr("payin"), id="str-subclass"),
    pytest.param(lambda: "\ud800", id="lone-surrogate"),
    pytest.param(lambda: "x" * 1_000_000, id="a-megabyte-string"),
    pytest.param(lambda: b"\xff", id="bytes"),
    pytest.param(lambda: bytearray(b"1"), id="bytearray"),
    pytest.param(lambda: memoryview(b"1"), id="memoryview"),
    pytest.param(object, id="object"),
    pytest.param(lambda: object, id="a-class"),
    pytest.param(FailingMapping, id="failing-mapping"),
    pytest.param(lambda: failing_midway({"op": "delete", "id": "x"}, ALLOCATION), id="iterator-failing-midway"),
    pytest.param(lambda: DEEPLY_NESTED, id="deeply-nested-list"),
    pytest.param(self_containing, id="self-containing-list"),
    pytest.param(lambda: {1: 2, (3,): 4}, id="non-str-keys"),
    pytest.param(
        lambda: {CollidingKey(name): 1 for name in ("op", "id", "amount", "role", "user", "account")},
        id="keys-colliding-with-field-names",
    ),
    pytest.param(lambda: {"op": RaisingEq()}, id="mapping-with-odd-op"),
    pytest.param(lambda: datetime(2026, 1, 1, tzinfo=BrokenZone()), id="datetime-broken-zone"),
    pytest.param(lambda: {1, 2}, id="set"),
    pytest.param(lambda: iter([]), id="empty-iterator"),
    pytest.param(lambda: True, id="bool"),
    pytest.param(lambda: -1, id="negative-int"),
    pytest.param(lambda: "", id="empty-str"),
]


def assert_sendable(error: ValidationError) -> None:
    """The message and every path can be encoded as UTF-8 JSON, and stay reasonably short."""
    str(error).encode("utf-8")
    for problem in error.errors:
        problem.path.encode("utf-8")
        problem.message.encode("utf-8")
        assert len(problem.message) < 1000


def fields_with(params_cls: type, path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    """A copy of the good request of ``params_cls`` with the value at ``path`` replaced."""
    fields: Any = _copy(GOOD[params_cls])
    target = fields
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    result: dict[str, Any] = fields
    return result


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def leaf_paths(value: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Every place in a request where a value can be replaced, containers included."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from leaf_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*prefix, index)
            yield from leaf_paths(item, (*prefix, index))


PLACES = [
    pytest.param(params_cls, path, id=f"{params_cls.__name__}:{'.'.join(map(str, path))}")
    for params_cls, good in GOOD.items()
    for path in leaf_paths(good)
]


@pytest.mark.parametrize("make_value", ODD_VALUES)
@pytest.mark.parametrize(("params_cls", "path"), PLACES)
@pytest.mark.parametrize("int_amounts", [True, False], ids=["python", "wire"])
def test_any_value_anywhere_gives_a_valid_request_or_a_validation_error(
    params_cls: type, path: tuple[str | int, ...], make_value: Callable[[], Any], int_amounts: bool
) -> None:
    fields = fields_with(params_cls, path, make_value())

    try:
        params = validate(params_cls, fields, int_amounts=int_amounts)
    except ValidationError as error:
        assert_sendable(error)
    else:
        _json.dumps(to_wire(params))  # what passed can be sent


@pytest.mark.parametrize("make_value", ODD_VALUES)
@pytest.mark.parametrize("params_cls", list(GOOD))
def test_any_value_as_the_fields_gives_a_validation_error(params_cls: type, make_value: Callable[[], Any]) -> None:
    with pytest.raises(ValidationError) as caught:
        validate(params_cls, make_value())

    assert_sendable(caught.value)


def test_a_huge_int_amount_is_refused_without_printing_it() -> None:
    fields = {"invoice_id": "inv_1", "line_items": [{**SEED_LINE_ITEM, "amount": 10**5000}]}

    with pytest.raises(ValidationError) as caught:
        validate(InvoiceCreateParams, fields)

    assert str(caught.value) == "line_items[0].amount: <an int of about 5001 digits> is too large: at most 64 digits"


def test_a_lone_surrogate_in_text_is_refused_as_unsendable() -> None:
    with pytest.raises(ValidationError) as caught:
        validate(RoleCreateParams, {"role": "buyer\ud800"})

    assert str(caught.value) == "role: 'buyer\\ud800' contains a lone surrogate, which cannot be sent as UTF-8 JSON"


def test_a_lone_surrogate_in_an_unchecked_currency_is_refused_too() -> None:
    fields = fields_with(TransactionCreateParams, ("currency",), "US\udfffD")

    with pytest.raises(ValidationError, match=r"^currency: .* contains a lone surrogate"):
        validate(TransactionCreateParams, fields, check_currency_codes=False)


def test_non_ascii_text_is_fine() -> None:
    assert validate(RoleCreateParams, {"role": "Käufer 買い手 🛒"}).role == "Käufer 買い手 🛒"


def test_an_iterable_that_fails_midway_is_a_problem_of_its_field() -> None:
    fields = {"invoice_id": "inv_1", "line_items": failing_midway(SEED_LINE_ITEM)}

    with pytest.raises(ValidationError) as caught:
        validate(InvoiceCreateParams, fields)

    assert str(caught.value).startswith("line_items: could not be read (generator ")
    assert str(caught.value).endswith("raised Boom: midway)")


def test_a_mapping_that_fails_is_a_problem_at_its_place() -> None:
    fields = fields_with(TransactionCreateParams, ("allocations", 0, "user"), FailingMapping())

    with pytest.raises(ValidationError) as caught:
        validate(TransactionCreateParams, fields)

    assert caught.value.path == "allocations[0].user"
    assert "raised Boom" in str(caught.value)


def test_a_str_subclass_is_read_as_the_text_it_holds() -> None:
    fields = {"invoice_id": OddStr("inv_1"), "line_items": [{**SEED_LINE_ITEM, "type": OddStr("payin")}]}

    params = validate(InvoiceCreateParams, fields)

    assert type(params.invoice_id) is str
    assert type(params.line_items[0].type) is str
    assert to_wire(params)["invoiceId"] == "inv_1"


def test_an_int_subclass_is_read_as_its_value_even_if_its_methods_lie() -> None:
    params = validate(InvoiceUpdateParams, {"line_items_update": [{"op": "delete", "id": "l"}], "version": OddInt(4)})

    assert params.version == 4
    assert type(params.version) is int


def test_a_key_of_another_type_is_an_unknown_field_named_by_its_type() -> None:
    with pytest.raises(ValidationError) as caught:
        validate(RoleCreateParams, {"role": "buyer", 7: "x"})

    assert str(caught.value) == "<int key>: unknown field; keys must be strings, got int"


def test_a_very_long_unknown_key_is_shortened_in_the_path() -> None:
    with pytest.raises(ValidationError) as caught:
        validate(RoleCreateParams, {"role": "buyer", "k" * 10_000: 1})

    assert caught.value.path == "k" * 100 + "..."


@pytest.mark.parametrize("count", [0, 1, 5])
def test_every_item_of_a_long_bad_list_is_reported(count: int) -> None:
    items = [{**SEED_LINE_ITEM, "amount": "x"} for _ in range(count)] + [SEED_LINE_ITEM]

    with pytest.raises(ValidationError) as caught:
        validate(InvoiceCreateParams, {"invoice_id": "", "line_items": items})

    assert [problem.path for problem in caught.value.errors] == [
        "invoice_id",
        *(f"line_items[{index}].amount" for index in range(count)),
    ]


def test_the_good_requests_used_above_are_valid() -> None:
    for params_cls, fields in GOOD.items():
        assert attrs.has(type(validate(params_cls, fields)))
    assert len(list(itertools.chain.from_iterable(leaf_paths(fields) for fields in GOOD.values()))) > 40
