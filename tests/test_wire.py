"""The wire mapping: exact keys out, lenient reading in, strict renaming of wire bodies, drift checks."""

from __future__ import annotations

import importlib
import inspect
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import cattrs
import pytest
from seed import ALLOCATION, SAMPLES, SEED_LINE_ITEM, TRANSACTION

from fragment import AsyncFragment, ValidationError
from fragment._operation import Resource
from fragment._validation import validate, validate_invoice
from fragment._wire import WIRE_NAMES, from_wire, make_wire_converter, model_to_dict, params_from_wire, to_wire
from fragment.resources.external_accounts import ExternalAccounts
from fragment.resources.invoices import Invoices
from fragment.resources.products import Products
from fragment.resources.roles import Roles
from fragment.resources.transactions import Transactions
from fragment.resources.users import Users
from fragment.types import (
    AllocationAddOp,
    AllocationDeleteOp,
    AllocationUser,
    Data,
    DataDiffAddDiffEntry,
    DataDiffDeleteDiffEntry,
    DataDiffUpdateDiffEntry,
    DataLineItem,
    ExternalAccountCreateParams,
    Invoice,
    InvoiceCreateParams,
    InvoiceCreateResponse,
    InvoiceListHistoryResponse,
    InvoiceRetrieveResponse,
    InvoiceUpdateParams,
    LineItem,
    LineItemAddOp,
    LineItemDeleteOp,
    LineItemUpdateOp,
    Product,
    ProductCreateParams,
    RoleCreateParams,
    RoleRef,
    TransactionCreateAllocationsParams,
    TransactionCreateParams,
    TransactionListParams,
    TransactionRetrieveResponse,
    User,
    UserCreateParams,
)
from fragment.types import invoice as invoice_types
from fragment.types.transaction_create_params import Account, Allocation

RESPONSE_SAMPLES = sorted(SAMPLES.glob("*_response*.json"))

WIRE_LINE_ITEM_KEYS = ["amount", "currencyCode", "description", "product_id", "type", "user_id"]
INVOICE_UPDATE: dict[str, Any] = json.loads((SAMPLES / "invoice_update_request.json").read_bytes())


def load(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())


def answer(**data_changes: Any) -> dict[str, Any]:
    """A minimal valid create answer with some ``data`` keys changed (None values are kept as null)."""
    data: dict[str, Any] = {
        "id": "inv_1",
        "created": "2026-01-15T10:30:00Z",
        "status": "active",
        "version": 1,
        "workspaceId": "ws_1",
    }
    data.update(data_changes)
    return {"data": data}


def wire_line_item(**changes: Any) -> dict[str, Any]:
    line_item = {
        "id": "li_1",
        "amount": "1000",
        "currencyCode": "USD",
        "description": "Seat",
        "product_id": "prod_1",
        "type": "payin",
        "user_id": "user_1",
    }
    line_item.update(changes)
    return line_item


def transaction_sample(**changes: Any) -> dict[str, Any]:
    body = load("transaction_retrieve_response.json")
    body["data"].update(changes)
    return body


def response_class(sample: Path) -> type:
    """The class a sample is an answer of: ``transaction_list_response.json`` -> ``TransactionListResponse``."""
    module_name = sample.stem.split("_response")[0] + "_response"
    class_name = "".join(part.title() for part in module_name.split("_"))
    cls: type = getattr(importlib.import_module(f"fragment.types.{module_name}"), class_name)
    return cls


# --- every operation's declaration: method, path, params and response models -------------------

T = importlib.import_module("fragment.types")
# (resource, method, HTTP method, path template, body model, query model, response model, version-guarded)
DECLARATIONS = [
    (Invoices, "create", "POST", "/invoices", T.InvoiceCreateParams, None, T.InvoiceCreateResponse, False),
    (Invoices, "retrieve", "GET", "/invoices/{id}", None, None, T.InvoiceRetrieveResponse, False),
    (Invoices, "update", "POST", "/invoices/{id}", T.InvoiceUpdateParams, None, T.InvoiceUpdateResponse, True),
    (Invoices, "list", "GET", "/invoices", None, None, T.InvoiceListResponse, False),
    (Invoices, "list_history", "GET", "/invoices/{id}/history", None, None, T.InvoiceListHistoryResponse, False),
    (Products, "create", "POST", "/products", T.ProductCreateParams, None, T.ProductCreateResponse, False),
    (Products, "retrieve", "GET", "/products/{code}", None, None, T.ProductRetrieveResponse, False),
    (Products, "list", "GET", "/products", None, None, T.ProductListResponse, False),
    (Roles, "create", "POST", "/roles", T.RoleCreateParams, None, T.RoleCreateResponse, False),
    (Roles, "list", "GET", "/roles", None, None, T.RoleListResponse, False),
    (Users, "create", "POST", "/users", T.UserCreateParams, None, T.UserCreateResponse, False),
    (Users, "list", "GET", "/users", None, None, T.UserListResponse, False),
    (
        ExternalAccounts,
        "create",
        "POST",
        "/external-accounts",
        T.ExternalAccountCreateParams,
        None,
        T.ExternalAccountCreateResponse,
        False,
    ),
    (ExternalAccounts, "list", "GET", "/external-accounts", None, None, T.ExternalAccountListResponse, False),
    (
        Transactions,
        "create",
        "POST",
        "/transactions",
        T.TransactionCreateParams,
        None,
        T.TransactionCreateResponse,
        False,
    ),
    (Transactions, "retrieve", "GET", "/transactions/{id}", None, None, T.TransactionRetrieveResponse, False),
    (Transactions, "list", "GET", "/transactions", None, T.TransactionListParams, T.TransactionListResponse, False),
    (
        Transactions,
        "create_allocations",
        "POST",
        "/transactions/{id}/allocations",
        T.TransactionCreateAllocationsParams,
        None,
        T.TransactionCreateAllocationsResponse,
        True,
    ),
]
DECLARATION_IDS = [f"{resource.__name__}.{method}" for resource, method, *_ in DECLARATIONS]


