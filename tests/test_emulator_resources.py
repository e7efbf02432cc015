"""The emulator's 18 operations over real sockets, at the wire level: routes, rules, isolation.

Every request here is a plain aiohttp request with the API's wire keys, so these tests pin
what the emulator serves, independently of the SDK's resource methods.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

import aiohttp
import attrs
import pytest
from multidict import CIMultiDictProxy
from yarl import URL

from fragment import types
from fragment._wire import make_wire_converter
from fragment.testing import Emulator, Faults, RateLimit

PAYIN: dict[str, Any] = {
    "amount": "1000",
    "currencyCode": "USD",
    "description": "Seat licence",
    "product_id": "prod_seat",
    "type": "payin",
    "user_id": "buyer_1",
}
PAYOUT: dict[str, Any] = {
    **PAYIN,
    "amount": "300",
    "description": "Seller share",
    "type": "payout",
    "user_id": "seller_1",
}
FEE: dict[str, Any] = {
    "op": "add",
    "amount": "50",
    "currency_code": "USD",
    "description": "Fee",
    "product_id": "prod_fee",
    "type": "payin",
    "user_id": "buyer_1",
}
"""An ``add`` operation of ``invoices.update``: snake ``currency_code``, unlike a create's line item."""
POSTED = "2026-02-12T09:30:00+00:00"


RESPONSES: dict[str, type] = {
    "invoices.create": types.InvoiceCreateResponse,
    "invoices.retrieve": types.InvoiceRetrieveResponse,
    "invoices.update": types.InvoiceUpdateResponse,
    "invoices.list": types.InvoiceListResponse,
    "invoices.list_history": types.InvoiceListHistoryResponse,
    "products.create": types.ProductCreateResponse,
    "products.retrieve": types.ProductRetrieveResponse,
    "products.list": types.ProductListResponse,
    "roles.create": types.RoleCreateResponse,
    "roles.list": types.RoleListResponse,
    "users.create": types.UserCreateResponse,
    "users.list": types.UserListResponse,
    "external_accounts.create": types.ExternalAccountCreateResponse,
    "external_accounts.list": types.ExternalAccountListResponse,
    "transactions.create": types.TransactionCreateResponse,
    "transactions.retrieve": types.TransactionRetrieveResponse,
    "transactions.list": types.TransactionListResponse,
    "transactions.create_allocations": types.TransactionCreateAllocationsResponse,
}
"""The SDK's model of each operation's answer."""


@attrs.frozen
class Reply:
    status: int
    body: Any
    headers: CIMultiDictProxy[str]

    @property
    def data(self) -> Any:
        assert self.status < 300, self.body
        return self.body["data"]

    @property
    def error(self) -> dict[str, Any]:
        assert self.status >= 400, self.body
        error: dict[str, Any] = self.body["error"]
        return error


class Api:
    """Raw requests to one emulator with one client's token; paths are sent exactly as written."""

    def __init__(self, session: aiohttp.ClientSession, emulator: Emulator, token: str | None) -> None:
        self.session = session
        self.emulator = emulator
        self.token = token

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: Mapping[str, str] | None = None,
        data: bytes | None = None,
    ) -> Reply:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        url = URL(self.emulator.base_url + path, encoded=True)
        if params:
            url = url.with_query(params)
        async with self.session.request(method, url, json=body, data=data, headers=headers) as response:
            payload = await response.json() if response.content_type == "application/json" else await response.text()
            return Reply(response.status, payload, response.headers)

    async def get(self, path: str, **params: str) -> Reply:
        return await self.call("GET", path, params=params or None)

    async def post(self, path: str, body: Any) -> Reply:
        return await self.call("POST", path, body)


async def fetch_token(
    session: aiohttp.ClientSession, emulator: Emulator, client_id: str | None = None, secret: str | None = None
) -> str:
    auth = {
        "Authorization": aiohttp.encode_basic_auth(client_id or emulator.client_id, secret or emulator.client_secret)
    }
    async with session.post(emulator.token_url, data={"grant_type": "client_credentials"}, headers=auth) as response:
        assert response.status == 200
        token: str = (await response.json())["access_token"]
    return token


@pytest.fixture
async def api(emulator: Emulator, session: aiohttp.ClientSession) -> Api:
    return Api(session, emulator, await fetch_token(session, emulator))


async def seed(api: Api) -> dict[str, Any]:
    """Roles, two users, an account and invoice ``inv_1`` (1000 USD payin, 300 USD payout)."""
    buyer = (await api.post("/roles", {"role": "buyer"})).data
    seller = (await api.post("/roles", {"role": "seller"})).data
    buyer_1 = (await api.post("/users", {"externalId": "buyer_1", "role": "buyer"})).data
    seller_1 = (await api.post("/users", {"externalId": "seller_1", "role": "seller"})).data
    account = (await api.post("/external-accounts", {"external_id": "bank_1", "name": "Operating"})).data
    invoice = (await api.post("/invoices", {"invoiceId": "inv_1", "lineItems": [PAYIN, PAYOUT]})).data
    return {
        "buyer": buyer,
        "seller": seller,
        "buyer_1": buyer_1,
        "seller_1": seller_1,
        "account": account,
        "invoice": invoice,
    }


def allocation(
    amount: str, user: Mapping[str, str], type: str = "invoice_payin", invoice_id: str = "inv_1"
) -> dict[str, Any]:
    return {"amount": amount, "invoice_id": invoice_id, "type": type, "user": dict(user)}


