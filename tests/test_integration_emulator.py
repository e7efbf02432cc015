"""The SDK against the emulator over real sockets: auth, idempotency, isolation, faults, validation."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
import pytest

from fragment import AsyncFragment, AuthenticationError, ConflictError, ValidationError
from fragment._wire import renames_of
from fragment.testing import Emulator, Faults, RateLimit, instant_retries
from fragment.types import InvoiceCreateParams, LineItem

MakeInvoice = Callable[[int], dict[str, Any]]


def use_emulator_env(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> None:
    """Point ``Fragment()``/``AsyncFragment()`` without arguments at the emulator."""
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)


# --- the seed's example ----------------------------------------------------------------------


async def test_the_seed_example_runs_with_settings_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], seed_invoice: dict[str, Any]
) -> None:
    async with Emulator() as emulator:
        use_emulator_env(monkeypatch, emulator)

        client = AsyncFragment()
        invoice = await client.invoices.create(**seed_invoice)
        print(invoice.data)
        await client.close()

        assert "(id='invoice_2024_001', created=datetime.datetime(" in capsys.readouterr().out
        assert emulator.invoices() == [invoice.to_dict()["data"]]


# --- tokens ----------------------------------------------------------------------------------


async def test_the_client_fetches_one_token_and_reuses_it(make_invoice: MakeInvoice) -> None:
    async with Emulator() as emulator, AsyncFragment(**emulator.client_options()) as client:
        for number in range(3):
            await client.invoices.create(**make_invoice(number))

        assert emulator.stats.tokens_issued == 1
        assert emulator.stats.status_count("/invoices", 201) == 3


async def test_an_expiring_token_is_refreshed_before_it_is_refused(make_invoice: MakeInvoice) -> None:
    async with (
        Emulator(token_lifetime=0.3) as emulator,
        AsyncFragment(**emulator.client_options()) as client,
    ):
        await client.invoices.create(**make_invoice(1))
        await asyncio.sleep(0.35)  # only the passing of time expires a token
        await client.invoices.create(**make_invoice(2))

        assert emulator.stats.tokens_issued == 2
        assert emulator.stats.status_count("/invoices", 401) == 0
        assert len(emulator.invoices()) == 2


async def test_a_wrong_secret_raises_authentication_error_and_sends_no_invoice(make_invoice: MakeInvoice) -> None:
    async with Emulator() as emulator:
        options = emulator.client_options()
        options["client_secret"] = "not-the-secret"
        async with AsyncFragment(**options, max_retries=3) as client:
            with pytest.raises(AuthenticationError) as caught:
                await client.invoices.create(**make_invoice(1))

        assert caught.value.status_code == 401
        assert "not-the-secret" not in str(caught.value)
        assert emulator.stats.requests == {"/oauth2/token": 1}  # a 401 is final: no retries


# --- idempotency and workspaces --------------------------------------------------------------


async def test_replaying_a_create_returns_the_same_invoice_and_version(
    fragment_emulator: Emulator, make_invoice: MakeInvoice
) -> None:
    async with AsyncFragment(**fragment_emulator.client_options()) as client:
        first = await client.invoices.create(**make_invoice(1))
        again = await client.invoices.create(**make_invoice(1))

    assert again == first  # same line item ids, timestamps and version
    assert again.data.version == 1
    assert fragment_emulator.stats.status_count("/invoices", 201) == 1
    assert fragment_emulator.stats.status_count("/invoices", 200) == 1
    assert len(fragment_emulator.invoices()) == 1


async def test_reusing_an_id_for_another_invoice_raises_conflict_without_retrying(
    fragment_emulator: Emulator, make_invoice: MakeInvoice, seed_line_item: dict[str, Any]
) -> None:
    async with AsyncFragment(**fragment_emulator.client_options(), max_retries=5) as client:
        first = await client.invoices.create(**make_invoice(1))
        changed = {**make_invoice(1), "line_items": [{**seed_line_item, "amount": "999999"}]}

        with pytest.raises(ConflictError) as caught:
            await client.invoices.create(**changed)

    assert "already exists with different content" in str(caught.value)
    assert fragment_emulator.stats.status_count("/invoices", 409) == 1
    assert fragment_emulator.invoices() == [first.to_dict()["data"]]


async def test_two_workspaces_keep_the_same_invoice_id_apart(
    make_invoice: MakeInvoice, seed_line_item: dict[str, Any]
) -> None:
    clients = {"acme": ("acme-secret", "ws_acme"), "globex": ("globex-secret", "ws_globex")}
    async with (
        Emulator(clients=clients) as emulator,
        AsyncFragment(**emulator.client_options("acme")) as acme,
        AsyncFragment(**emulator.client_options("globex")) as globex,
    ):
        mine = await acme.invoices.create(**make_invoice(1))
        theirs = await globex.invoices.create(
            invoice_id=make_invoice(1)["invoice_id"], line_items=[{**seed_line_item, "amount": "5"}]
        )

        assert (mine.data.workspace_id, theirs.data.workspace_id) == ("ws_acme", "ws_globex")
        assert mine.data.id == theirs.data.id
        assert emulator.invoices("ws_acme") == [mine.to_dict()["data"]]
        assert emulator.invoices("ws_globex") == [theirs.to_dict()["data"]]


# --- faults ----------------------------------------------------------------------------------

FAULTS = {
    "server_error": Faults(server_error=0.3, retry_after_ms=10, seed=3),
    "rate_limited": Faults(rate_limited=0.4, retry_after_ms=10, seed=3),
    "reset_before_commit": Faults(reset_before_commit=0.3, seed=3),
    "reset_after_commit": Faults(reset_after_commit=0.3, seed=3),
    "slow": Faults(slow=0.3, slow_seconds=5.0, seed=3),
}
"""One fault kind each; the seed fixes which of the sequential requests fail."""


@pytest.mark.usefixtures("fragment_instant_retries")
@pytest.mark.parametrize("kind", sorted(FAULTS))
async def test_every_fault_is_recovered_by_retries_and_each_invoice_stored_once(
    kind: str, make_invoice: MakeInvoice
) -> None:
    invoices = [make_invoice(number) for number in range(8)]
    async with (
        Emulator(faults=FAULTS[kind]) as emulator,
        AsyncFragment(**emulator.client_options(), timeout=0.3, max_retries=8) as client,
    ):
        # One after the other, so the seeded draws meet the requests in a fixed order.
        responses = [await client.invoices.create(**item) for item in invoices]

        stored = emulator.invoices()
        assert emulator.stats.faults.get(kind, 0) >= 1
        assert set(emulator.stats.faults) == {kind}
    assert [entry["id"] for entry in stored] == [item["invoice_id"] for item in invoices]
    # Every caller got the stored invoice, also when the answer to its first try was lost.
    assert [response.to_dict()["data"] for response in responses] == stored


@pytest.mark.usefixtures("fragment_instant_retries")
async def test_all_faults_at_once_under_concurrency_lose_and_double_nothing(
    make_invoice: MakeInvoice, every_fault: Callable[..., Faults]
) -> None:
    faults = every_fault(0.08, slow_seconds=5.0, retry_after_ms=10, seed=11)
    invoices = [make_invoice(number) for number in range(30)]
    async with (
        Emulator(faults=faults) as emulator,
        AsyncFragment(**emulator.client_options(), timeout=0.3, max_retries=10) as client,
    ):
        responses = await asyncio.gather(*(client.invoices.create(**item) for item in invoices))

        stored = {entry["id"]: entry for entry in emulator.invoices()}
        assert sum(emulator.stats.faults.values()) >= 3
    assert len(stored) == 30
    assert all(response.to_dict()["data"] == stored[response.data.id] for response in responses)


async def test_instant_retries_make_a_faulty_emulator_test_fast(make_invoice: MakeInvoice) -> None:
    # Every other injected error is a 503 that asks for two seconds; the others back off.
    faults = Faults(server_error=0.5, retry_after_ms=2000, seed=5)
    async with (
        Emulator(faults=faults) as emulator,
        AsyncFragment(**emulator.client_options(), max_retries=10) as client,
    ):
        loop = asyncio.get_running_loop()
        started = loop.time()
        with instant_retries():
            for number in range(10):
                await client.invoices.create(**make_invoice(number))
        elapsed = loop.time() - started

        assert emulator.stats.faults["server_error"] >= 4  # about five seconds of waiting without the switch
        assert len(emulator.invoices()) == 10
    assert elapsed < 2.0


async def test_a_rate_limit_is_waited_out(make_invoice: MakeInvoice) -> None:
    async with (
        Emulator(rate_limit=RateLimit(rate=200, burst=3)) as emulator,
        AsyncFragment(**emulator.client_options(), max_retries=20) as client,
    ):
        await asyncio.gather(*(client.invoices.create(**make_invoice(number)) for number in range(12)))

        assert emulator.stats.faults["throttled"] >= 1
        assert len(emulator.invoices()) == 12


# --- one validator, two sides ----------------------------------------------------------------

WIRE_NAMES = {**renames_of(InvoiceCreateParams), **renames_of(LineItem)}


def to_wire(value: Any) -> Any:
    """Rename Python keys to wire keys with the SDK's own table, leaving bad values as they are."""
    if isinstance(value, Mapping):
        return {WIRE_NAMES.get(key, key): to_wire(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_wire(item) for item in value]
    return value


def without(mapping: dict[str, Any], key: str) -> dict[str, Any]:
    return {name: value for name, value in mapping.items() if name != key}


BAD_INVOICES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "unknown currency": lambda item: {"invoice_id": "i", "line_items": [{**item, "currency_code": "USDX"}]},
    "decimal amount": lambda item: {"invoice_id": "i", "line_items": [{**item, "amount": "12.50"}]},
    "negative amount": lambda item: {"invoice_id": "i", "line_items": [{**item, "amount": "-5"}]},
    "unknown type": lambda item: {"invoice_id": "i", "line_items": [{**item, "type": "refund"}]},
    "empty description": lambda item: {"invoice_id": "i", "line_items": [{**item, "description": " "}]},
    "missing user_id": lambda item: {"invoice_id": "i", "line_items": [without(item, "user_id")]},
    "misspelt product_id": lambda item: {
        "invoice_id": "i",
        "line_items": [{**without(item, "product_id"), "prodcut_id": "p"}],
    },
    "no line items": lambda item: {"invoice_id": "i", "line_items": []},
    "empty invoice_id": lambda item: {"invoice_id": "", "line_items": [item]},
    "line item not an object": lambda item: {"invoice_id": "i", "line_items": [item, "oops"]},
    "errors in two items": lambda item: {
        "invoice_id": "i",
        "line_items": [{**item, "type": "refund"}, item, {**item, "currency_code": None}],
    },
}
"""A bad invoice, made from the seed's line item, as keyword arguments of ``invoices.create``."""