def test_there_are_18_operations_over_6_resources() -> None:
    assert len(DECLARATIONS) == 18
    assert len({resource for resource, *_ in DECLARATIONS}) == 6


@pytest.mark.parametrize(
    ("resource", "method", "verb", "path", "body", "query", "response", "version_guarded"),
    DECLARATIONS,
    ids=DECLARATION_IDS,
)
def test_each_operation_is_declared_as_the_api_has_it(
    resource: type[Resource[Any]],
    method: str,
    verb: str,
    path: str,
    body: type | None,
    query: type | None,
    response: type,
    version_guarded: bool,
) -> None:
    operation = getattr(resource, method).operation

    assert (operation.method, operation.path) == (verb, path)
    assert (operation.body, operation.query, operation.response) == (body, query, response)
    assert operation.version_guarded is version_guarded


@pytest.mark.parametrize(
    ("resource", "method"), [(resource, method) for resource, method, *_ in DECLARATIONS], ids=DECLARATION_IDS
)
async def test_each_operation_takes_its_path_values_then_exactly_its_params_fields(
    client: AsyncFragment, resource: type[Resource[Any]], method: str
) -> None:
    operation = getattr(resource, method).operation
    params_cls = operation.body or operation.query
    parameters = inspect.signature(getattr(resource(client), method)).parameters.values()

    positional = [p.name for p in parameters if p.kind is inspect.Parameter.POSITIONAL_ONLY]
    keywords = [p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY]

    assert tuple(positional) == operation.path_params
    assert keywords == ([a.name for a in attrs.fields(params_cls)] if params_cls else [])


# --- every operation's request, as fragment-py 0.6.0 sent it (API.md section D) --------------------