def transaction(
    external_id: str = "bank_txn_1",
    amount: str = "1000",
    allocations: list[dict[str, Any]] | None = None,
    account: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "account": dict(account or {"external_id": "bank_1"}),
        "allocations": allocations or [],
        "amount": amount,
        "currency": "USD",
        "external_id": external_id,
        "posted": POSTED,
    }


def amounts(expected: int, actual: int) -> dict[str, str]:
    return {"actual": str(actual), "expected": str(expected), "remaining": str(expected - actual)}


# --- routes ----------------------------------------------------------------------------------


async def test_every_operation_answers_on_its_method_and_path_with_a_data_envelope(api: Api) -> None:
    seeded = await seed(api)
    product = {"code": "seat", "description": "Seat licence", "paid_by_roles": [{"name": "buyer"}]}
    made = (
        await api.post("/transactions", transaction(allocations=[allocation("100", {"external_id": "buyer_1"})]))
    ).data
    update = {
        "line_items_update": [{"op": "update", "id": seeded["invoice"]["lineItems"][0]["id"], "amount": "900"}],
        "version": 1,
    }
    allocations = {"allocation_updates": [{"op": "delete", "id": made["allocations"][0]["id"]}], "version": 1}

    replies = {
        "invoices.create": await api.post("/invoices", {"invoiceId": "inv_2", "lineItems": [PAYIN]}),
        "invoices.retrieve": await api.get("/invoices/inv_1"),
        "invoices.update": await api.post("/invoices/inv_1", update),
        "invoices.list": await api.get("/invoices"),
        "invoices.list_history": await api.get("/invoices/inv_1/history"),
        "products.create": await api.post("/products", product),
        "products.retrieve": await api.get("/products/seat"),
        "products.list": await api.get("/products"),
        "roles.create": await api.post("/roles", {"role": "admin"}),
        "roles.list": await api.get("/roles"),
        "users.create": await api.post("/users", {"externalId": "buyer_2", "role": "buyer"}),
        "users.list": await api.get("/users"),
        "external_accounts.create": await api.post("/external-accounts", {"external_id": "bank_2", "name": "Savings"}),
        "external_accounts.list": await api.get("/external-accounts"),
        "transactions.create": await api.post("/transactions", transaction("bank_txn_2")),
        "transactions.retrieve": await api.get(f"/transactions/{made['id']}"),
        "transactions.list": await api.get("/transactions", account="bank_1", reconciliation_status="unreconciled"),
        "transactions.create_allocations": await api.post(f"/transactions/{made['id']}/allocations", allocations),
    }

    statuses = {name: reply.status for name, reply in replies.items()}
    assert statuses == {name: 201 if name.endswith(".create") else 200 for name in replies}
    assert all(set(reply.body) == {"data"} for reply in replies.values())
    # A strict converter fails on any key the response models do not know: the answers are the contract.
    strict = make_wire_converter(forbid_extra_keys=True)
    for name, reply in replies.items():
        strict.structure(reply.body, RESPONSES[name])
    lists = {name for name, reply in replies.items() if isinstance(reply.data, list)}
    assert lists == {
        "invoices.list",
        "invoices.list_history",
        "products.list",
        "roles.list",
        "users.list",
        "external_accounts.list",
        "transactions.list",
    }


async def test_an_unknown_path_answers_404_in_json(api: Api) -> None:
    reply = await api.get("/platform")

    assert reply.status == 404
    assert reply.error == {"type": "not_found", "message": "no endpoint GET /platform"}


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PATCH", "/invoices/inv_1", "GET, POST"),
        ("DELETE", "/transactions/txn_1", "GET"),
        ("PUT", "/external-accounts", "GET, POST"),
        ("GET", "/transactions/txn_1/allocations", "POST"),
        ("HEAD", "/roles", "GET, POST"),
    ],
)
async def test_a_method_the_path_does_not_have_answers_405_in_json(
    api: Api, method: str, path: str, allowed: str
) -> None:
    reply = await api.call(method, path)

    assert reply.status == 405
    assert reply.headers["Allow"] == allowed
    if method != "HEAD":  # a HEAD answer has no body
        assert reply.error["type"] == "method_not_allowed"


async def test_a_body_over_one_mebibyte_answers_413_in_json(api: Api, emulator: Emulator) -> None:
    big = b'{"invoiceId": "' + b"x" * (1024 * 1024) + b'"}'

    reply = await api.call("POST", "/invoices", data=big)

    assert reply.status == 413
    assert reply.error["type"] == "request_too_large"
    assert "1048576 bytes" in reply.error["message"]
    assert emulator.stats.status_count("/invoices", 413) == 1


async def test_an_id_is_one_percent_encoded_segment(api: Api) -> None:
    odd = "inv 1/é?x=%2F"
    created = await api.post("/invoices", {"invoiceId": odd, "lineItems": [PAYIN]})

    retrieved = await api.get("/invoices/" + quote(odd, safe=""))
    history = await api.get("/invoices/" + quote(odd, safe="") + "/history")
    as_two_segments = await api.get("/invoices/inv%201/%C3%A9%3Fx%3D%252F")

    assert created.data["id"] == odd
    assert retrieved.data["id"] == odd
    assert [snapshot["id"] for snapshot in history.data] == [odd]
    assert as_two_segments.status == 404