async def send_unchecked(emulator: Emulator, invoice: dict[str, Any]) -> tuple[int, Any]:
    """POST an invoice as it is, as a client that checks nothing would."""
    async with aiohttp.ClientSession() as session:
        auth = {"Authorization": aiohttp.encode_basic_auth(emulator.client_id, emulator.client_secret)}
        async with session.post(emulator.token_url, data={"grant_type": "client_credentials"}, headers=auth) as token:
            bearer = {"Authorization": f"Bearer {(await token.json())['access_token']}"}
        async with session.post(f"{emulator.base_url}/invoices", json=to_wire(invoice), headers=bearer) as answer:
            return answer.status, await answer.json()


@pytest.mark.parametrize("case", sorted(BAD_INVOICES))
async def test_the_emulator_names_the_same_fields_as_the_client(
    fragment_emulator: Emulator, seed_line_item: dict[str, Any], case: str
) -> None:
    bad = BAD_INVOICES[case](seed_line_item)
    async with AsyncFragment(**fragment_emulator.client_options()) as client:
        with pytest.raises(ValidationError) as caught:
            await client.invoices.create(**bad)
        assert "/invoices" not in fragment_emulator.stats.requests  # refused before sending

    status, body = await send_unchecked(fragment_emulator, bad)

    assert status == 400
    named_by_emulator = [error["path"] for error in body["error"]["errors"]]
    named_by_client = [error.path for error in caught.value.errors]
    assert named_by_emulator == named_by_client, f"the emulator names {named_by_emulator}, the client {named_by_client}"
    assert body["error"]["message"] == str(caught.value)