# id of the case -> (params model, the arguments of the call, the body or query recorded from the official client)
RECORDED: dict[str, tuple[type, dict[str, Any], str]] = {
    "invoices.create": (
        InvoiceCreateParams,
        {"invoice_id": "invoice_2024_001", "line_items": [SEED_LINE_ITEM]},
        '{"invoiceId":"invoice_2024_001","lineItems":[{"type":"payout","product_id":"prod_1234567890","amount":"1000",'
        '"currencyCode":"USD","description":"Professional services for January 2026","user_id":"user_ext_456"}]}',
    ),
    "invoices.update": (InvoiceUpdateParams, INVOICE_UPDATE, (SAMPLES / "invoice_update_request.json").read_text()),
    "invoices.update-async-recording": (
        InvoiceUpdateParams,
        {"line_items_update": [LineItemUpdateOp(id="li_1", amount="1")], "version": 1},
        '{"line_items_update":[{"op":"update","id":"li_1","amount":"1"}],"version":1}',
    ),
    "products.create": (
        ProductCreateParams,
        {
            "code": "consulting",
            "description": "Consulting hours",
            "paid_by_roles": [{"id": "r_1"}],
            "paid_to_roles": [{"name": "seller"}],
        },
        '{"code":"consulting","description":"Consulting hours","paid_by_roles":[{"id":"r_1"}],'
        '"paid_to_roles":[{"name":"seller"}]}',
    ),
    "products.create-one-list": (
        ProductCreateParams,
        {"code": "x", "description": "y", "paid_by_roles": [RoleRef(name="buyer")]},
        '{"code":"x","description":"y","paid_by_roles":[{"name":"buyer"}]}',
    ),
    "roles.create": (RoleCreateParams, {"role": "buyer"}, '{"role":"buyer"}'),
    "users.create": (
        UserCreateParams,
        {"external_id": "user_ext_456", "role": "buyer"},
        '{"externalId":"user_ext_456","role":"buyer"}',
    ),
    "external_accounts.create": (
        ExternalAccountCreateParams,
        {"external_id": "bank_acct_1", "name": "Operating account"},
        '{"external_id":"bank_acct_1","name":"Operating account"}',
    ),
    "transactions.create": (
        TransactionCreateParams,
        TRANSACTION,
        '{"account":{"id":"ext_account_1","external_id":"bank_acct_1"},"allocations":[{"amount":"1000",'
        '"invoice_id":"inv_abc123","type":"invoice_payin","user":{"id":"user_abc123"}}],"amount":"-1000",'
        '"currency":"USD","external_id":"bank_txn_123","posted":"2026-02-12T00:00:00+00:00"}',
    ),
    "transactions.create-posted-str-no-allocations": (
        TransactionCreateParams,
        {
            "account": Account(external_id="bank_acct_1"),
            "allocations": [],
            "amount": "250",
            "currency": "USDG",
            "external_id": "bank_txn_124",
            "posted": "2026-02-12T10:20:30Z",
        },
        '{"account":{"external_id":"bank_acct_1"},"allocations":[],"amount":"250","currency":"USDG",'
        '"external_id":"bank_txn_124","posted":"2026-02-12T10:20:30Z"}',
    ),
    "transactions.create-posted-offset-microseconds": (
        TransactionCreateParams,
        {
            "account": {"id": "ext_account_1"},
            "allocations": [
                Allocation(
                    amount="1000",
                    invoice_id="inv_abc123",
                    type="invoice_payin",
                    user=AllocationUser(external_id="user_ext_456"),
                )
            ],
            "amount": 1,
            "currency": "EURC",
            "external_id": "bank_txn_125",
            "posted": datetime(2026, 2, 12, 1, 2, 3, 456789, tzinfo=timezone(timedelta(hours=-5))),
        },
        '{"account":{"id":"ext_account_1"},"allocations":[{"amount":"1000","invoice_id":"inv_abc123",'
        '"type":"invoice_payin","user":{"external_id":"user_ext_456"}}],"amount":"1","currency":"EURC",'
        '"external_id":"bank_txn_125","posted":"2026-02-12T01:02:03.456789-05:00"}',
    ),
    "transactions.create-retried": (
        TransactionCreateParams,
        {
            "account": {"id": "ext_account_1"},
            "allocations": [],
            "amount": "1",
            "currency": "USD",
            "external_id": "bank_txn_retry",
            "posted": "2026-02-12T00:00:00Z",
        },
        '{"account":{"id":"ext_account_1"},"allocations":[],"amount":"1","currency":"USD",'
        '"external_id":"bank_txn_retry","posted":"2026-02-12T00:00:00Z"}',
    ),
    "transactions.list-both-filters": (
        TransactionListParams,
        {"account": "ext_account_1", "reconciliation_status": "unreconciled"},
        '{"account":"ext_account_1","reconciliation_status":"unreconciled"}',
    ),
    "transactions.list-account": (TransactionListParams, {"account": "bank_acct_1"}, '{"account":"bank_acct_1"}'),
    "transactions.list-status": (
        TransactionListParams,
        {"reconciliation_status": "reconciled"},
        '{"reconciliation_status":"reconciled"}',
    ),
    "transactions.list-no-filter": (TransactionListParams, {}, "{}"),
    "transactions.create_allocations": (
        TransactionCreateAllocationsParams,
        {
            "allocation_updates": [
                {"op": "add", **ALLOCATION},
                AllocationAddOp(
                    amount="5",
                    invoice_id="inv_abc123",
                    type="invoice_payout",
                    user=AllocationUser(external_id="user_ext_456"),
                ),
                AllocationDeleteOp(id="alloc_1"),
            ],
            "version": 1,
        },
        '{"allocation_updates":[{"op":"add","amount":"1000","invoice_id":"inv_abc123","type":"invoice_payin",'
        '"user":{"id":"user_abc123"}},{"op":"add","amount":"5","invoice_id":"inv_abc123","type":"invoice_payout",'
        '"user":{"external_id":"user_ext_456"}},{"op":"delete","id":"alloc_1"}],"version":1}',
    ),
}
RECORDED_REQUESTS = [pytest.param(*case, id=name) for name, case in RECORDED.items()]


@pytest.mark.parametrize(("params_cls", "arguments", "recorded"), RECORDED_REQUESTS)
def test_the_request_is_what_the_official_client_sent(
    params_cls: type, arguments: dict[str, Any], recorded: str
) -> None:
    sent = to_wire(validate(params_cls, arguments))

    assert sent == json.loads(recorded)


@pytest.mark.parametrize(("params_cls", "arguments", "recorded"), RECORDED_REQUESTS)
def test_the_request_goes_out_as_json_ready_builtins(
    params_cls: type, arguments: dict[str, Any], recorded: str
) -> None:
    sent = to_wire(validate(params_cls, arguments))

    assert json.loads(json.dumps(sent)) == sent


@pytest.mark.parametrize(("params_cls", "arguments", "recorded"), RECORDED_REQUESTS)
def test_the_strict_converter_reads_every_recorded_request_back(
    params_cls: type, arguments: dict[str, Any], recorded: str
) -> None:
    strict = make_wire_converter(forbid_extra_keys=True)

    params = strict.structure(json.loads(recorded), params_cls)

    assert to_wire(params) == json.loads(recorded)