async def test_a_product_code_and_a_transaction_id_are_decoded_the_same_way(api: Api) -> None:
    await api.post("/roles", {"role": "buyer"})
    await api.post("/products", {"code": "a/b c", "description": "odd", "paid_by_roles": [{"name": "buyer"}]})

    assert (await api.get("/products/a%2Fb%20c")).data["code"] == "a/b c"
    assert (await api.get("/transactions/txn%2F1")).error["message"] == "no transaction 'txn/1' in this workspace"


async def test_a_path_segment_that_is_not_utf8_answers_400(api: Api) -> None:
    reply = await api.get("/invoices/%FF")

    assert reply.status == 400
    assert "not percent-encoded UTF-8" in reply.error["message"]


@pytest.mark.parametrize("path", ["/invoices", "/roles", "/invoices/inv_1"])
async def test_query_parameters_are_refused_where_the_api_takes_none(api: Api, path: str) -> None:
    reply = await api.get(path, limit="10")

    assert reply.status == 400
    assert reply.error["errors"] == [{"path": "limit", "message": "unknown query parameter; this endpoint takes none"}]


# --- authentication, faults and stats --------------------------------------------------------


@pytest.mark.parametrize("path", ["/invoices", "/roles", "/transactions/txn_1", "/invoices/inv_1/history"])
async def test_an_unauthenticated_request_gets_401_before_any_fault_is_drawn(
    session: aiohttp.ClientSession, path: str
) -> None:
    async with Emulator(faults=Faults(server_error=1.0, reset_before_commit=1.0)) as emulator:
        anonymous = Api(session, emulator, token=None)
        forged = Api(session, emulator, token="forged")

        replies = [await anonymous.get(path), await forged.get(path)]

        assert [reply.status for reply in replies] == [401, 401]
        assert replies[0].error["type"] == "authentication_error"
        assert emulator.stats.faults == {}
        authenticated = Api(session, emulator, await fetch_token(session, emulator))
        assert (await authenticated.get(path)).status == 500


async def test_an_unauthenticated_request_takes_no_rate_limit_token(session: aiohttp.ClientSession) -> None:
    async with Emulator(rate_limit=RateLimit(rate=0.01, burst=1)) as emulator:
        anonymous = Api(session, emulator, token=None)
        for _ in range(3):
            assert (await anonymous.get("/roles")).status == 401
        api = Api(session, emulator, await fetch_token(session, emulator))

        first, second = await api.get("/roles"), await api.get("/roles")

        assert (first.status, second.status) == (200, 429)
        assert emulator.stats.faults == {"throttled": 1}


async def test_faults_apply_to_every_operation_not_only_creates(session: aiohttp.ClientSession) -> None:
    async with Emulator(faults=Faults(rate_limited=1.0, retry_after_ms=7)) as emulator:
        api = Api(session, emulator, await fetch_token(session, emulator))

        reply = await api.get("/external-accounts")

        assert reply.status == 429
        assert reply.headers["retry-after-ms"] == "7"
        assert emulator.stats.faults == {"rate_limited": 1}


async def test_stats_count_answered_requests_only_under_route_templates(session: aiohttp.ClientSession) -> None:
    async with Emulator(faults=Faults(reset_before_commit=1.0)) as emulator:
        api = Api(session, emulator, await fetch_token(session, emulator))
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await api.post("/roles", {"role": "buyer"})  # a POST: aiohttp resends a GET on a lost connection
        emulator.faults = Faults()

        await api.get("/invoices/inv_1")
        await api.get("/invoices/inv_2")
        await api.get("/nowhere")

        stats = emulator.stats
        assert stats.requests == {"/oauth2/token": 1, "/invoices/{id}": 2}
        assert stats.statuses == {"/oauth2/token": {200: 1}, "/invoices/{id}": {404: 2}}
        assert stats.faults == {"reset_before_commit": 1}


async def test_an_error_answer_is_never_slowed_or_dropped_by_a_fault(session: aiohttp.ClientSession) -> None:
    async with Emulator(faults=Faults(reset_after_commit=1.0)) as emulator:
        api = Api(session, emulator, await fetch_token(session, emulator))

        reply = await api.get("/invoices/missing")

        assert reply.status == 404
        assert emulator.stats.faults == {}


# --- the emulator refuses wire keys the API does not use -------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "bad_path"),
    [
        ("/invoices", {"invoice_id": "inv_9", "lineItems": [PAYIN]}, "invoice_id"),
        ("/invoices", {"invoiceId": "inv_9", "line_items": [PAYIN]}, "line_items"),
        ("/users", {"external_id": "u", "role": "buyer"}, "external_id"),
        ("/external-accounts", {"externalId": "bank_9", "name": "n"}, "externalId"),
        ("/transactions", {**transaction(), "currencyCode": "USD"}, "currencyCode"),
    ],
)
async def test_a_key_the_api_does_not_use_is_refused(
    api: Api, emulator: Emulator, path: str, body: dict[str, Any], bad_path: str
) -> None:
    reply = await api.post(path, body)

    assert reply.status == 400
    assert reply.error["type"] == "validation_error"
    assert bad_path in [error["path"] for error in reply.error["errors"]]
    assert emulator.invoices() == [] and emulator.users() == []


