"""The emulator on its own, over real sockets with plain aiohttp: the wire contract it serves."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDictProxy
from seed import SEED_REQUEST

from fragment._wire import make_wire_converter
from fragment.testing import Emulator, EmulatorClient, Faults, RateLimit
from fragment.testing._faults import FaultInjector, TokenBucket
from fragment.testing._tokens import TokenIssuer
from fragment.types import InvoiceCreateResponse

BODY = SEED_REQUEST
"""The seed's invoice as it travels on the wire."""
LINE_ITEM: dict[str, Any] = BODY["lineItems"][0]


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def basic_auth(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": aiohttp.encode_basic_auth(client_id, secret)}


async def fetch_token(
    session: aiohttp.ClientSession, emulator: Emulator, client_id: str | None = None, secret: str | None = None
) -> str:
    auth = basic_auth(client_id or emulator.client_id, secret or emulator.client_secret)
    async with session.post(emulator.token_url, data={"grant_type": "client_credentials"}, headers=auth) as response:
        assert response.status == 200
        body = await response.json()
    token: str = body["access_token"]
    return token


async def post_invoice(
    session: aiohttp.ClientSession, emulator: Emulator, body: Any, token: str | None = None
) -> tuple[int, Any, CIMultiDictProxy[str]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.post(f"{emulator.base_url}/invoices", json=body, headers=headers) as response:
        payload = await response.json() if response.content_type == "application/json" else await response.text()
        return response.status, payload, response.headers


# --- tokens ----------------------------------------------------------------------------------


async def test_token_endpoint_issues_a_bearer_token_with_its_lifetime(session: aiohttp.ClientSession) -> None:
    async with Emulator(token_lifetime=120) as emulator:
        auth = basic_auth(emulator.client_id, emulator.client_secret)
        async with session.post(
            emulator.token_url, data={"grant_type": "client_credentials"}, headers=auth
        ) as response:
            body = await response.json()

        assert response.status == 200
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 120
        assert isinstance(body["access_token"], str) and len(body["access_token"]) > 20
        assert emulator.stats.tokens_issued == 1


@pytest.mark.parametrize(
    "auth",
    [
        pytest.param(basic_auth("test-client", "wrong"), id="wrong-secret"),
        pytest.param(basic_auth("nobody", "test-secret"), id="unknown-client"),
        pytest.param({}, id="no-credentials"),
    ],
)
async def test_token_endpoint_refuses_bad_credentials_with_401(
    emulator: Emulator, session: aiohttp.ClientSession, auth: dict[str, str]
) -> None:
    async with session.post(emulator.token_url, data={"grant_type": "client_credentials"}, headers=auth) as response:
        body = await response.json()

    assert response.status == 401
    assert body["error"]["type"] == "invalid_client"
    assert emulator.stats.tokens_issued == 0


async def test_token_endpoint_refuses_another_grant_type_with_400(
    emulator: Emulator, session: aiohttp.ClientSession
) -> None:
    auth = basic_auth(emulator.client_id, emulator.client_secret)
    async with session.post(emulator.token_url, data={"grant_type": "password"}, headers=auth) as response:
        body = await response.json()

    assert response.status == 400
    assert "client_credentials" in body["error"]["message"]


async def test_a_token_request_over_the_body_limit_answers_413_in_json(
    emulator: Emulator, session: aiohttp.ClientSession
) -> None:
    auth = basic_auth(emulator.client_id, emulator.client_secret)
    form = {"grant_type": "client_credentials", "padding": "x" * (1024 * 1024)}
    async with session.post(emulator.token_url, data=form, headers=auth) as response:
        body = await response.json()

    assert response.status == 413
    assert body["error"]["type"] == "request_too_large"
    assert emulator.stats.tokens_issued == 0


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic dGVzdC1jbGllbnQ6dGVzdC1zZWNyZXQ="])
async def test_create_without_a_valid_bearer_token_answers_401(
    emulator: Emulator, session: aiohttp.ClientSession, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    async with session.post(f"{emulator.base_url}/invoices", json=BODY, headers=headers) as response:
        body = await response.json()

    assert response.status == 401
    assert body["error"]["type"] == "authentication_error"
    assert emulator.invoices() == []


async def test_a_create_without_a_token_gets_401_before_faults_and_the_rate_limit(
    session: aiohttp.ClientSession,
) -> None:
    faults = Faults(server_error=1.0, rate_limited=1.0, reset_before_commit=1.0)
    async with Emulator(faults=faults, rate_limit=RateLimit(rate=0.01, burst=1)) as emulator:
        statuses = [(await post_invoice(session, emulator, BODY))[0] for _ in range(3)]

        assert statuses == [401, 401, 401]
        assert emulator.stats.faults == {}
        assert emulator.stats.requests == {"/invoices": 3}


def test_tokens_expire_after_their_lifetime() -> None:
    clock = FakeClock()
    client = EmulatorClient("c", "s", "ws")
    issuer = TokenIssuer([client], lifetime=0.5, clock=clock)
    token = issuer.issue(client)

    clock.now += 0.49
    assert issuer.client_for(f"Bearer {token}") == client
    clock.now += 0.01
    assert issuer.client_for(f"Bearer {token}") is None


# --- creating invoices -----------------------------------------------------------------------


async def test_create_answers_201_with_the_documented_invoice(
    emulator: Emulator, session: aiohttp.ClientSession
) -> None:
    token = await fetch_token(session, emulator)
    before = datetime.now(UTC)

    status, body, _ = await post_invoice(session, emulator, BODY, token)

    assert status == 201
    # A strict converter fails on any key the models do not know: the answer is exactly the contract.
    parsed = make_wire_converter(forbid_extra_keys=True).structure(body, InvoiceCreateResponse)
    data = parsed.data
    assert (data.id, data.status, data.version, data.workspace_id) == ("invoice_2024_001", "active", 1, "ws_test")
    assert data.created.utcoffset() is not None and data.created.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert before <= data.created <= datetime.now(UTC)
    assert data.modified == data.created
    assert data.line_items is not None and len(data.line_items) == 1
    item = data.line_items[0]
    assert item.id.startswith("li_")
    assert (item.amount, item.currency_code, item.product_id, item.user_id) == (
        "1000",
        "USD",
        "prod_1234567890",
        "user_ext_456",
    )
    assert emulator.invoices() == [body["data"]]


async def test_line_items_get_distinct_ids(emulator: Emulator, session: aiohttp.ClientSession) -> None:
    token = await fetch_token(session, emulator)
    body = {"invoiceId": "inv_two", "lineItems": [LINE_ITEM, {**LINE_ITEM, "amount": "5"}]}

    _, answer, _ = await post_invoice(session, emulator, body, token)

    ids = [item["id"] for item in answer["data"]["lineItems"]]
    assert len(set(ids)) == 2


async def test_identical_create_answers_200_with_the_stored_invoice(
    emulator: Emulator, session: aiohttp.ClientSession
) -> None:
    token = await fetch_token(session, emulator)
    _, first, _ = await post_invoice(session, emulator, BODY, token)

    status, again, _ = await post_invoice(session, emulator, BODY, token)

    assert status == 200
    assert again == first
    assert len(emulator.invoices()) == 1


async def test_different_create_with_a_taken_id_answers_409_that_must_not_be_retried(
    emulator: Emulator, session: aiohttp.ClientSession
) -> None:
    token = await fetch_token(session, emulator)
    _, first, _ = await post_invoice(session, emulator, BODY, token)

    changed = {**BODY, "lineItems": [{**LINE_ITEM, "amount": "2000"}]}
    status, body, headers = await post_invoice(session, emulator, changed, token)

    assert status == 409
    assert body["error"] == {
        "type": "conflict",
        "message": "invoice 'invoice_2024_001' already exists with different content",
    }
    assert headers["x-should-retry"] == "false"
    assert emulator.invoices() == [first["data"]]


async def test_workspaces_do_not_see_each_others_invoices(session: aiohttp.ClientSession) -> None:
    clients = {"alice": ("alice-secret", "ws_alice"), "bob": ("bob-secret", "ws_bob")}
    async with Emulator(clients=clients) as emulator:
        alice = await fetch_token(session, emulator, "alice", "alice-secret")
        bob = await fetch_token(session, emulator, "bob", "bob-secret")

        status_a, body_a, _ = await post_invoice(session, emulator, BODY, alice)
        other = {**BODY, "lineItems": [{**LINE_ITEM, "amount": "7"}]}
        status_b, body_b, _ = await post_invoice(session, emulator, other, bob)

        assert (status_a, status_b) == (201, 201)
        assert body_a["data"]["workspaceId"] == "ws_alice"
        assert body_b["data"]["workspaceId"] == "ws_bob"
        assert emulator.invoices("ws_alice") == [body_a["data"]]
        assert emulator.invoices("ws_bob") == [body_b["data"]]
        assert len(emulator.invoices()) == 2


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object, got list"),
    ],
)
async def test_a_body_that_is_not_a_json_object_answers_400(
    emulator: Emulator, session: aiohttp.ClientSession, raw: bytes, message: str
) -> None:
    token = await fetch_token(session, emulator)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with session.post(f"{emulator.base_url}/invoices", data=raw, headers=headers) as response:
        body = await response.json()

    assert response.status == 400
    assert body["error"]["type"] == "invalid_request_error"
    assert message in body["error"]["message"]


async def test_an_invalid_invoice_answers_400_naming_every_field(
    emulator: Emulator, session: aiohttp.ClientSession
) -> None:
    token = await fetch_token(session, emulator)
    bad = {"invoiceId": "inv", "lineItems": [{**LINE_ITEM, "currencyCode": "USDX", "amount": "1.5"}]}

    status, body, _ = await post_invoice(session, emulator, bad, token)

    assert status == 400
    error = body["error"]
    assert error["type"] == "validation_error"
    assert [e["path"] for e in error["errors"]] == ["line_items[0].amount", "line_items[0].currency_code"]
    assert "line_items[0].currency_code: 'USDX' is not a supported currency code" in error["message"]
    assert emulator.invoices() == []


async def test_an_amount_sent_as_a_json_number_is_refused_as_the_api_would(
    emulator: Emulator, session: aiohttp.ClientSession
) -> None:
    token = await fetch_token(session, emulator)
    body = {"invoiceId": "inv", "lineItems": [{**LINE_ITEM, "amount": 1000}]}

    status, answer, _ = await post_invoice(session, emulator, body, token)

    assert status == 400
    assert answer["error"]["errors"] == [
        {"path": "line_items[0].amount", "message": "expected a string of digits, got int 1000"}
    ]


# --- faults ----------------------------------------------------------------------------------


async def test_server_errors_alternate_500_and_503_and_503_says_when_to_come_back(
    session: aiohttp.ClientSession,
) -> None:
    async with Emulator(faults=Faults(server_error=1.0, retry_after_ms=25)) as emulator:
        token = await fetch_token(session, emulator)

        answers = [await post_invoice(session, emulator, BODY, token) for _ in range(2)]

        assert [status for status, _, _ in answers] == [500, 503]
        assert "retry-after-ms" not in answers[0][2]
        assert answers[1][2]["retry-after-ms"] == "25"
        assert emulator.invoices() == []
        assert emulator.stats.faults == {"server_error": 2}


async def test_rate_limited_fault_answers_429_with_retry_after_ms(session: aiohttp.ClientSession) -> None:
    async with Emulator(faults=Faults(rate_limited=1.0, retry_after_ms=40)) as emulator:
        token = await fetch_token(session, emulator)

        status, _, headers = await post_invoice(session, emulator, BODY, token)

        assert status == 429
        assert headers["retry-after-ms"] == "40"
        assert emulator.invoices() == []


@pytest.mark.parametrize(
    ("faults", "fault", "stored"),
    [
        (Faults(reset_before_commit=1.0), "reset_before_commit", 0),
        (Faults(reset_after_commit=1.0), "reset_after_commit", 1),
    ],
)
async def test_reset_faults_drop_the_connection_without_an_answer(
    session: aiohttp.ClientSession, faults: Faults, fault: str, stored: int
) -> None:
    async with Emulator(faults=faults) as emulator:
        token = await fetch_token(session, emulator)

        with pytest.raises(aiohttp.ServerDisconnectedError):
            await post_invoice(session, emulator, BODY, token)

        assert len(emulator.invoices()) == stored
        assert emulator.stats.faults == {fault: 1}
        assert emulator.stats.statuses.get("/invoices", {}) == {}
        assert "/invoices" not in emulator.stats.requests  # only answered requests are counted


async def test_slow_fault_stores_then_answers_after_slow_seconds(session: aiohttp.ClientSession) -> None:
    async with Emulator(faults=Faults(slow=1.0, slow_seconds=5.0)) as emulator:
        token = await fetch_token(session, emulator)

        with pytest.raises(TimeoutError):
            async with session.post(
                f"{emulator.base_url}/invoices",
                json=BODY,
                headers={"Authorization": f"Bearer {token}"},
                timeout=aiohttp.ClientTimeout(total=0.2),
            ):
                pass

        assert len(emulator.invoices()) == 1
        assert emulator.stats.faults == {"slow": 1}
        assert emulator.stats.requests == {"/oauth2/token": 1}  # the client gave up: no answer was sent


class _EventOnLog(logging.Handler):
    """Sets an event when a log record contains ``text``: a way to know what a server is doing."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.event = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.event.set()


async def test_shutdown_sends_a_slow_answer_at_once(session: aiohttp.ClientSession) -> None:
    slowed = _EventOnLog("injecting slow")
    logger = logging.getLogger("fragment.testing")
    logger.addHandler(slowed)
    logger.setLevel(logging.INFO)
    emulator = Emulator(faults=Faults(slow=1.0, slow_seconds=30.0))
    try:
        async with emulator:
            token = await fetch_token(session, emulator)
            request = asyncio.create_task(post_invoice(session, emulator, BODY, token))
            await asyncio.wait_for(slowed.event.wait(), timeout=5)  # the handler now waits out its 30 s
    finally:
        logger.removeHandler(slowed)
        logger.setLevel(logging.NOTSET)

    # Stopping woke the waiting handler instead of waiting for it (or this test would hang).
    status, _, _ = await asyncio.wait_for(request, timeout=5)
    assert status == 201
    assert not emulator.running


def test_faults_are_a_deterministic_function_of_the_seed() -> None:
    def sequence(seed: int) -> list[Any]:
        injector = FaultInjector(
            Faults(server_error=0.2, rate_limited=0.2, reset_after_commit=0.2, slow=0.2, seed=seed)
        )
        return [injector.draw() for _ in range(50)]

    assert sequence(42) == sequence(42)
    assert sequence(42) != sequence(43)


def test_the_first_fault_drawn_before_the_store_wins() -> None:
    injector = FaultInjector(
        Faults(server_error=1.0, rate_limited=1.0, reset_before_commit=1.0, reset_after_commit=1.0)
    )

    draw = injector.draw()

    assert draw.before_commit is not None and draw.before_commit.value == "server_error"
    assert draw.reset_after_commit


@pytest.mark.parametrize(
    "options",
    [{"server_error": 1.5}, {"slow": -0.1}, {"rate_limited": True}, {"slow_seconds": -1}, {"retry_after_ms": -5}],
)
def test_faults_refuse_values_out_of_range(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(options))):
        Faults(**options)


def test_token_bucket_lets_a_burst_through_then_says_how_long_to_wait() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(rate=10, burst=2), clock=clock)

    assert [bucket.take(), bucket.take()] == [0.0, 0.0]
    assert bucket.take() == pytest.approx(0.1)
    clock.now += 0.1
    assert bucket.take() == 0.0


async def test_rate_limit_answers_429_once_the_bucket_is_empty(session: aiohttp.ClientSession) -> None:
    async with Emulator(rate_limit=RateLimit(rate=1, burst=2)) as emulator:
        token = await fetch_token(session, emulator)
        bodies = [{**BODY, "invoiceId": f"inv_{n}"} for n in range(3)]

        answers = [await post_invoice(session, emulator, body, token) for body in bodies]

        assert [status for status, _, _ in answers] == [201, 201, 429]
        assert 0 < int(answers[2][2]["retry-after-ms"]) <= 1000
        assert emulator.stats.faults == {"throttled": 1}


async def test_faults_can_be_changed_while_running(emulator: Emulator, session: aiohttp.ClientSession) -> None:
    token = await fetch_token(session, emulator)
    emulator.faults = Faults(server_error=1.0)

    status, _, _ = await post_invoice(session, emulator, BODY, token)

    assert status == 500
    assert emulator.faults.server_error == 1.0


# --- admin surface ---------------------------------------------------------------------------


async def test_admin_endpoints_list_count_and_reset(emulator: Emulator, session: aiohttp.ClientSession) -> None:
    token = await fetch_token(session, emulator)
    _, created, _ = await post_invoice(session, emulator, BODY, token)
    admin = f"{emulator.base_url}/_emulator"

    async with session.get(f"{admin}/invoices") as response:
        listed = await response.json()
    async with session.get(f"{admin}/invoices", params={"workspace_id": "ws_other"}) as response:
        other = await response.json()
    async with session.get(f"{admin}/stats") as response:
        stats = await response.json()
    async with session.post(f"{admin}/reset") as response:
        reset_status = response.status

    assert listed == {"data": [created["data"]]}
    assert other == {"data": []}
    assert stats == {
        "requests": {"/oauth2/token": 1, "/invoices": 1},
        "statuses": {"/oauth2/token": {"200": 1}, "/invoices": {"201": 1}},
        "faults": {},
        "tokens_issued": 1,
    }
    assert reset_status == 204
    assert emulator.invoices() == []
    assert emulator.stats.requests == {}
    # Tokens survive a reset, so clients keep working.
    status, _, _ = await post_invoice(session, emulator, BODY, token)
    assert status == 201


# --- lifecycle -------------------------------------------------------------------------------


def test_urls_and_credentials_need_a_running_emulator() -> None:
    emulator = Emulator()

    with pytest.raises(RuntimeError, match="not running"):
        _ = emulator.base_url
    assert emulator.client_id == "test-client"
    assert "test-secret" not in repr(emulator)


async def test_client_options_point_at_the_chosen_client(session: aiohttp.ClientSession) -> None:
    async with Emulator(clients=[EmulatorClient("a", "sa", "ws_a"), EmulatorClient("b", "sb", "ws_b")]) as emulator:
        assert emulator.client_options() == {
            "base_url": emulator.base_url,
            "token_url": emulator.base_url + "/oauth2/token",
            "client_id": "a",
            "client_secret": "sa",
        }
        assert emulator.client_options("b")["client_secret"] == "sb"
        assert emulator.env("b")["FRAGMENT_CLIENT_ID"] == "b"
        with pytest.raises(KeyError, match="'c'"):
            emulator.client_options("c")


async def test_an_emulator_cannot_start_twice(emulator: Emulator) -> None:
    with pytest.raises(RuntimeError, match="already running"):
        await emulator.start()


def test_in_thread_serves_synchronous_callers_and_stops_on_exit() -> None:
    async def create(base_url: str, token_url: str) -> int:
        async with aiohttp.ClientSession() as session:
            auth = basic_auth("test-client", "test-secret")
            async with session.post(token_url, data={"grant_type": "client_credentials"}, headers=auth) as response:
                token = (await response.json())["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            async with session.post(f"{base_url}/invoices", json=BODY, headers=headers) as response:
                return response.status

    with Emulator().in_thread() as emulator:
        base_url = emulator.base_url
        assert asyncio.run(create(base_url, emulator.token_url)) == 201
        assert [invoice["id"] for invoice in emulator.invoices()] == ["invoice_2024_001"]
        assert emulator.stats.status_count("/invoices", 201) == 1
        emulator.reset()
        assert emulator.invoices() == []

    assert not emulator.running
    with pytest.raises(aiohttp.ClientConnectionError):
        asyncio.run(create(base_url, base_url + "/oauth2/token"))


def test_in_thread_reports_a_failure_to_start() -> None:
    with Emulator().in_thread() as first:
        port = int(first.base_url.rsplit(":", 1)[1])
        with pytest.raises(OSError), Emulator(port=port).in_thread():
            pass


async def test_logs_never_show_secrets_or_tokens(
    caplog: pytest.LogCaptureFixture, session: aiohttp.ClientSession
) -> None:
    caplog.set_level(logging.DEBUG)
    async with Emulator(clients={"me": ("s3cr3t-value-xyz", "ws_me")}) as emulator:
        token = await fetch_token(session, emulator, "me", "s3cr3t-value-xyz")
        await post_invoice(session, emulator, BODY, token)
        await post_invoice(session, emulator, BODY, "wrong-token-value")

    assert caplog.records, "expected the emulator to log something at debug level"
    assert "s3cr3t-value-xyz" not in caplog.text
    assert token not in caplog.text
    assert "wrong-token-value" not in caplog.text


def test_import_fragment_loads_neither_the_emulator_nor_aiohttp_web() -> None:
    code = (
        "import sys, fragment\n"
        "loaded = [name for name in ('fragment.testing', 'aiohttp.web') if name in sys.modules]\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)

    assert result.stdout.strip() == ""


def test_the_public_names_are_exported_sorted_and_documented() -> None:
    import inspect

    import fragment.testing

    assert fragment.testing.__all__ == sorted(fragment.testing.__all__)
    for name in fragment.testing.__all__:
        public = getattr(fragment.testing, name)
        assert inspect.getdoc(public), name
        for member, value in vars(public).items():
            if not member.startswith("_") and (callable(value) or isinstance(value, property)):
                assert inspect.getdoc(value), f"{name}.{member}"


# --- the pytest plugin -----------------------------------------------------------------------


def test_fixture_gives_a_running_emulator_to_sync_tests(fragment_emulator: Emulator) -> None:
    assert fragment_emulator.running
    assert fragment_emulator.base_url.startswith("http://127.0.0.1:")
    assert fragment_emulator.invoices() == []


async def test_fixture_serves_async_tests_from_its_own_thread(
    fragment_emulator: Emulator, session: aiohttp.ClientSession
) -> None:
    token = await fetch_token(session, fragment_emulator)

    status, _, _ = await post_invoice(session, fragment_emulator, BODY, token)

    assert status == 201


@pytest.mark.fragment_emulator(faults=Faults(rate_limited=1.0), token_lifetime=60)
async def test_marker_configures_the_fixture(fragment_emulator: Emulator, session: aiohttp.ClientSession) -> None:
    token = await fetch_token(session, fragment_emulator)

    status, _, _ = await post_invoice(session, fragment_emulator, BODY, token)

    assert status == 429


def test_factory_starts_independent_emulators(fragment_emulator_factory: Any) -> None:
    first = fragment_emulator_factory()
    second = fragment_emulator_factory(clients={"x": ("y", "ws_x")})

    assert first.base_url != second.base_url
    assert second.client_id == "x"