@pytest.mark.parametrize(("params_cls", "arguments", "recorded"), RECORDED_REQUESTS)
def test_the_emulator_reads_every_recorded_request_to_the_same_params(
    params_cls: type, arguments: dict[str, Any], recorded: str
) -> None:
    python_names = params_from_wire(params_cls, json.loads(recorded))

    params = validate(params_cls, python_names, int_amounts=False)

    assert to_wire(params) == to_wire(validate(params_cls, arguments))


def test_the_seed_example_goes_out_with_the_exact_wire_keys_in_order() -> None:
    params = InvoiceCreateParams(invoice_id="invoice_2024_001", line_items=[LineItem(**SEED_LINE_ITEM)])

    body = to_wire(params)

    assert body == load("invoice_create_request.json")
    assert list(body) == ["invoiceId", "lineItems"]
    assert list(body["lineItems"][0]) == WIRE_LINE_ITEM_KEYS


def test_an_operation_goes_out_with_its_op_first() -> None:
    body = to_wire(LineItemDeleteOp(id="li_2"))

    assert list(body) == ["op", "id"]


def test_optional_fields_left_as_none_are_not_sent() -> None:
    assert to_wire(ProductCreateParams(code="c", description="d", paid_to_roles=[RoleRef(id="r_1")])) == {
        "code": "c",
        "description": "d",
        "paid_to_roles": [{"id": "r_1"}],
    }


def test_an_empty_list_is_sent_as_an_empty_list() -> None:
    assert (
        to_wire(ProductCreateParams(code="c", description="d", paid_by_roles=[], paid_to_roles=[RoleRef(id="r")]))[
            "paid_by_roles"
        ]
        == []
    )


@pytest.mark.parametrize("version", [2, 2.0])
def test_a_version_goes_out_as_an_int(version: float) -> None:
    body = to_wire(
        validate(InvoiceUpdateParams, {"line_items_update": [{"op": "delete", "id": "li_1"}], "version": version})
    )

    assert body["version"] == 2
    assert type(body["version"]) is int


def test_an_int_amount_goes_out_as_its_digit_string() -> None:
    operation = {"op": "update", "id": "li_1", "amount": 10**30}

    body = to_wire(validate(InvoiceUpdateParams, {"line_items_update": [operation], "version": 1}))

    assert body["line_items_update"][0]["amount"] == "1" + "0" * 30


def test_a_posted_string_goes_out_as_written() -> None:
    params = validate(
        TransactionCreateParams,
        {
            "account": {"id": "a"},
            "allocations": [],
            "amount": "1",
            "currency": "USD",
            "external_id": "x",
            "posted": "2026-02-12t10:20:30.5z",
        },
    )

    assert to_wire(params)["posted"] == "2026-02-12t10:20:30.5z"


def test_the_rename_table_is_exactly_the_documented_one() -> None:
    assert {cls: dict(names) for cls, names in WIRE_NAMES.items()} == {
        InvoiceCreateParams: {"invoice_id": "invoiceId", "line_items": "lineItems"},
        LineItem: {"currency_code": "currencyCode"},
        Invoice: {"workspace_id": "workspaceId", "line_items": "lineItems"},
        invoice_types.LineItem: {"currency_code": "currencyCode"},
        Product: {"update_version": "updateVersion", "workspace_id": "workspaceId"},
        User: {"external_id": "externalId"},
        UserCreateParams: {"external_id": "externalId"},
    }


def test_casing_differs_by_resource_as_the_api_does() -> None:
    user = to_wire(UserCreateParams(external_id="e", role="buyer"))
    account = to_wire(ExternalAccountCreateParams(external_id="e", name="n"))
    create_item = to_wire(LineItem(**SEED_LINE_ITEM))
    add_op = to_wire(LineItemAddOp(**SEED_LINE_ITEM))

    assert "externalId" in user
    assert "external_id" in account
    assert "currencyCode" in create_item
    assert "currency_code" in add_op


def test_subclasses_of_invoice_inherit_its_renames() -> None:
    body = load("invoice_retrieve_response.json")

    again = to_wire(from_wire(InvoiceRetrieveResponse, body))

    assert again["data"]["workspaceId"] == "ws_8f2c1e"
    assert "lineItems" in again["data"]


# --- params_from_wire: the emulator's strict reading of wire bodies ------------------------------


def did_you_mean(key: str) -> str:
    return f"unknown field; did you mean '{key}'?"