async def test_a_create_line_item_key_is_refused_inside_an_update(api: Api) -> None:
    await api.post("/invoices", {"invoiceId": "inv_1", "lineItems": [PAYIN]})
    add = {"op": "add", **PAYIN}  # currencyCode: the create's spelling, not the update's currency_code

    reply = await api.post("/invoices/inv_1", {"line_items_update": [add], "version": 1})

    assert reply.status == 400
    assert "line_items_update[0].currencyCode" in [error["path"] for error in reply.error["errors"]]


# --- invoices --------------------------------------------------------------------------------


async def test_update_applies_its_operations_in_order_and_increments_the_version(api: Api) -> None:
    created = (await api.post("/invoices", {"invoiceId": "inv_1", "lineItems": [PAYIN, PAYOUT]})).data
    payin, payout = created["lineItems"]
    add = {**FEE, "currency_code": "EUR"}
    operations = [{"op": "update", "id": payin["id"], "amount": "1500"}, {"op": "delete", "id": payout["id"]}, add]

    updated = (await api.post("/invoices/inv_1", {"line_items_update": operations, "version": 1})).data

    assert updated["version"] == 2
    assert updated["created"] == created["created"]
    assert datetime.fromisoformat(updated["modified"]) >= datetime.fromisoformat(created["modified"])
    items = updated["lineItems"]
    assert [(item["id"], item["amount"]) for item in items[:1]] == [(payin["id"], "1500")]
    assert {key: items[1][key] for key in ("amount", "currencyCode", "type")} == {
        "amount": "50",
        "currencyCode": "EUR",
        "type": "payin",
    }
    assert items[1]["id"] not in (payin["id"], payout["id"])
    assert len(items) == 2
    assert (await api.get("/invoices/inv_1")).data["version"] == 2


async def test_an_update_with_a_stale_version_answers_409_that_must_not_be_retried(api: Api) -> None:
    created = (await api.post("/invoices", {"invoiceId": "inv_1", "lineItems": [PAYIN]})).data
    change = {"line_items_update": [{"op": "update", "id": created["lineItems"][0]["id"], "amount": "5"}], "version": 1}
    await api.post("/invoices/inv_1", change)

    stale = await api.post("/invoices/inv_1", change)

    assert stale.status == 409
    assert stale.headers["x-should-retry"] == "false"
    assert stale.error == {
        "type": "version_conflict",
        "message": "invoice 'inv_1' is at version 2, the request was made against version 1",
    }
    assert (await api.get("/invoices/inv_1")).data["version"] == 2


async def test_an_update_naming_an_unknown_line_item_answers_400_and_changes_nothing(api: Api) -> None:
    created = (await api.post("/invoices", {"invoiceId": "inv_1", "lineItems": [PAYIN]})).data
    known = created["lineItems"][0]["id"]
    operations = [
        {"op": "delete", "id": known},
        {"op": "update", "id": known, "amount": "1"},  # deleted just before, in the same update
        {"op": "delete", "id": "li_nope"},
    ]

    reply = await api.post("/invoices/inv_1", {"line_items_update": operations, "version": 1})

    assert reply.status == 400
    assert reply.error["type"] == "invalid_reference"
    assert reply.error["errors"] == [
        {"path": "line_items_update[1].id", "message": f"no line item {known!r} on invoice 'inv_1'"},
        {"path": "line_items_update[2].id", "message": "no line item 'li_nope' on invoice 'inv_1'"},
    ]
    assert (await api.get("/invoices/inv_1")).data["lineItems"] == created["lineItems"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/invoices/nope", None),
        ("GET", "/invoices/nope/history", None),
        ("POST", "/invoices/nope", {"line_items_update": [{"op": "delete", "id": "li"}], "version": 1}),
    ],
)
async def test_an_unknown_invoice_answers_404(api: Api, method: str, path: str, body: Any) -> None:
    reply = await api.call(method, path, body)

    assert reply.status == 404
    assert reply.error == {"type": "not_found", "message": "no invoice 'nope' in this workspace"}


async def test_list_gives_the_invoices_at_their_current_version_in_creation_order(api: Api, emulator: Emulator) -> None:
    created = [(await api.post("/invoices", {"invoiceId": i, "lineItems": [PAYIN]})).data for i in ("inv_b", "inv_a")]
    change = [{"op": "update", "id": created[0]["lineItems"][0]["id"], "amount": "1"}]
    await api.post("/invoices/inv_b", {"line_items_update": change, "version": 1})

    listed = (await api.get("/invoices")).data

    assert [(invoice["id"], invoice["version"]) for invoice in listed] == [("inv_b", 2), ("inv_a", 1)]
    assert listed == emulator.invoices()


async def test_an_identical_create_after_an_update_replays_the_invoice_as_it_is_now(api: Api) -> None:
    body = {"invoiceId": "inv_1", "lineItems": [PAYIN]}
    created = (await api.post("/invoices", body)).data
    change = {"line_items_update": [{"op": "update", "id": created["lineItems"][0]["id"], "amount": "7"}], "version": 1}
    updated = (await api.post("/invoices/inv_1", change)).data

    replay = await api.post("/invoices", body)

    assert replay.status == 200
    assert replay.data == updated


