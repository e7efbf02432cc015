"""Every operation sends what the official fragment-py 0.6.0 sends (API.md, section D), on both clients.

Each case is a call and the request recorded from the official client for the same call:
method, raw path and query, and JSON body. The exceptions are the ones API.md lists as that
client's careless spots: path values are percent-encoded as one segment each.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from seed import ALLOCATION, SAMPLES, SEED_LINE_ITEM, SEED_REQUEST, TRANSACTION

from fragment import AsyncFragment, Fragment, Request, Response
from fragment.testing import MockTransport, answer

# Sent as given: the same keys on the wire as in Python (a transaction's ``posted`` aside).
INVOICE_UPDATE: dict[str, Any] = json.loads((SAMPLES / "invoice_update_request.json").read_bytes())
PRODUCT = {
    "code": "consulting",
    "description": "Consulting hours",
    "paid_by_roles": [{"id": "r_1"}],
    "paid_to_roles": [{"name": "seller"}],
}
EXTERNAL_ACCOUNT = {"external_id": "bank_acct_1", "name": "Operating account"}
OFFSET_TRANSACTION = {
    "account": {"id": "ext_account_1"},
    "allocations": [{**ALLOCATION, "user": {"external_id": "user_ext_456"}}],
    "amount": "1",
    "currency": "EURC",
    "external_id": "bank_txn_125",
}
ALLOCATION_UPDATES = {
    "allocation_updates": [
        {"op": "add", **ALLOCATION},
        {"op": "add", **ALLOCATION, "amount": "5", "type": "invoice_payout", "user": {"external_id": "user_ext_456"}},
        {"op": "delete", "id": "alloc_1"},
    ],
    "version": 1,
}


@attrs.frozen
class Recorded:
    """One call and the request the official client sent for it."""

    name: str
    """``resource.method``, then what is special about the case."""
    request: str
    """The HTTP method and the raw path and query, as a server receives them."""
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = attrs.field(factory=dict)
    body: Any = None

    @property
    def resource(self) -> str:
        return self.name.split()[0].split(".")[0]

    @property
    def method(self) -> str:
        return self.name.split()[0].split(".")[1]

    @property
    def http(self) -> str:
        return self.request.split()[0]

    @property
    def target(self) -> str:
        return self.request.split()[1]

    @property
    def sample(self) -> str:
        """The recorded answer in ``samples/`` (``transactions.list``: ``transaction_list_response``)."""
        return f"{self.resource.removesuffix('s')}_{self.method}_response"

    @property
    def response_model(self) -> str:
        """The name of the model the call returns (``TransactionListResponse``)."""
        return "".join(part.title() for part in self.sample.split("_"))

    @property
    def sent(self) -> tuple[str, str, Any]:
        """The HTTP method, raw path and query, and JSON body that the official client sent."""
        return self.http, self.target, self.body

    def recorded_answer(self, status: int, headers: dict[str, str] | None = None) -> Response:
        """The recorded answer to the call, with another status and headers if given."""
        return answer(status, (SAMPLES / f"{self.sample}.json").read_bytes(), headers)

    def call(self, resources: Any) -> Any:
        """Make the call on ``resources``: a client or its ``with_raw_response``."""
        return getattr(getattr(resources, self.resource), self.method)(*self.args, **self.kwargs)


CASES = [
    Recorded(
        "invoices.create",
        "POST /invoices",
        kwargs={"invoice_id": "invoice_2024_001", "line_items": [SEED_LINE_ITEM]},
        body=SEED_REQUEST,
    ),
    Recorded("invoices.retrieve", "GET /invoices/inv_1", ("inv_1",)),
    Recorded("invoices.update", "POST /invoices/inv_1", ("inv_1",), INVOICE_UPDATE, INVOICE_UPDATE),
    Recorded("invoices.list", "GET /invoices"),
    Recorded("invoices.list_history", "GET /invoices/inv_1/history", ("inv_1",)),
    Recorded("products.create", "POST /products", kwargs=PRODUCT, body=PRODUCT),
    Recorded("products.retrieve", "GET /products/consulting", ("consulting",)),
    Recorded("products.list", "GET /products"),
    Recorded("roles.create", "POST /roles", kwargs={"role": "buyer"}, body={"role": "buyer"}),
    Recorded("roles.list", "GET /roles"),
    Recorded(
        "users.create",
        "POST /users",
        kwargs={"external_id": "user_ext_456", "role": "buyer"},
        body={"externalId": "user_ext_456", "role": "buyer"},
    ),
    Recorded("users.list", "GET /users"),
    Recorded("external_accounts.create", "POST /external-accounts", kwargs=EXTERNAL_ACCOUNT, body=EXTERNAL_ACCOUNT),
    Recorded("external_accounts.list", "GET /external-accounts"),
    Recorded(
        "transactions.create",
        "POST /transactions",
        kwargs=TRANSACTION,
        body={**TRANSACTION, "posted": "2026-02-12T00:00:00+00:00"},
    ),
    Recorded(
        "transactions.create (posted with an offset and microseconds)",
        "POST /transactions",
        kwargs={
            **OFFSET_TRANSACTION,
            "posted": datetime(2026, 2, 12, 1, 2, 3, 456789, tzinfo=timezone(timedelta(hours=-5))),
        },
        body={**OFFSET_TRANSACTION, "posted": "2026-02-12T01:02:03.456789-05:00"},
    ),
    Recorded("transactions.retrieve", "GET /transactions/txn_1", ("txn_1",)),
    Recorded("transactions.list", "GET /transactions"),
    Recorded(
        "transactions.list (both filters)",
        "GET /transactions?account=ext_account_1&reconciliation_status=unreconciled",
        kwargs={"account": "ext_account_1", "reconciliation_status": "unreconciled"},
    ),
    Recorded(
        "transactions.list (account with special characters)",
        "GET /transactions?account=acct+1%2F%C3%A9%26x%3Dy",
        kwargs={"account": "acct 1/é&x=y"},
    ),
    Recorded("transactions.list (account=None is left out)", "GET /transactions", kwargs={"account": None}),
    Recorded(
        "transactions.create_allocations",
        "POST /transactions/txn_1/allocations",
        ("txn_1",),
        ALLOCATION_UPDATES,
        ALLOCATION_UPDATES,
    ),
    # Where the official client is careless (API.md B.7): each path value is ONE segment.
    Recorded(
        "transactions.retrieve (an id with / ? and spaces)",
        "GET /transactions/txn%2F1%20%3F%23%25%C3%A9",
        ("txn/1 ?#%é",),
    ),
    Recorded("invoices.retrieve (inv 1/é)", "GET /invoices/inv%201%2F%C3%A9", ("inv 1/é",)),
    Recorded(
        "transactions.create_allocations (t 1)",
        "POST /transactions/t%201/allocations",
        ("t 1",),
        {"allocation_updates": [{"op": "delete", "id": "é"}], "version": 1},
        {"allocation_updates": [{"op": "delete", "id": "é"}], "version": 1},
    ),
]


def _target(request: Request) -> str:
    """The raw path and query, as a server receives them."""
    return "/" + request.url.split("/", 3)[3]


def _sent(requests: Sequence[Request]) -> tuple[str, str, Any]:
    (request,) = requests
    body = None if request.body is None else json.loads(request.body)
    return request.method, _target(request), body


@pytest.fixture
def blocking_client(client_options: dict[str, str], transport: MockTransport, clean_env: None) -> Iterator[Fragment]:
    """A blocking client on the mock API, closed after the test."""
    with Fragment(**client_options, transport=transport) as client:
        yield client


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_the_async_client_sends_what_the_official_client_sent(
    case: Recorded, client: AsyncFragment, answers: list[Any], api_requests: Sequence[Request]
) -> None:
    answers.append(case.recorded_answer(200))

    response = await case.call(client)

    assert _sent(api_requests) == case.sent
    assert type(response).__name__ == case.response_model


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_blocking_client_sends_the_same(
    case: Recorded, blocking_client: Fragment, answers: list[Any], api_requests: Sequence[Request]
) -> None:
    answers.append(case.recorded_answer(200))

    response = case.call(blocking_client)

    assert _sent(api_requests) == case.sent
    assert type(response).__name__ == case.response_model


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
    answers.append(case.recorded_answer(200, {"x-request-id": "req_42"}))

    operation = getattr(getattr(client, case.resource).with_raw_response, case.method)
    raw = await operation(*case.args, **case.kwargs)

    assert _sent(api_requests) == case.sent
    assert (raw.status_code, raw.headers["X-Request-Id"], raw.method, raw.retries) == (200, "req_42", case.http, 0)
    assert raw.url.endswith(case.target)
    assert type(raw.parse()).__name__ == case.response_model


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_blocking_client_has_the_same_raw_responses_from_the_client_view(
    case: Recorded, blocking_client: Fragment, answers: list[Any], api_requests: Sequence[Request]
) -> None:
    answers.append(case.recorded_answer(201))

    raw = case.call(blocking_client.with_raw_response)

    assert _sent(api_requests) == case.sent
    assert raw.status_code == 201
    assert type(raw.parse()).__name__ == case.response_model


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