# (params model, a wire body, the path of a key the API does not use there, the message about it)
MISNAMED_KEYS = [
    (InvoiceCreateParams, {"invoice_id": "inv_1", "lineItems": []}, "invoice_id", did_you_mean("invoiceId")),
    (InvoiceCreateParams, {"invoiceId": "inv_1", "line_items": []}, "line_items", did_you_mean("lineItems")),
    (
        InvoiceCreateParams,
        {"invoiceId": "inv_1", "lineItems": [{"currency_code": "USD"}]},
        "line_items[0].currency_code",
        did_you_mean("currencyCode"),
    ),
    (
        InvoiceUpdateParams,
        {"line_items_update": [{"op": "delete", "id": "l"}, {"op": "add", "currencyCode": "USD"}], "version": 1},
        "line_items_update[1].currencyCode",
        did_you_mean("currency_code"),
    ),
    (InvoiceUpdateParams, {"lineItemsUpdate": [], "version": 1}, "lineItemsUpdate", did_you_mean("line_items_update")),
    (
        InvoiceUpdateParams,
        {"line_items_update": [{"op": "move", "id": "l", "to": 2}], "version": 1},
        "line_items_update[0].to",
        "unknown field; expected one of amount, currency_code, description, id, op, product_id, type, user_id",
    ),
    (UserCreateParams, {"external_id": "e", "role": "buyer"}, "external_id", did_you_mean("externalId")),
    (ExternalAccountCreateParams, {"externalId": "e", "name": "n"}, "externalId", did_you_mean("external_id")),
    (
        TransactionCreateParams,
        {"account": {"externalId": "a"}, "allocations": [], "currencyCode": "USD"},
        "account.externalId",
        did_you_mean("external_id"),
    ),
    (
        TransactionCreateParams,
        {"account": {"id": "a"}, "allocations": [{"user": {"externalId": "u"}}]},
        "allocations[0].user.externalId",
        did_you_mean("external_id"),
    ),
    (
        TransactionCreateParams,
        {"account": {"id": "a"}, "allocations": [], "currencyCode": "USD"},
        "currencyCode",
        did_you_mean("currency"),
    ),
    (
        TransactionCreateAllocationsParams,
        {"allocation_updates": [{"op": "add", "invoiceId": "i"}], "version": 1},
        "allocation_updates[0].invoiceId",
        did_you_mean("invoice_id"),
    ),
    (
        ProductCreateParams,
        {"code": "c", "description": "d", "paidByRoles": [{"id": "r"}]},
        "paidByRoles",
        did_you_mean("paid_by_roles"),
    ),
    (
        ProductCreateParams,
        {"code": "c", "description": "d", "paid_by_roles": [{"role_id": "r"}]},
        "paid_by_roles[0].role_id",
        "unknown field; expected one of id, name",
    ),
    (
        TransactionListParams,
        {"reconciliationStatus": "reconciled"},
        "reconciliationStatus",
        did_you_mean("reconciliation_status"),
    ),
]


@pytest.mark.parametrize(
    ("params_cls", "body", "path", "message"),
    MISNAMED_KEYS,
    ids=[f"{params_cls.__name__}.{path}" for params_cls, _, path, _ in MISNAMED_KEYS],
)
def test_params_from_wire_refuses_a_key_the_api_does_not_use_there(
    params_cls: type, body: dict[str, Any], path: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        params_from_wire(params_cls, body)

    assert f"{path}: {message}" in [str(problem) for problem in caught.value.errors]


def test_params_from_wire_reports_every_wrong_key_at_once() -> None:
    body = {"invoice_id": "inv_1", "line_items": [], "lineItems": [{"currencyCode": "USD", "userId": "u"}]}

    with pytest.raises(ValidationError) as caught:
        params_from_wire(InvoiceCreateParams, body)

    assert [problem.path for problem in caught.value.errors] == ["invoice_id", "line_items", "line_items[0].userId"]


def test_params_from_wire_renames_to_python_names_and_leaves_values_to_the_validator() -> None:
    body = {"invoiceId": "inv_1", "lineItems": [{"currencyCode": 840, "amount": "1.5"}, "junk"]}

    assert params_from_wire(InvoiceCreateParams, body) == {
        "invoice_id": "inv_1",
        "line_items": [{"currency_code": 840, "amount": "1.5"}, "junk"],
    }


@pytest.mark.parametrize("body", [[], "text", None, 3])
def test_params_from_wire_refuses_a_body_that_is_not_an_object(body: object) -> None:
    with pytest.raises(ValidationError, match=r"^body: expected a JSON object"):
        params_from_wire(InvoiceCreateParams, body)


def test_params_from_wire_shows_an_unprintable_key_escaped() -> None:
    with pytest.raises(ValidationError) as caught:
        params_from_wire(RoleCreateParams, {"role": "r", "x\ud800\n": 1})

    assert caught.value.errors[0].path == "x\\ud800\\n"
    caught.value.errors[0].path.encode("utf-8")


def test_a_wire_body_read_back_with_python_names_validates_to_the_same_params() -> None:
    params = InvoiceCreateParams(invoice_id="inv_1", line_items=[LineItem(**SEED_LINE_ITEM)])

    assert validate_invoice(params_from_wire(InvoiceCreateParams, to_wire(params))) == params


# --- lenient responses ------------------------------------------------------------------------


def test_a_full_answer_is_read_into_models() -> None:
    response = from_wire(InvoiceCreateResponse, load("invoice_create_response.json"))

    assert isinstance(response, InvoiceCreateResponse)
    data = response.data
    assert isinstance(data, Data)
    assert (data.id, data.status, data.version, data.workspace_id) == ("invoice_2024_001", "active", 1, "ws_8f2c1e")
    assert data.created == datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
    assert data.line_items is not None
    assert [type(li) for li in data.line_items] == [DataLineItem, DataLineItem]
    assert data.line_items[1].currency_code == "USDC"
    assert data.line_items[1].amount == "250000000"


def test_unknown_fields_are_ignored_at_every_level() -> None:
    body = answer(lineItems=[wire_line_item(taxRate="0.2")], archivedAt=None, tags=["a"])
    body["meta"] = {"requestId": "req_1"}

    response = from_wire(InvoiceCreateResponse, body)

    assert response.data.id == "inv_1"
    assert response.data.line_items is not None
    assert response.data.line_items[0].id == "li_1"


def test_a_new_status_value_is_kept_as_the_server_sent_it() -> None:
    assert from_wire(InvoiceCreateResponse, answer(status="archived")).data.status == "archived"


def test_a_new_currency_code_and_line_item_type_are_kept() -> None:
    body = answer(lineItems=[wire_line_item(currencyCode="NEWCOIN", type="refund")])

    line_items = from_wire(InvoiceCreateResponse, body).data.line_items

    assert line_items is not None
    assert (line_items[0].currency_code, line_items[0].type) == ("NEWCOIN", "refund")


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({}, id="both-absent"),
        pytest.param({"lineItems": None, "modified": None}, id="both-null"),
        pytest.param({"lineItems": None}, id="lineItems-null"),
        pytest.param({"modified": None}, id="modified-null"),
    ],
)
def test_missing_optional_fields_read_as_none(changes: dict[str, Any]) -> None:
    data = from_wire(InvoiceCreateResponse, answer(**changes)).data

    assert data.line_items is None
    assert data.modified is None