async def test_history_has_one_snapshot_per_version_with_the_cumulative_diff(api: Api) -> None:
    created = (await api.post("/invoices", {"invoiceId": "inv_1", "lineItems": [PAYIN, PAYOUT]})).data
    payin, payout = created["lineItems"]
    second = (await api.post("/invoices/inv_1", {"line_items_update": [FEE], "version": 1})).data
    added = second["lineItems"][2]
    changes = [{"op": "update", "id": payin["id"], "amount": "900"}, {"op": "delete", "id": payout["id"]}]
    await api.post("/invoices/inv_1", {"line_items_update": changes, "version": 2})
    await api.post("/invoices/inv_1", {"line_items_update": [{"op": "delete", "id": added["id"]}], "version": 3})

    history = (await api.get("/invoices/inv_1/history")).data

    assert [snapshot["version"] for snapshot in history] == [1, 2, 3, 4]
    assert [snapshot["diff"] for snapshot in history] == [
        [],
        [{"op": "add", "item": added}],
        [
            {"op": "update", "id": payin["id"], "old_amount": "1000", "new_amount": "900"},
            {"op": "delete", "item": payout},
            {"op": "add", "item": added},
        ],
        # The fee was added and then deleted: the net change since version 1 does not show it.
        [
            {"op": "update", "id": payin["id"], "old_amount": "1000", "new_amount": "900"},
            {"op": "delete", "item": payout},
        ],
    ]
    assert history[0]["lineItems"] == created["lineItems"]
    assert [len(snapshot["lineItems"]) for snapshot in history] == [2, 3, 2, 1]
    assert {snapshot["created"] for snapshot in history} == {created["created"]}
    assert all(snapshot["workspaceId"] == "ws_test" and snapshot["status"] == "active" for snapshot in history)


async def test_retrieve_gives_balances_per_currency_and_per_user(api: Api) -> None:
    seeded = await seed(api)
    buyer = {"external_id": "buyer_1"}
    eur_fee = {**FEE, "amount": "20", "currency_code": "EUR"}
    await api.post("/invoices/inv_1", {"line_items_update": [eur_fee], "version": 1})
    await api.post("/transactions", transaction("in_1", "600", [allocation("600", buyer)]))
    seller_paid = allocation("300", {"id": seeded["seller_1"]["id"]}, "invoice_payout")
    await api.post("/transactions", transaction("out_1", "-300", [seller_paid]))
    await api.post("/invoices", {"invoiceId": "inv_other", "lineItems": [PAYIN]})
    await api.post("/transactions", transaction("elsewhere", "5", [allocation("5", buyer, invoice_id="inv_other")]))

    data = (await api.get("/invoices/inv_1")).data

    usd = {"currency": "USD", "payins": amounts(1000, 600), "payouts": amounts(300, 300), "net": amounts(700, 300)}
    eur = {"currency": "EUR", "payins": amounts(20, 0), "payouts": amounts(0, 0), "net": amounts(20, 0)}
    assert data["balances"] == [usd, eur]
    buyer_usd = {"currency": "USD", "payins": amounts(1000, 600), "payouts": amounts(0, 0), "net": amounts(1000, 600)}
    seller_usd = {"currency": "USD", "payins": amounts(0, 0), "payouts": amounts(300, 300), "net": amounts(-300, -300)}
    assert data["users"] == [
        {"id": "buyer_1", "balances": [buyer_usd, eur]},
        {"id": "seller_1", "balances": [seller_usd]},
    ]
    assert data["version"] == 2
    assert len(data["lineItems"]) == 3


# --- products, roles, users, external accounts -----------------------------------------------


async def test_roles_are_unique_by_name_and_a_repeat_replays_the_stored_role(api: Api) -> None:
    first = await api.post("/roles", {"role": "buyer"})
    again = await api.post("/roles", {"role": "buyer"})

    assert (first.status, again.status) == (201, 200)
    assert again.data == first.data
    assert first.data["id"].startswith("role_")
    assert (await api.get("/roles")).data == [first.data]


async def test_users_are_unique_by_external_id_and_need_an_existing_role(api: Api, emulator: Emulator) -> None:
    await api.post("/roles", {"role": "buyer"})
    await api.post("/roles", {"role": "seller"})

    created = await api.post("/users", {"externalId": "u_1", "role": "buyer"})
    replay = await api.post("/users", {"externalId": "u_1", "role": "buyer"})
    conflict = await api.post("/users", {"externalId": "u_1", "role": "seller"})
    unknown_role = await api.post("/users", {"externalId": "u_2", "role": "admin"})

    assert (created.status, replay.status, conflict.status, unknown_role.status) == (201, 200, 409, 400)
    assert created.data == {"id": created.data["id"], "externalId": "u_1", "role": "buyer"}
    assert replay.data == created.data
    assert conflict.headers["x-should-retry"] == "false"
    assert conflict.error["message"] == "user 'u_1' already exists with role 'buyer'"
    assert unknown_role.error["errors"] == [{"path": "role", "message": "no role named 'admin' in this workspace"}]
    assert (await api.get("/users")).data == emulator.users() == [created.data]


