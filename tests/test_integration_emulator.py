"""The SDK against the emulator over real sockets: auth, idempotency, isolation, faults, validation."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import aiohttp
import pytest

from fragment import AsyncFragment, AuthenticationError, ConflictError, ValidationError
from fragment._wire import WIRE_NAMES
from fragment.testing import Emulator, Faults, RateLimit

SEED_LINE_ITEM: dict[str, Any] = {
    "amount": "1000",
    "currency_code": "USD",
    "description": "Professional services for January 2026",
    "product_id": "prod_1234567890",
    "type": "payout",
    "user_id": "user_ext_456",
}


def invoice(number: int) -> dict[str, Any]:
    """A distinct valid invoice, as keyword arguments of ``invoices.create``."""
    return {
        "invoice_id": f"inv_{number:03d}",
        "line_items": [{**SEED_LINE_ITEM, "amount": str(100 + number)}, {**SEED_LINE_ITEM, "type": "payin"}],
    }


def use_emulator_env(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> None:
    """Point ``Fragment()``/``AsyncFragment()`` without arguments at the emulator."""
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)


# --- the seed's example ----------------------------------------------------------------------


async def test_seed_example_runs_unchanged_async(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with Emulator() as emulator:
        use_emulator_env(monkeypatch, emulator)

        # The seed's example, with the async client.
        client = AsyncFragment()
        invoice = await client.invoices.create(
            invoice_id="invoice_2024_001",
            line_items=[
                {
                    "amount": "1000",
                    "currency_code": "USD",
                    "description": "Professional services for January 2026",
                    "product_id": "prod_1234567890",
                    "type": "payout",
                    "user_id": "user_ext_456",
                }
            ],
        )
        print(invoice.data)

        await client.close()
        assert capsys.readouterr().out.startswith("Data(id='invoice_2024_001', created=datetime.datetime(")
        assert [stored["id"] for stored in emulator.invoices()] == ["invoice_2024_001"]


def test_seed_example_runs_unchanged_sync(
    fragment_emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_emulator_env(monkeypatch, fragment_emulator)

    # The seed's example, verbatim.
    from fragment import Fragment

    client = Fragment()
    invoice = client.invoices.create(
        invoice_id="invoice_2024_001",
        line_items=[
            {
                "amount": "1000",
                "currency_code": "USD",
                "description": "Professional services for January 2026",
                "product_id": "prod_1234567890",
                "type": "payout",
                "user_id": "user_ext_456",
            }
        ],
    )
    print(invoice.data)

    client.close()
    assert capsys.readouterr().out.startswith("Data(id='invoice_2024_001', created=datetime.datetime(")
    stored = fragment_emulator.invoices()
    assert stored == [invoice.to_dict()["data"]]


# --- tokens ----------------------------------------------------------------------------------


async def test_the_client_fetches_one_token_and_reuses_it() -> None:
    async with Emulator() as emulator, AsyncFragment(**emulator.client_options()) as client:
        for number in range(3):
            await client.invoices.create(**invoice(number))

        assert emulator.stats.tokens_issued == 1
        assert emulator.stats.status_count("/invoices", 201) == 3


async def test_an_expiring_token_is_refreshed_before_it_is_refused() -> None:
    async with (
        Emulator(token_lifetime=0.3) as emulator,
        AsyncFragment(**emulator.client_options()) as client,
    ):
        await client.invoices.create(**invoice(1))
        await asyncio.sleep(0.35)  # only the passing of time expires a token
        await client.invoices.create(**invoice(2))

        assert emulator.stats.tokens_issued == 2
        assert emulator.stats.status_count("/invoices", 401) == 0
        assert len(emulator.invoices()) == 2


async def test_a_wrong_secret_raises_authentication_error_and_sends_no_invoice() -> None:
    async with Emulator() as emulator:
        options = emulator.client_options()
        options["client_secret"] = "not-the-secret"
        async with AsyncFragment(**options, max_retries=3) as client:
            with pytest.raises(AuthenticationError) as caught:
                await client.invoices.create(**invoice(1))

        assert caught.value.status_code == 401
        assert "not-the-secret" not in str(caught.value)
        assert emulator.stats.requests == {"/oauth2/token": 1}  # a 401 is final: no retries


# --- idempotency and workspaces --------------------------------------------------------------


async def test_replaying_a_create_returns_the_same_invoice_and_version(fragment_emulator: Emulator) -> None:
    async with AsyncFragment(**fragment_emulator.client_options()) as client:
        first = await client.invoices.create(**invoice(1))
        again = await client.invoices.create(**invoice(1))

    assert again == first  # same line item ids, timestamps and version
    assert again.data.version == 1
    assert fragment_emulator.stats.status_count("/invoices", 201) == 1
    assert fragment_emulator.stats.status_count("/invoices", 200) == 1
    assert len(fragment_emulator.invoices()) == 1


async def test_reusing_an_id_for_another_invoice_raises_conflict_without_retrying(fragment_emulator: Emulator) -> None:
    async with AsyncFragment(**fragment_emulator.client_options(), max_retries=5) as client:
        first = await client.invoices.create(**invoice(1))
        changed = {**invoice(1), "line_items": [{**SEED_LINE_ITEM, "amount": "999999"}]}

        with pytest.raises(ConflictError) as caught:
            await client.invoices.create(**changed)

    assert "already exists with different content" in str(caught.value)
    assert fragment_emulator.stats.status_count("/invoices", 409) == 1
    assert fragment_emulator.invoices() == [first.to_dict()["data"]]


async def test_two_workspaces_keep_the_same_invoice_id_apart() -> None:
    clients = {"acme": ("acme-secret", "ws_acme"), "globex": ("globex-secret", "ws_globex")}
    async with (
        Emulator(clients=clients) as emulator,
        AsyncFragment(**emulator.client_options("acme")) as acme,
        AsyncFragment(**emulator.client_options("globex")) as globex,
    ):
        mine = await acme.invoices.create(**invoice(1))
        theirs = await globex.invoices.create(
            invoice_id=invoice(1)["invoice_id"], line_items=[{**SEED_LINE_ITEM, "amount": "5"}]
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


@pytest.mark.parametrize("kind", sorted(FAULTS))
async def test_every_fault_is_recovered_by_retries_and_each_invoice_stored_once(kind: str) -> None:
    invoices = [invoice(number) for number in range(8)]
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


async def test_all_faults_at_once_under_concurrency_lose_and_double_nothing() -> None:
    faults = Faults(
        server_error=0.08,
        rate_limited=0.08,
        reset_before_commit=0.08,
        reset_after_commit=0.08,
        slow=0.08,
        slow_seconds=5.0,
        retry_after_ms=10,
        seed=11,  # a seed whose longest retry chain keeps this test near one second
    )
    invoices = [invoice(number) for number in range(30)]
    async with (
        Emulator(faults=faults) as emulator,
        AsyncFragment(**emulator.client_options(), timeout=0.3, max_retries=10) as client,
    ):
        responses = await asyncio.gather(*(client.invoices.create(**item) for item in invoices))

        stored = {entry["id"]: entry for entry in emulator.invoices()}
        assert sum(emulator.stats.faults.values()) >= 3
    assert len(stored) == 30
    assert all(response.to_dict()["data"] == stored[response.data.id] for response in responses)


async def test_a_rate_limit_is_waited_out() -> None:
    async with (
        Emulator(rate_limit=RateLimit(rate=200, burst=3)) as emulator,
        AsyncFragment(**emulator.client_options(), max_retries=20) as client,
    ):
        await asyncio.gather(*(client.invoices.create(**invoice(number)) for number in range(12)))

        assert emulator.stats.faults["throttled"] >= 1
        assert len(emulator.invoices()) == 12


# --- one validator, two sides ----------------------------------------------------------------


def to_wire(value: Any) -> Any:
    """Rename Python keys to wire keys with the SDK's one table, leaving bad values as they are."""
    if isinstance(value, Mapping):
        return {WIRE_NAMES.get(key, key): to_wire(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_wire(item) for item in value]
    return value


def without(mapping: dict[str, Any], key: str) -> dict[str, Any]:
    return {name: value for name, value in mapping.items() if name != key}


BAD_INVOICES: dict[str, dict[str, Any]] = {
    "unknown currency": {"invoice_id": "i", "line_items": [{**SEED_LINE_ITEM, "currency_code": "USDX"}]},
    "decimal amount": {"invoice_id": "i", "line_items": [{**SEED_LINE_ITEM, "amount": "12.50"}]},
    "negative amount": {"invoice_id": "i", "line_items": [{**SEED_LINE_ITEM, "amount": "-5"}]},
    "unknown type": {"invoice_id": "i", "line_items": [{**SEED_LINE_ITEM, "type": "refund"}]},
    "empty description": {"invoice_id": "i", "line_items": [{**SEED_LINE_ITEM, "description": " "}]},
    "missing user_id": {"invoice_id": "i", "line_items": [without(SEED_LINE_ITEM, "user_id")]},
    "misspelt product_id": {
        "invoice_id": "i",
        "line_items": [{**without(SEED_LINE_ITEM, "product_id"), "prodcut_id": "p"}],
    },
    "no line items": {"invoice_id": "i", "line_items": []},
    "empty invoice_id": {"invoice_id": "", "line_items": [SEED_LINE_ITEM]},
    "line item not an object": {"invoice_id": "i", "line_items": [SEED_LINE_ITEM, "oops"]},
    "errors in two items": {
        "invoice_id": "i",
        "line_items": [{**SEED_LINE_ITEM, "amount": 1.5}, SEED_LINE_ITEM, {**SEED_LINE_ITEM, "currency_code": None}],
    },
}


@pytest.mark.parametrize("case", sorted(BAD_INVOICES))
async def test_the_emulator_names_the_same_fields_as_the_client(fragment_emulator: Emulator, case: str) -> None:
    bad = BAD_INVOICES[case]
    async with AsyncFragment(**fragment_emulator.client_options()) as client:
        with pytest.raises(ValidationError) as caught:
            await client.invoices.create(**bad)
        assert "/invoices" not in fragment_emulator.stats.requests  # refused before sending

        # The same invoice, sent as is by a client that does not check anything.
        async with aiohttp.ClientSession() as session:
            auth = {
                "Authorization": aiohttp.encode_basic_auth(fragment_emulator.client_id, fragment_emulator.client_secret)
            }
            async with session.post(
                fragment_emulator.token_url, data={"grant_type": "client_credentials"}, headers=auth
            ) as response:
                token = (await response.json())["access_token"]
            async with session.post(
                f"{fragment_emulator.base_url}/invoices",
                json=to_wire(bad),
                headers={"Authorization": f"Bearer {token}"},
            ) as response:
                status, body = response.status, await response.json()

    assert status == 400
    assert [error["path"] for error in body["error"]["errors"]] == [error.path for error in caught.value.errors]
    assert body["error"]["message"] == str(caught.value)
