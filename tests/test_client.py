"""AsyncFragment as a driver, through a mock transport and a sleep that waits no real time.

What each decision is (retry or not, how long to wait) is tested once, at the pure layer
(tests/test_protocol.py); here: that the client builds the right request, carries the
decisions out (sends again, waits, refreshes the token, raises), and is configured as documented.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
import pytest

import fragment
from fragment import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    AsyncFragment,
    AuthenticationError,
    ConflictError,
    FragmentError,
    InternalServerError,
    NotFoundError,
    Request,
    Response,
    ValidationError,
)
from fragment.testing import MockTransport, answer, instant_retries, set_instant_retries
from fragment.types import InvoiceCreateResponse, LineItem

MakeClient = Callable[..., AsyncFragment]
CreateSeed = Callable[..., Awaitable[InvoiceCreateResponse]]
Script = list[Any]

ERROR_BODY = {"error": {"code": "some_code", "message": "the server's explanation"}}


def error_answer(status: int, headers: dict[str, str] | None = None) -> Response:
    return answer(status, json.dumps(ERROR_BODY), headers)


def token_answer(token: str, expires_in: float = 3600) -> Response:
    return answer(200, json.dumps({"access_token": token, "expires_in": expires_in}))


def basic(client_id: str, client_secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()


@pytest.fixture
def create_seed_invoice(client: AsyncFragment, seed_invoice: dict[str, Any]) -> CreateSeed:
    """``client.invoices.create(**seed_invoice, **options)``: the call most tests here make."""

    async def create(**options: Any) -> InvoiceCreateResponse:
        return await client.invoices.create(**seed_invoice, **options)

    return create


# --- the request on the wire ----------------------------------------------------------------------


async def test_the_seed_example_sends_the_recorded_body_as_compact_json(
    create_seed_invoice: CreateSeed, seed_request_body: bytes, api_requests: Sequence[Request]
) -> None:
    await create_seed_invoice()

    (sent,) = api_requests
    assert (sent.method, sent.url) == ("POST", "https://api.fragment.test/invoices")
    assert sent.body == json.dumps(json.loads(seed_request_body), separators=(",", ":")).encode()


async def test_a_create_sends_json_headers_a_bearer_token_and_a_user_agent(
    create_seed_invoice: CreateSeed, api_requests: Sequence[Request], access_token: str
) -> None:
    await create_seed_invoice()

    (sent,) = api_requests
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["User-Agent"].startswith(f"fragment-python/{fragment.__version__} ")
    assert sent.authorization == f"Bearer {access_token}"
    assert "Authorization" not in sent.headers


async def test_a_create_returns_the_answer_as_models(create_seed_invoice: CreateSeed) -> None:
    invoice = await create_seed_invoice()

    assert isinstance(invoice, InvoiceCreateResponse)
    assert invoice.data.id == "invoice_2024_001"
    assert invoice.data.workspace_id == "ws_8f2c1e"
    assert invoice.data.line_items is not None
    assert invoice.data.line_items[0].currency_code == "USD"


async def test_line_item_instances_and_int_amounts_are_sent_as_digit_strings(
    client: AsyncFragment, seed_line_item: dict[str, Any], api_requests: Sequence[Request]
) -> None:
    line_items = [LineItem(**seed_line_item), {**seed_line_item, "amount": 2500}]

    await client.invoices.create(invoice_id="inv_1", line_items=line_items)

    assert [item["amount"] for item in json.loads(api_requests[0].body or b"")["lineItems"]] == ["1000", "2500"]


async def test_default_and_extra_headers_are_sent_but_never_replace_the_bearer_token(
    make_client: MakeClient, seed_invoice: dict[str, Any], api_requests: Sequence[Request], access_token: str
) -> None:
    async with make_client(default_headers={"X-Tenant": "t1"}) as client:
        await client.invoices.create(
            **seed_invoice, extra_headers={"X-Request-Tag": "abc", "Authorization": "Bearer forged"}
        )

    (sent,) = api_requests
    assert (sent.headers["X-Tenant"], sent.headers["X-Request-Tag"]) == ("t1", "abc")
    assert sent.authorization == f"Bearer {access_token}"


async def test_extra_query_is_added_to_the_url_form_encoded(
    create_seed_invoice: CreateSeed, api_requests: Sequence[Request]
) -> None:
    await create_seed_invoice(extra_query={"dry_run": True, "tags": ["a", "b"], "skipped": None, "page": 3, "q": "x y"})

    assert api_requests[0].url == "https://api.fragment.test/invoices?dry_run=true&tags=a%2Cb&page=3&q=x+y"


async def test_extra_body_fields_are_merged_into_the_json_body_unchecked(
    create_seed_invoice: CreateSeed, api_requests: Sequence[Request]
) -> None:
    await create_seed_invoice(extra_body={"memo": {"any": ["shape"]}})

    body = json.loads(api_requests[0].body or b"")
    assert list(body) == ["invoiceId", "lineItems", "memo"]
    assert body["memo"] == {"any": ["shape"]}


async def test_an_extra_body_that_is_not_json_is_refused_before_sending(
    create_seed_invoice: CreateSeed, api_requests: Sequence[Request]
) -> None:
    with pytest.raises(ValidationError, match="extra_body: cannot be encoded as JSON"):
        await create_seed_invoice(extra_body={"when": object()})

    assert api_requests == []


async def test_unknown_currency_codes_are_sent_when_the_check_is_off(
    make_client: MakeClient, seed_line_item: dict[str, Any], api_requests: Sequence[Request]
) -> None:
    async with make_client(check_currency_codes=False) as client:
        await client.invoices.create(invoice_id="inv_1", line_items=[{**seed_line_item, "currency_code": "NEWCOIN"}])

    assert client.check_currency_codes is False
    assert json.loads(api_requests[0].body or b"")["lineItems"][0]["currencyCode"] == "NEWCOIN"


@pytest.mark.parametrize(
    ("client_timeout", "call_timeout", "expected"),
    [
        pytest.param({}, {}, aiohttp.ClientTimeout(total=60, connect=5), id="default-60-in-total-5-to-connect"),
        pytest.param({}, {"timeout": 2.5}, aiohttp.ClientTimeout(total=2.5, connect=2.5), id="per-call-seconds"),
        pytest.param({"timeout": 30}, {}, aiohttp.ClientTimeout(total=30, connect=5), id="client-seconds"),
        pytest.param(
            {"timeout": aiohttp.ClientTimeout(total=30, sock_read=10)},
            {},
            aiohttp.ClientTimeout(total=30, sock_read=10),
            id="client-timeout-object-as-is",
        ),
        pytest.param(
            {"timeout": 30},
            {"timeout": aiohttp.ClientTimeout(sock_connect=1)},
            aiohttp.ClientTimeout(sock_connect=1),
            id="per-call-timeout-object-as-is",
        ),
    ],
)
async def test_each_request_carries_its_timeout(
    make_client: MakeClient,
    seed_invoice: dict[str, Any],
    api_requests: Sequence[Request],
    client_timeout: dict[str, Any],
    call_timeout: dict[str, Any],
    expected: aiohttp.ClientTimeout,
) -> None:
    async with make_client(**client_timeout) as client:
        await client.invoices.create(**seed_invoice, **call_timeout)

    assert api_requests[0].timeout == expected


@pytest.mark.parametrize(
    "settings",
    [
        {"timeout": 0},
        {"timeout": -1},
        {"timeout": "60"},
        {"timeout": True},
        {"timeout": float("nan")},
        {"timeout": float("inf")},
        {"timeout": aiohttp.ClientTimeout(total=-5)},
        {"timeout": aiohttp.ClientTimeout(sock_read=float("nan"))},
        {"max_retries": -1},
        {"max_retries": 1.5},
        {"max_retries": True},
        {"max_connections": 0},
        {"max_connections": 2.5},
        {"max_response_size": 0},
        {"max_response_size": "64MB"},
    ],
    ids=repr,
)
def test_a_bad_setting_is_refused_at_construction_naming_it(make_client: MakeClient, settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(settings))):
        make_client(**settings)


@pytest.mark.parametrize("settings", [{"timeout": 0}, {"max_retries": -1}], ids=repr)
def test_a_bad_setting_is_refused_by_with_options_too(make_client: MakeClient, settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(settings))):
        make_client().with_options(**settings)


async def test_a_bad_per_call_timeout_is_refused_before_sending(
    create_seed_invoice: CreateSeed, api_requests: Sequence[Request]
) -> None:
    with pytest.raises(ValueError, match="timeout"):
        await create_seed_invoice(timeout=-1)

    assert api_requests == []


async def test_a_trailing_slash_in_the_base_url_is_ignored(
    make_client: MakeClient, seed_invoice: dict[str, Any], api_requests: Sequence[Request]
) -> None:
    async with make_client(base_url="https://api.fragment.test/") as client:
        await client.invoices.create(**seed_invoice)

    assert client.base_url == "https://api.fragment.test"
    assert api_requests[0].url == "https://api.fragment.test/invoices"


# --- carrying out the decisions ---------------------------------------------------------------------


async def test_an_error_answer_is_raised_with_its_status_headers_and_body_without_a_retry(
    create_seed_invoice: CreateSeed,
    answers: Script,
    api_requests: Sequence[Request],
    sleeps: list[float],
) -> None:
    answers.append(error_answer(404, {"X-Request-Id": "req_123"}))

    with pytest.raises(NotFoundError) as caught:
        await create_seed_invoice()

    assert (caught.value.status_code, caught.value.body) == (404, ERROR_BODY)
    assert caught.value.headers["x-request-id"] == "req_123"
    assert "the server's explanation" in str(caught.value)
    assert (len(api_requests), sleeps) == (1, [])


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(error_answer(503), id="503"),
        pytest.param(error_answer(429), id="429"),
        pytest.param(APIConnectionError("Connection error talking to https://api.fragment.test/invoices"), id="reset"),
        pytest.param(APITimeoutError("Request to https://api.fragment.test/invoices timed out"), id="timeout"),
    ],
)
async def test_a_retryable_failure_is_sent_again_after_a_wait_and_the_create_succeeds(
    create_seed_invoice: CreateSeed,
    answers: Script,
    api_requests: Sequence[Request],
    sleeps: list[float],
    failure: Any,
) -> None:
    answers.append(failure)

    invoice = await create_seed_invoice()

    assert invoice.data.id == "invoice_2024_001"
    assert len(api_requests) == 2
    assert api_requests[0] == api_requests[1]  # the very same request, bearer token included
    assert len(sleeps) == 1 and 0.375 <= sleeps[0] <= 0.5


async def test_the_wait_is_the_delay_the_server_asked_for(
    create_seed_invoice: CreateSeed, answers: Script, sleeps: list[float]
) -> None:
    answers.append(error_answer(429, {"retry-after-ms": "1500"}))

    await create_seed_invoice()

    assert sleeps == [1.5]


async def test_retries_stop_after_max_retries_and_raise_the_last_error(
    create_seed_invoice: CreateSeed,
    answers: Script,
    api_requests: Sequence[Request],
    sleeps: list[float],
) -> None:
    answers.extend([error_answer(503)] * 2 + [error_answer(502)])

    with pytest.raises(InternalServerError) as caught:
        await create_seed_invoice()

    assert caught.value.status_code == 502
    assert len(api_requests) == 1 + 2
    assert len(sleeps) == 2


async def test_no_answer_after_the_last_retry_raises_the_transport_error(
    create_seed_invoice: CreateSeed, answers: Script, api_requests: Sequence[Request]
) -> None:
    last = APITimeoutError("Request to https://api.fragment.test/invoices timed out")
    answers.extend([APIConnectionError("reset"), APIConnectionError("reset"), last])

    with pytest.raises(APITimeoutError) as caught:
        await create_seed_invoice()

    assert caught.value is last
    assert len(api_requests) == 3


async def test_max_retries_0_sends_once(
    make_client: MakeClient, seed_invoice: dict[str, Any], answers: Script, api_requests: Sequence[Request]
) -> None:
    answers.append(error_answer(503))

    async with make_client(max_retries=0) as client:
        with pytest.raises(InternalServerError):
            await client.invoices.create(**seed_invoice)

    assert len(api_requests) == 1


async def test_a_stale_version_is_not_retried_and_the_error_says_so(
    client: AsyncFragment, answers: Script, api_requests: Sequence[Request]
) -> None:
    answers.append(error_answer(409))

    with pytest.raises(ConflictError, match="the version sent is stale"):
        await client.invoices.update("inv_1", line_items_update=[{"op": "delete", "id": "li_1"}], version=1)

    assert len(api_requests) == 1


async def test_a_2xx_that_is_not_the_documented_shape_raises_response_validation_error_without_a_retry(
    create_seed_invoice: CreateSeed, answers: Script, api_requests: Sequence[Request]
) -> None:
    answers.append(answer(200, b"<html>maintenance</html>"))

    with pytest.raises(APIResponseValidationError) as caught:
        await create_seed_invoice()

    assert (caught.value.status_code, caught.value.body) == (200, b"<html>maintenance</html>")
    assert len(api_requests) == 1


# --- the token --------------------------------------------------------------------------------------


async def test_the_token_request_uses_basic_auth_and_the_client_credentials_grant(
    create_seed_invoice: CreateSeed,
    token_requests: Sequence[Request],
    client_options: dict[str, str],
) -> None:
    await create_seed_invoice()

    (sent,) = token_requests
    assert (sent.method, sent.url) == ("POST", client_options["token_url"])
    assert sent.authorization == basic(client_options["client_id"], client_options["client_secret"])
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent.headers["Accept"] == "application/json"
    assert sent.body == b"grant_type=client_credentials"


async def test_one_token_serves_many_creates_one_after_another(
    create_seed_invoice: CreateSeed,
    token_requests: Sequence[Request],
    api_requests: Sequence[Request],
) -> None:
    for _ in range(3):
        await create_seed_invoice()

    assert (len(token_requests), len(api_requests)) == (1, 3)


async def test_concurrent_creates_wait_for_one_token_request(
    create_seed_invoice: CreateSeed,
    token_requests: Sequence[Request],
    api_requests: Sequence[Request],
) -> None:
    await asyncio.gather(*(create_seed_invoice() for _ in range(20)))

    assert (len(token_requests), len(api_requests)) == (1, 20)


async def test_a_401_to_a_token_that_expired_in_flight_refreshes_it_and_sends_again_without_waiting(
    create_seed_invoice: CreateSeed,
    answers: Script,
    token_answers: Script,
    api_requests: Sequence[Request],
    sleeps: list[float],
) -> None:
    async def expire_in_flight(request: Request) -> Response:
        await asyncio.sleep(0.02)  # the token lives 10 ms on the client's own clock
        return error_answer(401)

    token_answers.extend([token_answer("token-1", expires_in=0.01), token_answer("token-2")])
    answers.append(expire_in_flight)

    invoice = await create_seed_invoice()

    assert invoice.data.id == "invoice_2024_001"
    assert [sent.authorization for sent in api_requests] == ["Bearer token-1", "Bearer token-2"]
    assert sleeps == []


async def test_a_401_to_a_valid_token_is_raised_without_a_refresh(
    create_seed_invoice: CreateSeed,
    answers: Script,
    token_requests: Sequence[Request],
    api_requests: Sequence[Request],
) -> None:
    answers.append(error_answer(401))

    with pytest.raises(AuthenticationError):
        await create_seed_invoice()

    assert (len(token_requests), len(api_requests)) == (1, 1)


async def test_refused_credentials_raise_authentication_error_without_the_secret(
    create_seed_invoice: CreateSeed,
    token_answers: Script,
    token_requests: Sequence[Request],
    api_requests: Sequence[Request],
    client_options: dict[str, str],
) -> None:
    token_answers.append(answer(401, b'{"error": "invalid_client", "error_description": "bad client credentials"}'))

    with pytest.raises(AuthenticationError) as caught:
        await create_seed_invoice()

    assert caught.value.body["error"] == "invalid_client"
    assert (len(token_requests), api_requests) == (1, [])
    basic_credentials = basic(client_options["client_id"], client_options["client_secret"]).split()[1]
    for text in (str(caught.value), repr(caught.value), repr(caught.value.body)):
        assert client_options["client_secret"] not in text
        assert basic_credentials not in text


@pytest.mark.parametrize(
    "failure", [pytest.param(error_answer(503), id="503"), pytest.param(APIConnectionError("reset"), id="reset")]
)
async def test_the_token_request_follows_the_retry_policy(
    create_seed_invoice: CreateSeed,
    token_answers: Script,
    token_requests: Sequence[Request],
    sleeps: list[float],
    failure: Any,
) -> None:
    token_answers.append(failure)

    await create_seed_invoice()

    assert len(token_requests) == 2
    assert len(sleeps) == 1


async def test_an_unreachable_token_endpoint_raises_after_the_retries_and_sends_no_invoice(
    create_seed_invoice: CreateSeed, token_answers: Script, api_requests: Sequence[Request]
) -> None:
    token_answers.extend([APIConnectionError("Connection error talking to https://auth.fragment.test")] * 3)

    with pytest.raises(APIConnectionError, match=r"auth\.fragment\.test"):
        await create_seed_invoice()

    assert api_requests == []


async def test_a_malformed_token_answer_raises_response_validation_error_without_the_token(
    create_seed_invoice: CreateSeed,
    token_answers: Script,
    api_requests: Sequence[Request],
    access_token: str,
) -> None:
    token_answers.append(answer(200, json.dumps({"access_token": access_token, "expires_in": "an hour"})))

    with pytest.raises(APIResponseValidationError) as caught:
        await create_seed_invoice()

    assert access_token not in str(caught.value)
    assert api_requests == []


# --- logs and secrets --------------------------------------------------------------------------------


def test_the_client_secret_is_in_no_repr(make_client: MakeClient, client_options: dict[str, str]) -> None:
    client = make_client()

    for shown in (client, client.with_options(max_retries=1), client.invoices):
        assert client_options["client_secret"] not in repr(shown)
    assert client_options["client_id"] in repr(client)


async def test_debug_logs_of_a_create_with_a_retry_say_what_happened_and_hold_no_secret(
    create_seed_invoice: CreateSeed,
    answers: Script,
    client_options: dict[str, str],
    access_token: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="fragment")
    answers.append(error_answer(503, {"retry-after": "2"}))

    await create_seed_invoice(extra_query={"private_note": "q"})

    assert "fetched an access token from https://auth.fragment.test/oauth2/token" in caplog.messages
    assert (
        "retrying POST https://api.fragment.test/invoices in 2.00s after status 503 (retry 1 of 2)" in caplog.messages
    )
    basic_credentials = basic(client_options["client_id"], client_options["client_secret"]).split()[1]
    for secret in (client_options["client_secret"], access_token, basic_credentials, "Bearer", "private_note"):
        assert secret not in caplog.text


async def test_a_retry_after_no_answer_is_logged_with_the_reason(
    create_seed_invoice: CreateSeed, answers: Script, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="fragment")
    answers.append(APIConnectionError("Connection error talking to https://api.fragment.test/invoices: reset"))

    await create_seed_invoice()

    (retry,) = [message for message in caplog.messages if message.startswith("retrying")]
    assert retry.endswith("after Connection error talking to https://api.fragment.test/invoices: reset (retry 1 of 2)")


# --- configuration ------------------------------------------------------------------------------------


ENVIRONMENT = {
    "FRAGMENT_CLIENT_ID": "env-id",
    "FRAGMENT_CLIENT_SECRET": "env-secret",
    "FRAGMENT_BASE_URL": "https://env-api.fragment.test/",
    "FRAGMENT_TOKEN_URL": "https://env-auth.fragment.test/oauth2/token",
}


@pytest.mark.parametrize(
    ("environment", "arguments", "expected"),
    [
        pytest.param(
            ENVIRONMENT,
            {},
            {
                "credentials": ("env-id", "env-secret"),
                "token_url": "https://env-auth.fragment.test/oauth2/token",
                "base_url": "https://env-api.fragment.test",
            },
            id="from-the-environment",
        ),
        pytest.param(
            ENVIRONMENT,
            {"client_id": "arg-id", "base_url": "https://arg-api.fragment.test"},
            {
                "credentials": ("arg-id", "env-secret"),
                "token_url": "https://env-auth.fragment.test/oauth2/token",
                "base_url": "https://arg-api.fragment.test",
            },
            id="arguments-win-over-the-environment",
        ),
        pytest.param(
            {},
            {"client_id": "id", "client_secret": "secret"},
            {
                "credentials": ("id", "secret"),
                "token_url": "https://auth.us-west-2.fragment.dev/oauth2/token",
                "base_url": "https://api.us-west-2.fragment.dev",
            },
            id="the-documented-default-urls",
        ),
    ],
)
@pytest.mark.usefixtures("clean_env")
async def test_each_setting_is_the_argument_else_the_environment_variable_else_the_default(
    monkeypatch: pytest.MonkeyPatch,
    transport: MockTransport,
    seed_invoice: dict[str, Any],
    token_requests: Sequence[Request],
    api_requests: Sequence[Request],
    environment: dict[str, str],
    arguments: dict[str, str],
    expected: dict[str, Any],
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    async with AsyncFragment(transport=transport, **arguments) as client:
        await client.invoices.create(**seed_invoice)

    assert client.base_url == expected["base_url"]
    assert token_requests[0].url == expected["token_url"]
    assert token_requests[0].authorization == basic(*expected["credentials"])
    assert api_requests[0].url == f"{expected['base_url']}/invoices"


@pytest.mark.parametrize(
    ("present", "missing_variable"),
    [
        ({"FRAGMENT_CLIENT_SECRET": "s"}, "FRAGMENT_CLIENT_ID"),
        ({"FRAGMENT_CLIENT_ID": "i"}, "FRAGMENT_CLIENT_SECRET"),
        ({"FRAGMENT_CLIENT_ID": "", "FRAGMENT_CLIENT_SECRET": "s"}, "FRAGMENT_CLIENT_ID"),
        ({}, "FRAGMENT_CLIENT_ID"),
    ],
)
@pytest.mark.usefixtures("clean_env")
def test_missing_credentials_raise_an_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, present: dict[str, str], missing_variable: str
) -> None:
    for name, value in present.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(FragmentError, match=missing_variable):
        AsyncFragment()


@pytest.mark.parametrize(
    ("urls", "env", "named"),
    [
        ({"base_url": "http://api.example.com"}, {}, "base_url"),
        ({"token_url": "http://auth.example.com/oauth2/token"}, {}, "token_url"),
        ({"base_url": None}, {"FRAGMENT_BASE_URL": "http://10.1.2.3:8080"}, "base_url"),
    ],
)
def test_plain_http_to_a_remote_host_is_refused_at_construction(
    make_client: MakeClient,
    monkeypatch: pytest.MonkeyPatch,
    urls: dict[str, str | None],
    env: dict[str, str],
    named: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(FragmentError, match=rf"{named} '.*' uses plain http.*allow_insecure_http=True"):
        make_client(**urls)


async def test_plain_http_to_a_remote_host_is_allowed_when_opted_in(
    make_client: MakeClient, seed_invoice: dict[str, Any], api_requests: Sequence[Request]
) -> None:
    async with make_client(
        base_url="http://emulator.internal:8080",
        token_url="http://emulator.internal:8080/oauth2/token",
        allow_insecure_http=True,
    ) as client:
        await client.invoices.create(**seed_invoice)

    assert api_requests[0].url == "http://emulator.internal:8080/invoices"


def test_construction_needs_no_event_loop_and_sends_nothing(make_client: MakeClient, transport: MockTransport) -> None:
    client = make_client()
    clone = client.with_options(timeout=5)

    assert transport.requests == []
    assert (clone.base_url, clone.closed) == (client.base_url, False)


def test_the_settings_read_back_as_given(make_client: MakeClient) -> None:
    client = make_client(max_retries=5, timeout=12, max_connections=7, check_currency_codes=False)

    assert (client.max_retries, client.timeout.total, client.max_connections) == (5, 12, 7)
    assert client.check_currency_codes is False


async def test_transport_and_http_session_together_are_refused(make_client: MakeClient) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ValueError, match="pass neither http_session= nor trace_configs= with it"):
            make_client(http_session=session)


# --- with_options -------------------------------------------------------------------------------------


async def test_with_options_changes_timeout_and_retries_and_shares_the_transport_and_token(
    client: AsyncFragment,
    seed_invoice: dict[str, Any],
    answers: Script,
    token_requests: Sequence[Request],
    api_requests: Sequence[Request],
) -> None:
    clone = client.with_options(timeout=3, max_retries=0)

    await client.invoices.create(**seed_invoice)
    answers.append(error_answer(503))
    with pytest.raises(InternalServerError):
        await clone.invoices.create(**seed_invoice)

    assert (clone.max_retries, clone.timeout.total) == (0, 3)
    assert (client.max_retries, client.timeout.total) == (2, 60)
    assert [sent.timeout.total for sent in api_requests] == [60, 3]  # and the clone's 503 was not retried
    assert len(token_requests) == 1


def test_with_options_keeps_the_settings_it_does_not_change(make_client: MakeClient) -> None:
    client = make_client(max_retries=5, check_currency_codes=False, default_headers={"X-Tenant": "t1"})

    clone = client.with_options(timeout=1)

    assert (clone.max_retries, clone.check_currency_codes, clone.base_url) == (5, False, "https://api.fragment.test")
    assert clone.max_connections == client.max_connections


# --- closing -----------------------------------------------------------------------------------------


async def test_async_with_closes_the_client_and_its_transport(
    make_client: MakeClient, transport: MockTransport
) -> None:
    async with make_client() as client:
        assert not client.closed

    assert client.closed
    assert transport.closed


async def test_close_is_safe_twice_and_before_any_request(make_client: MakeClient) -> None:
    client = make_client()

    await client.close()
    await client.close()

    assert client.closed


@pytest.mark.parametrize("closed_one", ["client", "copy"])
async def test_a_closed_client_and_its_copies_refuse_calls_and_send_nothing(
    make_client: MakeClient,
    seed_invoice: dict[str, Any],
    transport: MockTransport,
    closed_one: str,
) -> None:
    client = make_client()
    copy = client.with_options(max_retries=0)
    await (client if closed_one == "client" else copy).close()

    for user in (client, copy):
        with pytest.raises(FragmentError, match="this AsyncFragment is closed"):
            await user.invoices.create(**seed_invoice)

    assert client.closed and copy.closed
    assert transport.requests == []


# --- the testing switch ------------------------------------------------------------------------------


@pytest.fixture
def slow_retry(answers: Script) -> Script:
    """The first answer asks for a retry in 30 seconds."""
    answers.append(error_answer(503, {"retry-after": "30"}))
    return answers


async def create_within(client: AsyncFragment, invoice: dict[str, Any], seconds: float) -> Any:
    return await asyncio.wait_for(client.invoices.create(**invoice), seconds)


@pytest.mark.usefixtures("slow_retry")
async def test_instant_retries_makes_a_30_second_wait_take_no_time(
    make_client: MakeClient, seed_invoice: dict[str, Any], api_requests: Sequence[Request]
) -> None:
    async with make_client(sleep=None) as client:
        with instant_retries():
            invoice = await create_within(client, seed_invoice, 5)

    assert invoice.data.id == "invoice_2024_001"
    assert len(api_requests) == 2  # the retry itself still happens


@pytest.mark.usefixtures("slow_retry")
async def test_without_the_switch_a_retry_really_waits(make_client: MakeClient, seed_invoice: dict[str, Any]) -> None:
    with instant_retries():
        pass  # the switch goes back to off when the block ends

    async with make_client(sleep=None) as client:
        with pytest.raises(TimeoutError):
            await create_within(client, seed_invoice, 0.2)


@pytest.mark.usefixtures("slow_retry", "fragment_instant_retries")
async def test_the_pytest_fixture_turns_the_switch_on_for_a_test(
    make_client: MakeClient, seed_invoice: dict[str, Any]
) -> None:
    async with make_client(sleep=None) as client:
        await create_within(client, seed_invoice, 5)


@pytest.mark.usefixtures("slow_retry")
async def test_set_instant_retries_switches_on_until_switched_off(
    make_client: MakeClient, seed_invoice: dict[str, Any]
) -> None:
    set_instant_retries()
    try:
        async with make_client(sleep=None) as client:
            await create_within(client, seed_invoice, 5)
    finally:
        set_instant_retries(False)


@pytest.mark.usefixtures("slow_retry")
async def test_a_client_given_its_own_sleep_ignores_the_switch(
    create_seed_invoice: CreateSeed, sleeps: list[float]
) -> None:
    with instant_retries():
        await create_seed_invoice()

    assert sleeps == [30.0]


def test_instant_retries_restores_the_setting_it_found(
    make_client: MakeClient, seed_invoice: dict[str, Any], answers: Script
) -> None:
    async def create_after_a_30_second_retry(timeout: float) -> None:
        answers.append(error_answer(503, {"retry-after": "30"}))
        async with make_client(sleep=None) as client:
            await create_within(client, seed_invoice, timeout)

    with instant_retries():
        with instant_retries():
            pass
        asyncio.run(create_after_a_30_second_retry(5))  # still on after the inner block

    with pytest.raises(TimeoutError):
        asyncio.run(create_after_a_30_second_retry(0.2))


def test_a_client_id_with_a_colon_is_refused_at_construction_naming_client_id(
    clean_env: None, transport: MockTransport
) -> None:
    with pytest.raises(FragmentError, match="client_id must not contain ':'"):
        AsyncFragment(client_id="team:one", client_secret="secret", transport=transport)