async def test_products_are_unique_by_code_and_name_roles_by_id_or_name(api: Api) -> None:
    buyer = (await api.post("/roles", {"role": "buyer"})).data
    seller = (await api.post("/roles", {"role": "seller"})).data
    body = {
        "code": "seat",
        "description": "Seat licence",
        "paid_by_roles": [{"name": "buyer"}],
        "paid_to_roles": [{"id": seller["id"]}],
    }

    created = await api.post("/products", body)
    same_roles_named_otherwise = await api.post(
        "/products", {**body, "paid_by_roles": [{"id": buyer["id"]}], "paid_to_roles": [{"name": "seller"}]}
    )
    different = await api.post("/products", {**body, "description": "Another"})

    assert (created.status, same_roles_named_otherwise.status, different.status) == (201, 200, 409)
    product = created.data
    assert product["paid_by_roles"] == [{"id": buyer["id"], "name": "buyer"}]
    assert product["paid_to_roles"] == [{"id": seller["id"], "name": "seller"}]
    assert (product["code"], product["updateVersion"], product["workspaceId"]) == ("seat", 1, "ws_test")
    assert product["id"].startswith("prod_")
    assert same_roles_named_otherwise.data == product
    assert (await api.get("/products/seat")).data == product
    assert (await api.get("/products")).data == [product]


async def test_a_product_naming_a_missing_role_answers_400_for_each(api: Api, emulator: Emulator) -> None:
    await api.post("/roles", {"role": "buyer"})
    body = {
        "code": "seat",
        "description": "d",
        "paid_by_roles": [{"name": "buyer"}, {"name": "ghost"}],
        "paid_to_roles": [{"id": "role_nope"}],
    }

    reply = await api.post("/products", body)

    assert reply.status == 400
    assert reply.error["type"] == "invalid_reference"
    assert reply.error["errors"] == [
        {"path": "paid_by_roles[1].name", "message": "no role named 'ghost' in this workspace"},
        {"path": "paid_to_roles[0].id", "message": "no role with id 'role_nope' in this workspace"},
    ]
    assert emulator.products() == []


async def test_an_unknown_product_code_answers_404(api: Api) -> None:
    reply = await api.get("/products/nope")

    assert reply.status == 404
    assert reply.error["message"] == "no product 'nope' in this workspace"


async def test_external_accounts_are_unique_by_external_id(api: Api) -> None:
    created = await api.post("/external-accounts", {"external_id": "bank_1", "name": "Operating"})
    replay = await api.post("/external-accounts", {"external_id": "bank_1", "name": "Operating"})
    renamed = await api.post("/external-accounts", {"external_id": "bank_1", "name": "Savings"})

    assert (created.status, replay.status, renamed.status) == (201, 200, 409)
    assert created.data == {"id": created.data["id"], "external_id": "bank_1", "name": "Operating"}
    assert created.data["id"].startswith("ext_account_")
    assert replay.data == created.data
    assert (await api.get("/external-accounts")).data == [created.data]


# --- transactions ----------------------------------------------------------------------------


async def test_a_transaction_resolves_its_account_and_users_and_gives_each_allocation_an_id(api: Api) -> None:
    seeded = await seed(api)
    account_id = seeded["account"]["id"]
    allocations = [allocation("600", {"external_id": "buyer_1"}), allocation("100", {"id": seeded["buyer_1"]["id"]})]

    reply = await api.post("/transactions", transaction(allocations=allocations, account={"id": account_id}))

    assert reply.status == 201
    data = reply.data
    assert data["account"] == {"id": account_id, "external_id": "bank_1"}
    assert [a["user"] for a in data["allocations"]] == [{"id": seeded["buyer_1"]["id"], "external_id": "buyer_1"}] * 2
    assert [a["amount"] for a in data["allocations"]] == ["600", "100"]
    assert len({a["id"] for a in data["allocations"]}) == 2
    assert all(a["id"].startswith("alloc_") for a in data["allocations"])
    assert (data["amount"], data["currency"], data["unallocated_amount"], data["version"]) == ("1000", "USD", "300", 1)
    assert datetime.fromisoformat(data["posted"]) == datetime.fromisoformat(POSTED)
    assert data["modified"] == data["created"]
    assert data["id"].startswith("txn_")
    assert (await api.get(f"/transactions/{data['id']}")).data == data


@pytest.mark.parametrize(
    ("amount", "allocated", "unallocated"),
    [("1000", "1000", "0"), ("-1000", "400", "-600"), ("-1000", "1000", "0"), ("0", None, "0")],
)
async def test_allocations_count_against_the_absolute_amount_and_the_rest_keeps_its_sign(
    api: Api, amount: str, allocated: str | None, unallocated: str
) -> None:
    await seed(api)
    allocations = [allocation(allocated, {"external_id": "buyer_1"})] if allocated else []

    data = (await api.post("/transactions", transaction(amount=amount, allocations=allocations))).data

    assert data["unallocated_amount"] == unallocated


async def test_allocations_beyond_the_amount_answer_400(api: Api, emulator: Emulator) -> None:
    await seed(api)
    allocations = [allocation("700", {"external_id": "buyer_1"}), allocation("400", {"external_id": "buyer_1"})]

    reply = await api.post("/transactions", transaction(amount="-1000", allocations=allocations))

    assert reply.status == 400
    assert reply.error["errors"] == [
        {"path": "allocations", "message": "the allocations add up to 1100, more than the transaction's amount -1000"}
    ]
    assert emulator.transactions() == []