def test_an_empty_list_of_line_items_stays_empty() -> None:
    assert from_wire(InvoiceCreateResponse, answer(lineItems=[])).data.line_items == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-15T10:30:00Z", datetime(2026, 1, 15, 10, 30, tzinfo=UTC)),
        ("2026-01-15T10:30:00.123Z", datetime(2026, 1, 15, 10, 30, 0, 123000, tzinfo=UTC)),
        ("2026-01-15T10:30:00.123456Z", datetime(2026, 1, 15, 10, 30, 0, 123456, tzinfo=UTC)),
        ("2026-01-15T10:30:00+00:00", datetime(2026, 1, 15, 10, 30, tzinfo=UTC)),
        ("2026-01-15T12:30:00+02:00", datetime(2026, 1, 15, 10, 30, tzinfo=UTC)),
        ("2026-01-15T05:30:00.5-05:00", datetime(2026, 1, 15, 10, 30, 0, 500000, tzinfo=UTC)),
        ("2026-01-15T10:30:00", datetime(2026, 1, 15, 10, 30, tzinfo=UTC)),
        ("2026-01-15T10:30:00.250", datetime(2026, 1, 15, 10, 30, 0, 250000, tzinfo=UTC)),
        ("2026-01-15T10:30:00.123456789Z", datetime(2026, 1, 15, 10, 30, 0, 123456, tzinfo=UTC)),
        ("2026-01-15T10:30:00.1Z", datetime(2026, 1, 15, 10, 30, 0, 100000, tzinfo=UTC)),
        ("2026-01-15t10:30:00z", datetime(2026, 1, 15, 10, 30, tzinfo=UTC)),
    ],
)
def test_timestamps_in_several_iso_formats_become_timezone_aware(text: str, expected: datetime) -> None:
    data = from_wire(InvoiceCreateResponse, answer(created=text, modified=text)).data

    for value in (data.created, data.modified):
        assert value is not None
        assert value.tzinfo is not None
        assert value.utcoffset() is not None
        assert value == expected


def test_an_offset_is_kept_not_converted() -> None:
    created = from_wire(InvoiceCreateResponse, answer(created="2026-01-15T12:30:00+02:00")).data.created

    assert created.utcoffset() == timedelta(hours=2)
    assert created.tzinfo == timezone(timedelta(hours=2))


