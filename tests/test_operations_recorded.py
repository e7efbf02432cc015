"""Every operation sends what the official fragment-py 0.6.0 sends (API.md, section D), on both clients.

Each case is a call and the request recorded from the official client for the same call:
method, raw path and query, and JSON body. The exceptions are the ones API.md lists as that
client's careless spots: path values are percent-encoded as one segment each.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest

from fragment import AsyncFragment, Fragment, Request
from fragment.testing import MockTransport, answer

SAMPLES = Path(__file__).parent / "samples"

ADD_LINE_ITEM = {
    "op": "add",
    "type": "payin",
    "product_id": "prod_1",
    "amount": "500",
    "currency_code": "EUR",
    "description": "extra",
    "user_id": "user_ext_789",
}
ADD_ALLOCATION = {
    "op": "add",
    "amount": "1000",
    "invoice_id": "inv_abc123",
    "type": "invoice_payin",
    "user": {"id": "user_abc123"},
}
# Sent as given: the same keys on the wire as in Python.
ALLOCATION_UPDATES = [
    ADD_ALLOCATION,
    {
        "op": "add",
        "amount": "5",
        "invoice_id": "inv_abc123",
        "type": "invoice_payout",
        "user": {"external_id": "user_ext_456"},
    },
    {"op": "delete", "id": "alloc_1"},
]


@attrs.frozen
class Recorded:
    """One call and the request the official client sent for it."""

    name: str
    resource: str
    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    http: str
    target: str
    body: Any
    sample: str


CASES = [
    Recorded(
        "invoices.create",
        "invoices",
        "create",
        (),
        {
            "invoice_id": "invoice_2024_001",
            "line_items": [
                {
                    "type": "payout",
                    "product_id": "prod_1234567890",
                    "amount": "1000",
                    "currency_code": "USD",
                    "description": "Professional services for January 2026",
                    "user_id": "user_ext_456",
                }
            ],
        },
        "POST",
        "/invoices",
        {
            "invoiceId": "invoice_2024_001",
            "lineItems": [
                {
                    "type": "payout",
                    "product_id": "prod_1234567890",
                    "amount": "1000",
                    "currencyCode": "USD",
                    "description": "Professional services for January 2026",
                    "user_id": "user_ext_456",
                }
            ],
        },
        "invoice_create_response",
    ),
    Recorded(
        "invoices.retrieve",
        "invoices",
        "retrieve",
        ("inv_1",),
        {},
        "GET",
        "/invoices/inv_1",
        None,
        "invoice_retrieve_response",
    ),
    Recorded(
        "invoices.update",
        "invoices",
        "update",
        ("inv_1",),
        {
            "line_items_update": [
                ADD_LINE_ITEM,
                {"op": "update", "id": "li_1", "amount": "1500"},
                {"op": "delete", "id": "li_2"},
            ],
            "version": 1,
        },
        "POST",
        "/invoices/inv_1",
        {
            "line_items_update": [
                ADD_LINE_ITEM,
                {"op": "update", "id": "li_1", "amount": "1500"},
                {"op": "delete", "id": "li_2"},
            ],
            "version": 1,
        },
        "invoice_update_response",
    ),
    Recorded("invoices.list", "invoices", "list", (), {}, "GET", "/invoices", None, "invoice_list_response"),
    Recorded(
        "invoices.list_history",
        "invoices",
        "list_history",
        ("inv_1",),
        {},
        "GET",
        "/invoices/inv_1/history",
        None,
        "invoice_list_history_response",
    ),
    Recorded(
        "products.create",
        "products",
        "create",
        (),
        {
            "code": "consulting",
            "description": "Consulting hours",
            "paid_by_roles": [{"id": "r_1"}],
            "paid_to_roles": [{"name": "seller"}],
        },
        "POST",
        "/products",
        {
            "code": "consulting",
            "description": "Consulting hours",
            "paid_by_roles": [{"id": "r_1"}],
            "paid_to_roles": [{"name": "seller"}],
        },
        "product_create_response",
    ),
    Recorded(
        "products.retrieve",
        "products",
        "retrieve",
        ("consulting",),
        {},
        "GET",
        "/products/consulting",
        None,
        "product_retrieve_response",
    ),
    Recorded("products.list", "products", "list", (), {}, "GET", "/products", None, "product_list_response"),
    Recorded(
        "roles.create",
        "roles",
        "create",
        (),
        {"role": "buyer"},
        "POST",
        "/roles",
        {"role": "buyer"},
        "role_create_response",
    ),
    Recorded("roles.list", "roles", "list", (), {}, "GET", "/roles", None, "role_list_response"),
    Recorded(
        "users.create",
        "users",
        "create",
        (),
        {"external_id": "user_ext_456", "role": "buyer"},
        "POST",
        "/users",
        {"externalId": "user_ext_456", "role": "buyer"},
        "user_create_response",
    ),
    Recorded("users.list", "users", "list", (), {}, "GET", "/users", None, "user_list_response"),
    Recorded(
        "external_accounts.create",
        "external_accounts",
        "create",
        (),
        {"external_id": "bank_acct_1", "name": "Operating account"},
        "POST",
        "/external-accounts",
        {"external_id": "bank_acct_1", "name": "Operating account"},
        "external_account_create_response",
    ),
    Recorded(
        "external_accounts.list",
        "external_accounts",
        "list",
        (),
        {},
        "GET",
        "/external-accounts",
        None,
        "external_account_list_response",
    ),
    Recorded(
        "transactions.create",
        "transactions",
        "create",
        (),
        {
            "account": {"id": "ext_account_1", "external_id": "bank_acct_1"},
            "allocations": [
                {"amount": "1000", "invoice_id": "inv_abc123", "type": "invoice_payin", "user": {"id": "user_abc123"}}
            ],
            "amount": "-1000",
            "currency": "USD",
            "external_id": "bank_txn_123",
            "posted": datetime(2026, 2, 12, tzinfo=UTC),
        },
        "POST",
        "/transactions",
        {
            "account": {"id": "ext_account_1", "external_id": "bank_acct_1"},
            "allocations": [
                {"amount": "1000", "invoice_id": "inv_abc123", "type": "invoice_payin", "user": {"id": "user_abc123"}}
            ],
            "amount": "-1000",
            "currency": "USD",
            "external_id": "bank_txn_123",
            "posted": "2026-02-12T00:00:00+00:00",
        },
        "transaction_create_response",
    ),
    Recorded(
        "transactions.create (posted with an offset and microseconds)",
        "transactions",
        "create",
        (),
        {
            "account": {"id": "ext_account_1"},
            "allocations": [
                {
                    "amount": "1000",
                    "invoice_id": "inv_abc123",
                    "type": "invoice_payin",
                    "user": {"external_id": "user_ext_456"},
                }
            ],
            "amount": "1",
            "currency": "EURC",
            "external_id": "bank_txn_125",
            "posted": datetime(2026, 2, 12, 1, 2, 3, 456789, tzinfo=timezone(timedelta(hours=-5))),
        },
        "POST",
        "/transactions",
        {
            "account": {"id": "ext_account_1"},
            "allocations": [
                {
                    "amount": "1000",
                    "invoice_id": "inv_abc123",
                    "type": "invoice_payin",
                    "user": {"external_id": "user_ext_456"},
                }
            ],
            "amount": "1",
            "currency": "EURC",
            "external_id": "bank_txn_125",
            "posted": "2026-02-12T01:02:03.456789-05:00",
        },
        "transaction_create_response",
    ),
    Recorded(
        "transactions.retrieve",
        "transactions",
        "retrieve",
        ("txn_1",),
        {},
        "GET",
        "/transactions/txn_1",
        None,
        "transaction_retrieve_response",
    ),
    Recorded(
        "transactions.list", "transactions", "list", (), {}, "GET", "/transactions", None, "transaction_list_response"
    ),
    Recorded(
        "transactions.list (both filters)",
        "transactions",
        "list",
        (),
        {"account": "ext_account_1", "reconciliation_status": "unreconciled"},
        "GET",
        "/transactions?account=ext_account_1&reconciliation_status=unreconciled",
        None,
        "transaction_list_response",
    ),
    Recorded(
        "transactions.list (account with special characters)",
        "transactions",
        "list",
        (),
        {"account": "acct 1/é&x=y"},
        "GET",
        "/transactions?account=acct+1%2F%C3%A9%26x%3Dy",
        None,
        "transaction_list_response",
    ),
    Recorded(
        "transactions.list (account=None is left out)",
        "transactions",
        "list",
        (),
        {"account": None},
        "GET",
        "/transactions",
        None,
        "transaction_list_response",
    ),
    Recorded(
        "transactions.create_allocations",
        "transactions",
        "create_allocations",
        ("txn_1",),
        {
            "allocation_updates": ALLOCATION_UPDATES,
            "version": 1,
        },
        "POST",
        "/transactions/txn_1/allocations",
        {
            "allocation_updates": ALLOCATION_UPDATES,
            "version": 1,
        },
        "transaction_create_allocations_response",
    ),
    # Where the official client is careless (API.md B.7): each path value is ONE segment.
    Recorded(
        "transactions.retrieve (an id with / ? and spaces)",
        "transactions",
        "retrieve",
        ("txn/1 ?#%é",),
        {},
        "GET",
        "/transactions/txn%2F1%20%3F%23%25%C3%A9",
        None,
        "transaction_retrieve_response",
    ),
    Recorded(
        "invoices.retrieve (inv 1/é)",
        "invoices",
        "retrieve",
        ("inv 1/é",),
        {},
        "GET",
        "/invoices/inv%201%2F%C3%A9",
        None,
        "invoice_retrieve_response",
    ),
    Recorded(
        "transactions.create_allocations (t 1)",
        "transactions",
        "create_allocations",
        ("t 1",),
        {"allocation_updates": [{"op": "delete", "id": "é"}], "version": 1},
        "POST",
        "/transactions/t%201/allocations",
        {"allocation_updates": [{"op": "delete", "id": "é"}], "version": 1},
        "transaction_create_allocations_response",
    ),
]


def _target(request: Request) -> str:
    """The raw path and query, as a server receives them."""
    return "/" + request.url.split("/", 3)[3]


def _sent(requests: Sequence[Request], expected: Recorded) -> tuple[str, str, Any]:
    (request,) = requests
    body = None if request.body is None else json.loads(request.body)
    return request.method, _target(request), body


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_the_async_client_sends_what_the_official_client_sent(
    case: Recorded, client: AsyncFragment, answers: list[Any], api_requests: Sequence[Request]
) -> None:
    answers.append(answer(200, (SAMPLES / f"{case.sample}.json").read_bytes()))

    operation = getattr(getattr(client, case.resource), case.method)
    response = await operation(*case.args, **case.kwargs)

    assert _sent(api_requests, case) == (case.http, case.target, case.body)
    assert type(response).__name__ == "".join(part.title() for part in case.sample.split("_"))


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_blocking_client_sends_the_same(
    case: Recorded,
    client_options: dict[str, str],
    transport: MockTransport,
    answers: list[Any],
    api_requests: Sequence[Request],
    clean_env: None,
) -> None:
    answers.append(answer(200, (SAMPLES / f"{case.sample}.json").read_bytes()))

    with Fragment(**client_options, transport=transport) as client:
        operation: Callable[..., Any] = getattr(getattr(client, case.resource), case.method)
        response = operation(*case.args, **case.kwargs)

    assert _sent(api_requests, case) == (case.http, case.target, case.body)
    assert type(response).__name__ == "".join(part.title() for part in case.sample.split("_"))


def test_every_operation_of_the_official_client_is_pinned() -> None:
    official = {
        "invoices": {"create", "retrieve", "update", "list", "list_history"},
        "products": {"create", "retrieve", "list"},
        "roles": {"create", "list"},
        "users": {"create", "list"},
        "external_accounts": {"create", "list"},
        "transactions": {"create", "retrieve", "list", "create_allocations"},
    }
    pinned: dict[str, set[str]] = {}
    for case in CASES:
        pinned.setdefault(case.resource, set()).add(case.method)

    assert pinned == official
    assert sum(len(methods) for methods in official.values()) == 18


async def test_a_get_never_sends_a_body_even_with_extra_body(
    client: AsyncFragment, answers: list[Any], api_requests: Sequence[Request]
) -> None:
    answers.append(answer(200, (SAMPLES / "role_list_response.json").read_bytes()))

    await client.roles.list(extra_body={"ignored": True})

    assert api_requests[0].body is None


async def test_extra_query_overrides_a_same_named_filter_and_comes_last(
    client: AsyncFragment, answers: list[Any], api_requests: Sequence[Request]
) -> None:
    answers.append(answer(200, (SAMPLES / "transaction_list_response.json").read_bytes()))

    await client.transactions.list(account="a1", extra_query={"limit": 5, "account": "override"})

    assert _target(api_requests[0]) == "/transactions?account=override&limit=5"


async def test_extra_body_is_merged_over_the_body(
    client: AsyncFragment, answers: list[Any], api_requests: Sequence[Request]
) -> None:
    answers.append(answer(200, (SAMPLES / "external_account_create_response.json").read_bytes()))

    await client.external_accounts.create(external_id="e", name="ä", extra_body={"external_id": "override", "x": 1})

    assert json.loads(api_requests[0].body or b"") == {"external_id": "override", "name": "ä", "x": 1}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_every_operation_has_a_raw_response_with_status_headers_and_its_model(
    case: Recorded, client: AsyncFragment, answers: list[Any], api_requests: Sequence[Request]
) -> None:
    answers.append(answer(200, (SAMPLES / f"{case.sample}.json").read_bytes(), {"x-request-id": "req_42"}))

    operation = getattr(getattr(client, case.resource).with_raw_response, case.method)
    raw = await operation(*case.args, **case.kwargs)

    assert _sent(api_requests, case) == (case.http, case.target, case.body)
    assert (raw.status_code, raw.headers["X-Request-Id"], raw.method, raw.retries) == (200, "req_42", case.http, 0)
    assert raw.url.endswith(case.target)
    assert type(raw.parse()).__name__ == "".join(part.title() for part in case.sample.split("_"))


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_blocking_client_has_the_same_raw_responses_from_the_client_view(
    case: Recorded,
    client_options: dict[str, str],
    transport: MockTransport,
    answers: list[Any],
    api_requests: Sequence[Request],
    clean_env: None,
) -> None:
    answers.append(answer(201, (SAMPLES / f"{case.sample}.json").read_bytes()))

    with Fragment(**client_options, transport=transport) as client:
        operation: Callable[..., Any] = getattr(getattr(client.with_raw_response, case.resource), case.method)
        raw = operation(*case.args, **case.kwargs)

    assert _sent(api_requests, case) == (case.http, case.target, case.body)
    assert raw.status_code == 201
    assert type(raw.parse()).__name__ == "".join(part.title() for part in case.sample.split("_"))


async def test_extra_query_body_and_headers_go_out_as_the_official_client_sends_them(
    client: AsyncFragment, seed_invoice: dict[str, Any], api_requests: Sequence[Request]
) -> None:
    # API.md D.1, "extra_query/extra_body/extra_headers on invoices.create": the query is
    # merged in order, a list joined with commas; the body gains the top-level field.
    await client.invoices.create(
        **seed_invoice,
        extra_query={"foo": "bar", "arr": ["a", "b"]},
        extra_body={"extraField": True},
        extra_headers={"X-Custom": "1"},
    )

    request = api_requests[0]
    assert _target(request) == "/invoices?foo=bar&arr=a%2Cb"
    assert request.headers["X-Custom"] == "1"
    assert json.loads(request.body or b"")["extraField"] is True


async def test_extra_query_on_an_operation_without_query_parameters(
    client: AsyncFragment, answers: list[Any], api_requests: Sequence[Request]
) -> None:
    answers.append(answer(200, (SAMPLES / "invoice_list_response.json").read_bytes()))

    await client.invoices.list(extra_query={"limit": 10, "cursor": "abc"})

    assert _target(api_requests[0]) == "/invoices?limit=10&cursor=abc"


async def test_a_raw_response_counts_the_retries_it_took(
    client: AsyncFragment, answers: list[Any], sleeps: list[float]
) -> None:
    answers.extend([answer(503, b"{}", {"retry-after-ms": "5"}), answer(500, b"{}")])
    answers.append(answer(200, (SAMPLES / "role_list_response.json").read_bytes()))

    raw = await client.roles.with_raw_response.list()

    assert (raw.retries, raw.status_code, len(sleeps)) == (2, 200, 2)
    assert raw.elapsed.total_seconds() >= 0


async def test_a_raw_response_holds_no_request_header_and_no_secret(
    client: AsyncFragment, answers: list[Any], access_token: str, client_options: dict[str, str]
) -> None:
    answers.append(answer(200, (SAMPLES / "role_list_response.json").read_bytes()))

    raw = await client.with_raw_response.roles.list()

    shown = repr(raw) + str(dict(raw.headers)) + raw.url
    assert access_token not in shown and client_options["client_secret"] not in shown


def test_helpers_made_of_several_requests_have_no_raw_response(client: AsyncFragment) -> None:
    with pytest.raises(AttributeError, match="no raw response"):
        client.invoices.with_raw_response.modify  # noqa: B018