async def test_a_transaction_naming_what_does_not_exist_answers_400_for_each(api: Api, emulator: Emulator) -> None:
    await seed(api)
    allocations = [
        allocation("1", {"external_id": "ghost"}),
        allocation("1", {"id": "user_nope"}, invoice_id="inv_nope"),
    ]

    unknown_account = await api.post("/transactions", transaction(account={"external_id": "bank_nope"}))
    bad_allocations = await api.post("/transactions", transaction(allocations=allocations))

    assert unknown_account.status == bad_allocations.status == 400
    assert unknown_account.error["errors"] == [
        {"path": "account.external_id", "message": "no external account with external_id 'bank_nope' in this workspace"}
    ]
    assert bad_allocations.error["errors"] == [
        {"path": "allocations[0].user.external_id", "message": "no user with external_id 'ghost' in this workspace"},
        {"path": "allocations[1].invoice_id", "message": "no invoice 'inv_nope' in this workspace"},
        {"path": "allocations[1].user.id", "message": "no user with id 'user_nope' in this workspace"},
    ]
    assert emulator.transactions() == []


async def test_an_account_named_by_id_and_external_id_of_two_accounts_answers_400(api: Api) -> None:
    seeded = await seed(api)
    await api.post("/external-accounts", {"external_id": "bank_2", "name": "Savings"})

    reply = await api.post(
        "/transactions", transaction(account={"id": seeded["account"]["id"], "external_id": "bank_2"})
    )

    assert reply.status == 400
    assert reply.error["errors"][0]["path"] == "account"


async def test_transactions_are_idempotent_by_external_id(api: Api, emulator: Emulator) -> None:
    seeded = await seed(api)
    body = transaction(allocations=[allocation("100", {"external_id": "buyer_1"})])
    created = await api.post("/transactions", body)

    # The same transaction, its references spelled by id instead of external_id.
    same = transaction(
        allocations=[allocation("100", {"id": seeded["buyer_1"]["id"]})], account={"id": seeded["account"]["id"]}
    )
    replay = await api.post("/transactions", same)
    different = await api.post("/transactions", {**body, "amount": "999"})

    assert (created.status, replay.status, different.status) == (201, 200, 409)
    assert replay.data == created.data
    assert different.headers["x-should-retry"] == "false"
    assert different.error["message"] == "transaction 'bank_txn_1' already exists with different content"
    assert len(emulator.transactions()) == 1


async def test_a_posted_time_is_compared_as_an_instant_not_as_text(api: Api) -> None:
    await seed(api)
    created = await api.post("/transactions", {**transaction(), "posted": "2026-02-12T09:30:00Z"})

    replay = await api.post("/transactions", {**transaction(), "posted": "2026-02-12T10:30:00+01:00"})
    later = await api.post("/transactions", {**transaction(), "posted": "2026-02-12T10:30:00Z"})

    assert (created.status, replay.status, later.status) == (201, 200, 409)
    assert created.data["posted"] == "2026-02-12T09:30:00+00:00"


async def test_create_allocations_adds_and_deletes_and_increments_the_version(api: Api) -> None:
    await seed(api)
    created = (
        await api.post("/transactions", transaction(allocations=[allocation("100", {"external_id": "buyer_1"})]))
    ).data
    first = created["allocations"][0]
    updates = [
        {"op": "delete", "id": first["id"]},
        {"op": "add", **allocation("1000", {"external_id": "buyer_1"})},
    ]

    updated = (
        await api.post(f"/transactions/{created['id']}/allocations", {"allocation_updates": updates, "version": 1})
    ).data

    assert updated["version"] == 2
    assert [a["amount"] for a in updated["allocations"]] == ["1000"]
    assert updated["allocations"][0]["id"] != first["id"]
    assert updated["unallocated_amount"] == "0"
    assert datetime.fromisoformat(updated["modified"]) >= datetime.fromisoformat(created["modified"])
    assert updated["created"] == created["created"]
    assert (await api.get(f"/transactions/{created['id']}")).data == updated


async def test_create_allocations_with_a_stale_version_answers_409_that_must_not_be_retried(api: Api) -> None:
    await seed(api)
    created = (await api.post("/transactions", transaction())).data
    add = {"allocation_updates": [{"op": "add", **allocation("1", {"external_id": "buyer_1"})}], "version": 1}
    path = f"/transactions/{created['id']}/allocations"
    await api.post(path, add)

    stale = await api.post(path, add)

    assert stale.status == 409
    assert stale.headers["x-should-retry"] == "false"
    assert stale.error["type"] == "version_conflict"
    assert (await api.get(f"/transactions/{created['id']}")).data["version"] == 2


async def test_create_allocations_refuses_unknown_allocations_and_overallocation(api: Api) -> None:
    await seed(api)
    created = (await api.post("/transactions", transaction(amount="100"))).data
    path = f"/transactions/{created['id']}/allocations"

    unknown = await api.post(path, {"allocation_updates": [{"op": "delete", "id": "alloc_nope"}], "version": 1})
    too_much = await api.post(
        path, {"allocation_updates": [{"op": "add", **allocation("101", {"external_id": "buyer_1"})}], "version": 1}
    )
    delete = {"allocation_updates": [{"op": "delete", "id": "alloc_1"}], "version": 1}
    missing = await api.post("/transactions/txn_nope/allocations", delete)

    assert unknown.status == too_much.status == 400
    assert unknown.error["errors"] == [
        {"path": "allocation_updates[0].id", "message": f"no allocation 'alloc_nope' on transaction {created['id']!r}"}
    ]
    assert too_much.error["errors"][0]["path"] == "allocation_updates"
    assert missing.status == 404
    assert (await api.get(f"/transactions/{created['id']}")).data == created