@pytest.mark.parametrize(("version", "expected_type"), [(1, int), (2.5, float)])
def test_version_keeps_the_number_the_server_sent(version: float, expected_type: type) -> None:
    read = from_wire(InvoiceCreateResponse, answer(version=version)).data.version

    assert read == version
    assert type(read) is expected_type


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(None, id="null"),
        pytest.param([], id="list"),
        pytest.param({}, id="no-data"),
        pytest.param({"data": "inv_1"}, id="data-a-string"),
        pytest.param(answer(created=1768473000), id="created-a-number"),
        pytest.param(answer(created="15/01/2026"), id="created-unparseable"),
        pytest.param(answer(version="1"), id="version-a-string"),
        pytest.param(answer(version=True), id="version-a-bool"),
        pytest.param(answer(status=1), id="status-a-number"),
        pytest.param(answer(lineItems=[wire_line_item(type=None)]), id="line-item-type-null"),
        pytest.param(answer(lineItems="li_1"), id="lineItems-a-string"),
        pytest.param(answer(id=None), id="id-null"),
        pytest.param(answer(id={"value": "inv_1"}), id="id-an-object"),
        pytest.param(answer(workspaceId=["ws_1"]), id="workspaceId-a-list"),
        pytest.param(answer(lineItems=[wire_line_item(amount=None)]), id="amount-null"),
        pytest.param(answer(lineItems=[wire_line_item(amount=10.5)]), id="amount-a-float"),
        pytest.param(answer(lineItems=[wire_line_item(user_id=True)]), id="user_id-a-bool"),
    ],
)
def test_a_body_that_is_not_the_documented_shape_raises(body: Any) -> None:
    with pytest.raises((cattrs.BaseValidationError, TypeError, ValueError, KeyError)):
        from_wire(InvoiceCreateResponse, body)


def test_retrieve_data_is_an_invoice_with_balances() -> None:
    data = from_wire(InvoiceRetrieveResponse, load("invoice_retrieve_response.json")).data

    assert isinstance(data, Invoice)
    assert data.users[0].balances[0].net.remaining == "-600"
    assert data.balances[1].currency == "EUR"
    assert data.line_items is not None
    assert data.line_items[0].currency_code == "USD"


def test_history_diff_entries_are_told_apart_by_op() -> None:
    snapshots = from_wire(InvoiceListHistoryResponse, load("invoice_list_history_response.json")).data

    diff = snapshots[1].diff
    assert diff is not None
    assert [type(entry) for entry in diff] == [DataDiffAddDiffEntry, DataDiffUpdateDiffEntry, DataDiffDeleteDiffEntry]
    update = diff[1]
    assert isinstance(update, DataDiffUpdateDiffEntry)
    assert (update.old_amount, update.new_amount) == ("1000", "1500")
    assert isinstance(snapshots[0], Invoice)


def test_a_history_snapshot_without_version_reads_as_none() -> None:
    snapshots = from_wire(InvoiceListHistoryResponse, load("invoice_list_history_response.json")).data

    assert snapshots[2].version is None
    assert snapshots[2].diff is None
    assert snapshots[0].version == 1


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"op": "void", "item": wire_line_item()}, DataDiffAddDiffEntry),
        ({"op": "change", "id": "li_1", "old_amount": "1", "new_amount": "2"}, DataDiffUpdateDiffEntry),
    ],
)
def test_a_diff_entry_with_an_op_this_release_does_not_know_is_read_by_its_keys(
    entry: dict[str, Any], expected: type
) -> None:
    body = {"data": [{**answer()["data"], "diff": [entry]}]}

    diff = from_wire(InvoiceListHistoryResponse, body).data[0].diff

    assert diff is not None
    assert type(diff[0]) is expected
    assert diff[0].op == entry["op"]


def test_a_transaction_keeps_allocation_ids_and_both_user_keys() -> None:
    transaction = from_wire(TransactionRetrieveResponse, load("transaction_create_response.json")).data

    assert [allocation.id for allocation in transaction.allocations] == ["alloc_1", "alloc_2", "alloc_3"]
    assert [allocation.user for allocation in transaction.allocations] == [
        AllocationUser(id="user_abc123"),
        AllocationUser(external_id="user_ext_456"),
        AllocationUser(id="user_1", external_id="user_ext_456"),
    ]


def test_an_allocation_without_id_reads_as_none_and_is_not_sent_back() -> None:
    body = transaction_sample(allocations=[ALLOCATION])

    transaction = from_wire(TransactionRetrieveResponse, body).data

    assert transaction.allocations[0].id is None
    assert to_wire(transaction.allocations[0]) == ALLOCATION


def test_a_transaction_reads_its_version_as_an_int_and_posted_as_aware() -> None:
    transaction = from_wire(TransactionRetrieveResponse, transaction_sample(version=3.0)).data

    assert transaction.version == 3
    assert type(transaction.version) is int
    assert transaction.posted == datetime(2026, 2, 12, tzinfo=UTC)


@pytest.mark.parametrize("version", [1.5, "1", True, None])
def test_a_transaction_version_that_is_not_an_integer_raises(version: object) -> None:
    with pytest.raises((cattrs.BaseValidationError, TypeError, ValueError)):
        from_wire(TransactionRetrieveResponse, transaction_sample(version=version))


def test_a_new_allocation_type_and_currency_are_kept() -> None:
    allocation = {**ALLOCATION, "type": "invoice_refund"}
    transaction = from_wire(
        TransactionRetrieveResponse, transaction_sample(allocations=[allocation], currency="XYZ")
    ).data

    assert transaction.allocations[0].type == "invoice_refund"
    assert transaction.currency == "XYZ"


