"""The models: the official names and module paths, frozen values, open enums in answers, None as "not sent"."""

from __future__ import annotations

import importlib
import json
import types
import typing
from datetime import UTC, datetime
from typing import Any, Literal

import attrs
import pytest

import fragment.types
from fragment.types import (
    AllocationAddOp,
    AllocationDeleteOp,
    Invoice,
    LineItemAddOp,
    LineItemDeleteOp,
    LineItemUpdateOp,
    Role,
    RoleRef,
    Transaction,
)
from fragment.types.transaction import Account, Allocation, AllocationUser

OPERATIONS = [
    "Invoice{Create,Retrieve,Update,List,ListHistory}",
    "Product{Create,Retrieve,List}",
    "Role{Create,List}",
    "User{Create,List}",
    "ExternalAccount{Create,List}",
    "Transaction{Create,Retrieve,List,CreateAllocations}",
]
RESPONSES = [
    f"{resource}{verb}Response"
    for spec in OPERATIONS
    for resource, verbs in [spec.rstrip("}").split("{")]
    for verb in verbs.split(",")
]
PARAMS = [
    "InvoiceCreateParams",
    "InvoiceUpdateParams",
    "ProductCreateParams",
    "RoleCreateParams",
    "UserCreateParams",
    "ExternalAccountCreateParams",
    "TransactionCreateParams",
    "TransactionListParams",
    "TransactionCreateAllocationsParams",
]
SHARED_MODELS = ["Invoice", "Product", "Role", "User", "ExternalAccount", "Transaction"]


def module_of(class_name: str) -> str:
    """``TransactionCreateAllocationsParams`` -> ``transaction_create_allocations_params`` (the official layout)."""
    snake = "".join(f"_{char.lower()}" if char.isupper() else char for char in class_name)
    return snake.lstrip("_")


def attrs_classes_reachable_from(cls: type) -> set[type]:
    """``cls`` and every attrs class its fields hold, at any depth."""
    found: set[type] = set()
    pending = [cls]
    while pending:
        current = pending.pop()
        if current in found or not attrs.has(current):
            continue
        found.add(current)
        for hint in typing.get_type_hints(current).values():
            pending.extend(arg for arg in _flatten(hint) if isinstance(arg, type))
    return found


def _flatten(hint: Any) -> list[Any]:
    args = typing.get_args(hint)
    return [hint, *(item for arg in args for item in _flatten(arg))]


def field_hints(classes: set[type]) -> list[Any]:
    return [
        pytest.param(cls, name, hint, id=f"{cls.__module__.rsplit('.', 1)[-1]}.{cls.__name__}.{name}")
        for cls in sorted(classes, key=lambda c: (c.__module__, c.__name__))
        for name, hint in typing.get_type_hints(cls).items()
        if name in attrs.fields_dict(cls)
    ]


RESPONSE_CLASSES = set().union(*(attrs_classes_reachable_from(getattr(fragment.types, name)) for name in RESPONSES))
PARAMS_CLASSES = set().union(*(attrs_classes_reachable_from(getattr(fragment.types, name)) for name in PARAMS))


def test_there_is_a_response_class_per_operation() -> None:
    assert len(RESPONSES) == 18


@pytest.mark.parametrize("name", RESPONSES + PARAMS + SHARED_MODELS)
def test_every_official_class_is_exported_and_lives_in_its_official_module(name: str) -> None:
    exported = getattr(fragment.types, name)

    assert name in fragment.types.__all__
    assert getattr(importlib.import_module(f"fragment.types.{module_of(name)}"), name) is exported


def test_the_names_of_0_1_still_import() -> None:
    from fragment.types import (
        Data,
        DataLineItem,
        InvoiceCreateParams,
        InvoiceCreateResponse,
        LineItem,
        invoice,
        invoice_create_params,
        invoice_create_response,
    )

    assert (Data, invoice_create_response.Data) == (Invoice, Invoice)
    assert DataLineItem is invoice_create_response.DataLineItem is invoice.LineItem
    assert LineItem is invoice_create_params.LineItem
    assert typing.get_type_hints(InvoiceCreateResponse)["data"] is Invoice
    assert attrs.has(InvoiceCreateParams)


@pytest.mark.parametrize("module", ["invoice_retrieve_response", "invoice_list_history_response"])
def test_the_data_of_retrieve_and_history_subclasses_invoice(module: str) -> None:
    data = importlib.import_module(f"fragment.types.{module}").Data

    assert issubclass(data, Invoice)
    assert data is not Invoice