async def test_list_filters_by_account_and_reconciliation_status(api: Api) -> None:
    seeded = await seed(api)
    await api.post("/external-accounts", {"external_id": "bank_2", "name": "Savings"})
    reconciled = (
        await api.post("/transactions", transaction("t1", "100", [allocation("100", {"external_id": "buyer_1"})]))
    ).data
    open_1 = (await api.post("/transactions", transaction("t2", "100"))).data
    other = (await api.post("/transactions", transaction("t3", "5", account={"external_id": "bank_2"}))).data

    async def ids(**query: str) -> list[str]:
        return [item["external_id"] for item in (await api.get("/transactions", **query)).data]

    assert await ids() == ["t1", "t2", "t3"]
    assert await ids(account="bank_1") == ["t1", "t2"]
    assert await ids(account=seeded["account"]["id"]) == ["t1", "t2"]
    assert await ids(account="bank_nope") == []
    assert await ids(reconciliation_status="reconciled") == ["t1"]
    assert await ids(reconciliation_status="unreconciled") == ["t2", "t3"]
    assert await ids(account="bank_2", reconciliation_status="unreconciled") == ["t3"]
    assert {reconciled["id"], open_1["id"], other["id"]} == {
        item["id"] for item in (await api.get("/transactions")).data
    }


@pytest.mark.parametrize(
    "query",
    [{"reconciliation_status": "bogus"}, {"limit": "5"}, {"reconciliation-status": "reconciled"}],
)
async def test_list_refuses_a_query_the_api_does_not_take(api: Api, query: dict[str, str]) -> None:
    reply = await api.get("/transactions", **query)

    assert reply.status == 400
    assert reply.error["type"] == "validation_error"
    assert reply.error["errors"][0]["path"] == next(iter(query))


async def test_list_refuses_a_filter_given_twice(api: Api) -> None:
    reply = await api.call("GET", "/transactions?account=a&account=b")

    assert reply.status == 400
    assert reply.error["errors"] == [{"path": "account", "message": "given more than once; give it once"}]


async def test_an_unknown_transaction_answers_404(api: Api) -> None:
    reply = await api.get("/transactions/txn_nope")

    assert reply.status == 404
    assert reply.error == {"type": "not_found", "message": "no transaction 'txn_nope' in this workspace"}


# --- workspaces --------------------------------------------------------------------------------


async def test_workspaces_are_isolated_for_every_resource(session: aiohttp.ClientSession) -> None:
    clients = {"alice": ("alice-secret", "ws_alice"), "bob": ("bob-secret", "ws_bob")}
    async with Emulator(clients=clients) as emulator:
        alice = Api(session, emulator, await fetch_token(session, emulator, "alice", "alice-secret"))
        bob = Api(session, emulator, await fetch_token(session, emulator, "bob", "bob-secret"))
        seeded = await seed(alice)
        made = (await alice.post("/transactions", transaction())).data
        await alice.post("/products", {"code": "seat", "description": "d", "paid_by_roles": [{"name": "buyer"}]})

        # Bob sees nothing of Alice's...
        for path in ("/invoices", "/products", "/roles", "/users", "/external-accounts", "/transactions"):
            assert (await bob.get(path)).data == [], path
        for path in ("/invoices/inv_1", "/invoices/inv_1/history", "/products/seat", f"/transactions/{made['id']}"):
            assert (await bob.get(path)).status == 404, path
        assert (await bob.get("/transactions", account=seeded["account"]["id"])).data == []
        # ...cannot use it...
        assert (await bob.post("/users", {"externalId": "buyer_1", "role": "buyer"})).status == 400
        assert (await bob.post("/transactions", transaction(account={"id": seeded["account"]["id"]}))).status == 400
        # ...and can reuse Alice's keys for his own, with different content.
        assert (await bob.post("/roles", {"role": "buyer"})).status == 201
        assert (await bob.post("/external-accounts", {"external_id": "bank_1", "name": "Bob's"})).status == 201
        assert (await bob.post("/invoices", {"invoiceId": "inv_1", "lineItems": [PAYOUT]})).status == 201

        assert [account["name"] for account in emulator.external_accounts("ws_bob")] == ["Bob's"]
        assert [account["name"] for account in emulator.external_accounts()] == ["Operating", "Bob's"]
        assert len(emulator.roles("ws_alice")) == 2 and len(emulator.roles("ws_bob")) == 1


# --- what tests can look at ------------------------------------------------------------------


async def test_accessors_and_admin_paths_show_each_kind_and_reset_forgets_all(
    api: Api, emulator: Emulator, session: aiohttp.ClientSession
) -> None:
    await seed(api)
    await api.post("/products", {"code": "seat", "description": "d", "paid_by_roles": [{"name": "buyer"}]})
    await api.post("/transactions", transaction())
    admin = f"{emulator.base_url}/_emulator"
    accessors = {
        "invoices": emulator.invoices,
        "products": emulator.products,
        "roles": emulator.roles,
        "users": emulator.users,
        "external-accounts": emulator.external_accounts,
        "transactions": emulator.transactions,
    }

    for path, accessor in accessors.items():
        listed = await api.get(f"/{path}")
        async with session.get(f"{admin}/{path}") as response:
            shown = await response.json()
        assert listed.data == accessor() == accessor("ws_test") == shown["data"], path
        assert len(listed.data) >= 1 and accessor("ws_other") == [], path

    emulator.reset()

    assert all(accessor() == [] for accessor in accessors.values())