def test_product_and_user_answers_use_their_wire_names() -> None:
    product = from_wire(Product, load("product_create_response.json")["data"])
    user = from_wire(User, load("user_create_response.json")["data"])

    assert (product.update_version, product.workspace_id) == (1, "ws_8f2c1e")
    assert product.paid_by_roles[0].name == "buyer"
    assert user.external_id == "user_ext_456"


# --- the strict converter against recorded payloads ---------------------------------------------


def test_there_is_a_response_sample_for_every_response_class() -> None:
    covered = {response_class(sample).__name__ for sample in RESPONSE_SAMPLES}

    assert covered == {name for name in importlib.import_module("fragment.types").__all__ if name.endswith("Response")}


@pytest.mark.parametrize("sample", RESPONSE_SAMPLES, ids=lambda path: path.name)
def test_recorded_answers_match_the_models_exactly(sample: Path) -> None:
    strict = make_wire_converter(forbid_extra_keys=True)
    payload = json.loads(sample.read_text())
    cls = response_class(sample)

    response = strict.structure(payload, cls)

    assert response == from_wire(cls, payload)
    again = strict.unstructure(response)
    assert strict.structure(again, cls) == response


@pytest.mark.parametrize("sample", RESPONSE_SAMPLES, ids=lambda path: path.name)
def test_to_wire_gives_back_every_non_null_key_of_a_recorded_answer(sample: Path) -> None:
    payload = json.loads(sample.read_text())
    response = from_wire(response_class(sample), payload)

    again = to_wire(response)

    assert _keys(again) == _keys(payload)
    assert from_wire(response_class(sample), again) == response


def _keys(value: Any) -> Any:
    """The shape of a JSON value: its keys at every level, without the null ones; leaves are None."""
    if isinstance(value, dict):
        return {key: _keys(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_keys(item) for item in value]
    return None


def test_the_full_sample_covers_every_field_of_the_models() -> None:
    strict = make_wire_converter(forbid_extra_keys=True)
    payload = load("invoice_create_response.json")

    again = strict.unstructure(strict.structure(payload, InvoiceCreateResponse))

    assert set(again["data"]) == set(payload["data"])
    assert set(again["data"]["lineItems"][0]) == set(payload["data"]["lineItems"][0])


def test_the_recorded_request_matches_the_params_model_exactly() -> None:
    strict = make_wire_converter(forbid_extra_keys=True)
    payload = load("invoice_create_request.json")

    params = strict.structure(payload, InvoiceCreateParams)

    assert to_wire(params) == payload


def test_the_strict_converter_catches_a_field_the_models_do_not_know() -> None:
    strict = make_wire_converter(forbid_extra_keys=True)
    drifted = answer(lineItems=[wire_line_item(taxRate="0.2")])

    with pytest.raises(cattrs.BaseValidationError):
        strict.structure(drifted, InvoiceCreateResponse)


def test_the_strict_converter_refuses_an_unknown_op_in_a_request() -> None:
    strict = make_wire_converter(forbid_extra_keys=True)

    with pytest.raises((cattrs.BaseValidationError, ValueError)):
        strict.structure({"line_items_update": [{"op": "move", "id": "l"}], "version": 1}, InvoiceUpdateParams)


# --- to_dict / to_json ------------------------------------------------------------------------


def test_to_dict_uses_wire_names_by_default_and_python_names_on_request() -> None:
    line_item = LineItem(**SEED_LINE_ITEM)

    assert list(line_item.to_dict()) == WIRE_LINE_ITEM_KEYS
    assert line_item.to_dict(use_api_names=False) == SEED_LINE_ITEM
    assert model_to_dict(line_item, use_api_names=False) == SEED_LINE_ITEM


def test_to_dict_of_a_response_gives_json_ready_values_and_round_trips() -> None:
    payload = load("invoice_create_response.json")
    response = from_wire(InvoiceCreateResponse, payload)

    exported = response.to_dict()

    assert exported["data"]["created"] == "2026-01-15T10:30:00+00:00"
    assert exported["data"]["workspaceId"] == "ws_8f2c1e"
    assert from_wire(InvoiceCreateResponse, exported) == response
    assert response.to_dict(use_api_names=False)["data"]["workspace_id"] == "ws_8f2c1e"


def test_to_dict_leaves_out_optional_fields_that_are_none() -> None:
    data = from_wire(InvoiceCreateResponse, load("invoice_create_response_nulls.json")).data

    assert "lineItems" not in data.to_dict()
    assert "modified" not in data.to_dict(use_api_names=False)


def test_to_json_is_the_json_of_to_dict() -> None:
    response = from_wire(InvoiceCreateResponse, load("invoice_create_response_minimal.json"))

    assert json.loads(response.to_json()) == response.to_dict()
    assert json.loads(response.to_json(use_api_names=False, indent=None)) == response.to_dict(use_api_names=False)


def test_to_dict_of_an_operation_keeps_its_op() -> None:
    assert LineItemDeleteOp(id="li_1").to_dict() == {"op": "delete", "id": "li_1"}
    assert re.search(r'"op": "delete"', LineItemDeleteOp(id="li_1").to_json())