def test_the_official_nested_names_import_from_their_modules() -> None:
    from fragment.types.invoice_list_history_response import (
        DataDiffAddDiffEntry,
        DataDiffDeleteDiffEntry,
        DataDiffUpdateDiffEntry,
    )
    from fragment.types.product import PaidByRole, PaidToRole
    from fragment.types.transaction_create_params import Account as AccountRef
    from fragment.types.transaction_create_params import Allocation as NewAllocation

    assert all(
        attrs.has(cls)
        for cls in (
            DataDiffAddDiffEntry,
            DataDiffUpdateDiffEntry,
            DataDiffDeleteDiffEntry,
            PaidByRole,
            PaidToRole,
            AccountRef,
            NewAllocation,
        )
    )


def test_models_are_frozen() -> None:
    role = Role(id="role_1", role="buyer")

    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        role.role = "seller"  # type: ignore[misc]


def test_an_allocation_keeps_an_optional_id() -> None:
    allocation = Allocation(amount="1", invoice_id="inv", type="invoice_payin", user=AllocationUser(id="u"))

    assert allocation.id is None
    assert attrs.evolve(allocation, id="alloc_1").id == "alloc_1"


@pytest.mark.parametrize(
    ("operation", "op"),
    [
        (
            LineItemAddOp(amount="1", currency_code="USD", description="d", product_id="p", type="payin", user_id="u"),
            "add",
        ),
        (LineItemUpdateOp(id="li_1", amount="2"), "update"),
        (LineItemDeleteOp(id="li_1"), "delete"),
        (AllocationAddOp(amount="1", invoice_id="inv", type="invoice_payout", user=AllocationUser(id="u")), "add"),
        (AllocationDeleteOp(id="alloc_1"), "delete"),
    ],
)
def test_an_operation_knows_its_op(operation: Any, op: str) -> None:
    assert operation.op == op


def test_operations_take_keyword_arguments_only() -> None:
    with pytest.raises(TypeError):
        LineItemDeleteOp("li_1")  # type: ignore[misc]


@pytest.mark.parametrize(("cls", "name", "hint"), field_hints(RESPONSE_CLASSES))
def test_every_enum_of_an_answer_is_open(cls: type, name: str, hint: Any) -> None:
    members = _flatten(hint)

    if any(typing.get_origin(member) is Literal for member in members):
        assert str in members, f"{cls.__name__}.{name} is a closed enum: a new server value would break reading"


@pytest.mark.parametrize(("cls", "name", "hint"), field_hints(PARAMS_CLASSES))
def test_every_optional_params_field_defaults_to_none(cls: type, name: str, hint: Any) -> None:
    optional = type(None) in typing.get_args(hint)
    default = attrs.fields_dict(cls)[name].default

    assert (default is None) == optional


def test_the_classes_walked_above_include_the_nested_ones() -> None:
    assert {Account, Allocation, AllocationUser, Transaction} <= RESPONSE_CLASSES
    assert {RoleRef, AllocationUser, LineItemAddOp, AllocationDeleteOp} <= PARAMS_CLASSES


def test_a_model_exports_itself_as_json() -> None:
    transaction = Transaction(
        id="txn_1",
        account=Account(id="ext_account_1", external_id="bank_acct_1"),
        allocations=[],
        amount="-5",
        created=datetime(2026, 2, 12, tzinfo=UTC),
        currency="USD",
        external_id="bank_txn_1",
        posted=datetime(2026, 2, 12, tzinfo=UTC),
        unallocated_amount="-5",
        version=1,
    )

    exported = json.loads(transaction.to_json())

    assert exported["posted"] == "2026-02-12T00:00:00+00:00"
    assert exported["version"] == 1
    assert "modified" not in exported
    assert transaction.to_dict(use_api_names=False) == exported


def test_union_aliases_are_unions_of_the_operations() -> None:
    assert set(typing.get_args(fragment.types.LineItemsUpdate)) == {LineItemAddOp, LineItemUpdateOp, LineItemDeleteOp}
    assert set(typing.get_args(fragment.types.AllocationUpdate)) == {AllocationAddOp, AllocationDeleteOp}
    assert isinstance(fragment.types.LineItemsUpdate, types.UnionType)
