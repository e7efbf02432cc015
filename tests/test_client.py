"""AsyncFragment against a stubbed API: the request on the wire, errors, retries, tokens, config."""

from __future__ import annotations

import asyncio
import base64
import email.utils
import functools
import inspect
import logging
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import pytest
from conftest import (
    ACCESS_TOKEN,
    BASE_URL,
    CLIENT_ID,
    CLIENT_SECRET,
    INVOICE_PAYLOAD,
    SEED_INVOICE,
    SEED_LINE_ITEM,
    TOKEN_URL,
    FakeAPI,
    FakeClock,
)

import fragment
import fragment._client
from fragment import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AsyncFragment,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    FragmentError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from fragment._protocol import retry_delay
from fragment.types import InvoiceCreateResponse, LineItem

MakeClient = Callable[..., AsyncFragment]

ERROR_BODY = {"error": {"code": "some_code", "message": "the server's explanation"}}
BASIC_CREDENTIALS = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()


@pytest.fixture
def no_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff without its random part, so that the client's delays are exact."""
    monkeypatch.setattr(fragment._client, "retry_delay", functools.partial(retry_delay, rand=lambda: 0.0))


# --- the request on the wire ------------------------------------------------------------------


async def test_the_seed_example_sends_the_exact_json_body(api: FakeAPI, client: AsyncFragment) -> None:
    api.token()
    api.invoice()

    await client.invoices.create(**SEED_INVOICE)

    assert len(api.invoice_calls) == 1
    body = api.sent_json()
    assert list(body) == ["invoiceId", "lineItems"]
    assert body["invoiceId"] == "invoice_2024_001"
    assert len(body["lineItems"]) == 1
    line_item = body["lineItems"][0]
    assert list(line_item) == ["amount", "currencyCode", "description", "product_id", "type", "user_id"]
    assert line_item["amount"] == "1000"
    assert line_item["currencyCode"] == "USD"
    assert line_item["description"] == "Professional services for January 2026"
    assert line_item["product_id"] == "prod_1234567890"
    assert line_item["type"] == "payout"
    assert line_item["user_id"] == "user_ext_456"


async def test_a_create_sends_json_headers_a_bearer_token_and_a_user_agent(api: FakeAPI, client: AsyncFragment) -> None:
    api.token()
    api.invoice()

    await client.invoices.create(**SEED_INVOICE)

    headers = api.sent_headers()
    assert headers["Content-Type"] == "application/json"
    assert headers["Accept"] == "application/json"
    assert headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert headers["User-Agent"].startswith(f"fragment-python/{fragment.__version__}")


async def test_a_create_returns_the_answer_as_models(api: FakeAPI, client: AsyncFragment) -> None:
    api.token()
    api.invoice()

    invoice = await client.invoices.create(**SEED_INVOICE)

    assert isinstance(invoice, InvoiceCreateResponse)
    assert invoice.data.id == "invoice_2024_001"
    assert invoice.data.workspace_id == "ws_42"
    assert invoice.data.line_items is not None
    assert invoice.data.line_items[0].currency_code == "USD"


async def test_line_item_instances_and_int_amounts_are_sent_as_digit_strings(
    api: FakeAPI, client: AsyncFragment
) -> None:
    api.token()
    api.invoice()

    await client.invoices.create(
        invoice_id="inv_1", line_items=[LineItem(**SEED_LINE_ITEM), {**SEED_LINE_ITEM, "amount": 2500}]
    )

    assert [item["amount"] for item in api.sent_json()["lineItems"]] == ["1000", "2500"]


@pytest.mark.parametrize("status", [200, 201])
async def test_both_200_and_201_are_success(api: FakeAPI, client: AsyncFragment, status: int) -> None:
    api.token()
    api.invoice(status=status)

    invoice = await client.invoices.create(**SEED_INVOICE)

    assert invoice.data.id == "invoice_2024_001"


async def test_default_and_extra_headers_are_sent_but_never_replace_the_bearer_token(
    api: FakeAPI, make_client: MakeClient
) -> None:
    api.token()
    api.invoice()

    async with make_client(default_headers={"X-Tenant": "t1"}) as client:
        await client.invoices.create(
            **SEED_INVOICE, extra_headers={"X-Request-Tag": "abc", "Authorization": "Bearer forged"}
        )

    headers = api.sent_headers()
    assert (headers["X-Tenant"], headers["X-Request-Tag"]) == ("t1", "abc")
    assert headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"


async def test_unknown_currency_codes_are_sent_when_the_check_is_off(api: FakeAPI, make_client: MakeClient) -> None:
    api.token()
    api.invoice()

    async with make_client(check_currency_codes=False) as client:
        await client.invoices.create(invoice_id="inv_1", line_items=[{**SEED_LINE_ITEM, "currency_code": "NEWCOIN"}])

    assert api.sent_json()["lineItems"][0]["currencyCode"] == "NEWCOIN"


async def test_the_default_timeout_is_60_seconds_in_total_and_5_to_connect(api: FakeAPI, client: AsyncFragment) -> None:
    api.token()
    api.invoice()

    await client.invoices.create(**SEED_INVOICE)

    timeout = api.invoice_calls[0].kwargs["timeout"]
    assert (timeout.total, timeout.connect) == (60, 5)


async def test_a_per_call_timeout_overrides_the_client_one(api: FakeAPI, client: AsyncFragment) -> None:
    api.token()
    api.invoice()

    await client.invoices.create(**SEED_INVOICE, timeout=2.5)

    assert api.invoice_calls[0].kwargs["timeout"].total == 2.5


async def test_a_client_timeout_object_is_used_as_is(api: FakeAPI, make_client: MakeClient) -> None:
    api.token()
    api.invoice()
    timeout = aiohttp.ClientTimeout(total=30, sock_read=10)

    async with make_client(timeout=timeout) as client:
        await client.invoices.create(**SEED_INVOICE)

    assert api.invoice_calls[0].kwargs["timeout"] == timeout


@pytest.mark.parametrize(
    "settings", [{"timeout": 0}, {"timeout": -1}, {"timeout": "60"}, {"max_retries": -1}, {"max_retries": 1.5}]
)
def test_bad_timeout_or_max_retries_is_refused_at_construction(make_client: MakeClient, settings: Any) -> None:
    with pytest.raises(ValueError, match=next(iter(settings))):
        make_client(**settings)


# --- errors -----------------------------------------------------------------------------------

STATUS_TABLE = [
    (400, BadRequestError),
    (401, AuthenticationError),
    (403, PermissionDeniedError),
    (404, NotFoundError),
    (409, ConflictError),
    (422, UnprocessableEntityError),
    (429, RateLimitError),
    (500, InternalServerError),
    (503, InternalServerError),
]


@pytest.mark.parametrize(("status", "error_class"), STATUS_TABLE)
async def test_an_error_status_raises_its_exception_with_status_headers_and_body(
    api: FakeAPI, make_client: MakeClient, status: int, error_class: type[APIStatusError]
) -> None:
    api.token()
    api.invoice(status=status, payload=ERROR_BODY, headers={"X-Request-Id": "req_123"})

    async with make_client(max_retries=0) as client:
        with pytest.raises(error_class) as caught:
            await client.invoices.create(**SEED_INVOICE)

    error = caught.value
    assert isinstance(error, APIStatusError)
    assert error.status_code == status
    assert error.headers["x-request-id"] == "req_123"
    assert error.body == ERROR_BODY
    assert "the server's explanation" in str(error)


async def test_an_error_body_that_is_not_json_is_kept_as_text(api: FakeAPI, make_client: MakeClient) -> None:
    api.token()
    api.invoice(status=502, body="<html>Bad Gateway</html>", content_type="text/html")

    async with make_client(max_retries=0) as client:
        with pytest.raises(InternalServerError) as caught:
            await client.invoices.create(**SEED_INVOICE)

    assert caught.value.body == "<html>Bad Gateway</html>"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"<html>maintenance</html>", id="not-json"),
        pytest.param(b"", id="empty"),
        pytest.param(b'{"data": {"id": "inv_1"}}', id="wrong-shape"),
        pytest.param(b'{"invoice": {}}', id="no-data"),
    ],
)
async def test_a_2xx_body_that_is_not_an_invoice_raises_response_validation_error_with_the_raw_body(
    api: FakeAPI, client: AsyncFragment, body: bytes
) -> None:
    api.token()
    api.invoice(status=200, body=body)

    with pytest.raises(APIResponseValidationError) as caught:
        await client.invoices.create(**SEED_INVOICE)

    assert caught.value.body == body
    assert caught.value.status_code == 200
    assert len(api.invoice_calls) == 1


async def test_a_2xx_answer_with_extra_fields_and_a_new_status_is_read(api: FakeAPI, client: AsyncFragment) -> None:
    payload = {"data": {**INVOICE_PAYLOAD["data"], "status": "settled", "color": "blue"}, "meta": {}}
    api.token()
    api.invoice(payload=payload)

    invoice = await client.invoices.create(**SEED_INVOICE)

    assert invoice.data.status == "settled"


# --- retries ----------------------------------------------------------------------------------

RETRYABLE = [
    pytest.param({"status": 408}, id="408"),
    pytest.param({"status": 409}, id="409"),
    pytest.param({"status": 429}, id="429"),
    pytest.param({"status": 500}, id="500"),
    pytest.param({"status": 502}, id="502"),
    pytest.param({"status": 503}, id="503"),
    pytest.param({"status": 504}, id="504"),
    pytest.param({"exception": aiohttp.ClientConnectionError("connection refused")}, id="connection-error"),
    pytest.param({"exception": aiohttp.ServerDisconnectedError()}, id="server-disconnected"),
    pytest.param({"exception": TimeoutError()}, id="timeout"),
    pytest.param({"exception": aiohttp.ConnectionTimeoutError()}, id="connect-timeout"),
]


@pytest.mark.parametrize("failure", RETRYABLE)
async def test_a_retryable_failure_is_retried_and_the_create_succeeds(
    api: FakeAPI, client: AsyncFragment, sleeps: list[float], failure: dict[str, Any]
) -> None:
    api.token()
    api.invoice(**failure)
    api.invoice()

    invoice = await client.invoices.create(**SEED_INVOICE)

    assert invoice.data.id == "invoice_2024_001"
    assert len(api.invoice_calls) == 2
    assert len(sleeps) == 1
    assert api.sent_json(0) == api.sent_json(1)


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (422, UnprocessableEntityError),
    ],
)
async def test_a_non_retryable_status_is_raised_at_once(
    api: FakeAPI, client: AsyncFragment, sleeps: list[float], status: int, error_class: type[Exception]
) -> None:
    api.token()
    api.invoice(status=status, payload=ERROR_BODY, repeat=True)

    with pytest.raises(error_class):
        await client.invoices.create(**SEED_INVOICE)

    assert len(api.invoice_calls) == 1
    assert sleeps == []


async def test_retries_stop_after_max_retries_and_raise_the_last_error(
    api: FakeAPI, client: AsyncFragment, sleeps: list[float]
) -> None:
    api.token()
    api.invoice(status=503, payload=ERROR_BODY, repeat=True)

    with pytest.raises(InternalServerError) as caught:
        await client.invoices.create(**SEED_INVOICE)

    assert caught.value.status_code == 503
    assert len(api.invoice_calls) == 1 + 2
    assert len(sleeps) == 2


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param({"status": 503}, id="503"),
        pytest.param({"status": 429}, id="429"),
        pytest.param({"exception": aiohttp.ClientConnectionError()}, id="connection-error"),
    ],
)
async def test_max_retries_0_sends_once(
    api: FakeAPI, make_client: MakeClient, sleeps: list[float], failure: dict[str, Any]
) -> None:
    api.token()
    api.invoice(repeat=True, **failure)

    async with make_client(max_retries=0) as client:
        with pytest.raises((APIStatusError, APIConnectionError)):
            await client.invoices.create(**SEED_INVOICE)

    assert len(api.invoice_calls) == 1
    assert sleeps == []


async def test_x_should_retry_true_retries_a_400(api: FakeAPI, client: AsyncFragment, sleeps: list[float]) -> None:
    api.token()
    api.invoice(status=400, payload=ERROR_BODY, headers={"X-Should-Retry": "true"})
    api.invoice()

    await client.invoices.create(**SEED_INVOICE)

    assert len(api.invoice_calls) == 2


async def test_x_should_retry_false_stops_retrying_a_503(
    api: FakeAPI, client: AsyncFragment, sleeps: list[float]
) -> None:
    api.token()
    api.invoice(status=503, payload=ERROR_BODY, headers={"x-should-retry": "false"}, repeat=True)

    with pytest.raises(InternalServerError):
        await client.invoices.create(**SEED_INVOICE)

    assert len(api.invoice_calls) == 1
    assert sleeps == []


async def test_429_with_retry_after_ms_waits_that_long(
    api: FakeAPI, client: AsyncFragment, sleeps: list[float]
) -> None:
    api.token()
    api.invoice(status=429, headers={"retry-after-ms": "1500"})
    api.invoice()

    await client.invoices.create(**SEED_INVOICE)

    assert sleeps == [1.5]


async def test_429_with_retry_after_seconds_waits_that_long(
    api: FakeAPI, client: AsyncFragment, sleeps: list[float]
) -> None:
    api.token()
    api.invoice(status=429, headers={"Retry-After": "3"})
    api.invoice()

    await client.invoices.create(**SEED_INVOICE)

    assert sleeps == [3.0]


async def test_503_with_retry_after_as_an_http_date_waits_until_then(
    api: FakeAPI, client: AsyncFragment, sleeps: list[float]
) -> None:
    api.token()
    api.invoice(status=503, headers={"Retry-After": email.utils.formatdate(time.time() + 30, usegmt=True)})
    api.invoice()

    await client.invoices.create(**SEED_INVOICE)

    assert sleeps == [pytest.approx(30, abs=1.5)]


@pytest.mark.parametrize(
    "headers",
    [{"retry-after": "120"}, {"retry-after-ms": "600000"}, {"retry-after": "-3"}, {"retry-after": "whenever"}],
)
async def test_a_retry_after_out_of_range_falls_back_to_backoff(
    api: FakeAPI, client: AsyncFragment, sleeps: list[float], headers: dict[str, str]
) -> None:
    api.token()
    api.invoice(status=429, headers=headers)
    api.invoice()

    await client.invoices.create(**SEED_INVOICE)

    assert len(sleeps) == 1
    assert 0.375 <= sleeps[0] <= 0.5


@pytest.mark.usefixtures("no_jitter")
async def test_backoff_doubles_between_attempts(api: FakeAPI, make_client: MakeClient, sleeps: list[float]) -> None:
    api.token()
    api.invoice(status=500, repeat=True)

    async with make_client(max_retries=6) as client:
        with pytest.raises(InternalServerError):
            await client.invoices.create(**SEED_INVOICE)

    assert sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]


async def test_backoff_has_jitter(api: FakeAPI, make_client: MakeClient, sleeps: list[float]) -> None:
    api.token()
    api.invoice(status=500, repeat=True)

    async with make_client(max_retries=4) as client:
        with pytest.raises(InternalServerError):
            await client.invoices.create(**SEED_INVOICE)

    bounds = [(0.375, 0.5), (0.75, 1.0), (1.5, 2.0), (3.0, 4.0)]
    assert all(low <= delay <= high for delay, (low, high) in zip(sleeps, bounds, strict=True))


@pytest.mark.parametrize(
    "exception", [TimeoutError(), aiohttp.ServerTimeoutError(), aiohttp.ConnectionTimeoutError()], ids=type
)
async def test_a_timeout_raises_api_timeout_error(
    api: FakeAPI, client: AsyncFragment, sleeps: list[float], exception: Exception
) -> None:
    api.token()
    api.invoice(exception=exception, repeat=True)

    with pytest.raises(APITimeoutError) as caught:
        await client.invoices.create(**SEED_INVOICE)

    assert isinstance(caught.value, APIConnectionError)
    assert caught.value.__cause__ is exception
    assert len(api.invoice_calls) == 3


@pytest.mark.parametrize(
    "exception",
    [aiohttp.ClientConnectionError("refused"), aiohttp.ServerDisconnectedError(), aiohttp.ClientOSError(104, "reset")],
    ids=type,
)
async def test_a_connection_error_raises_api_connection_error(
    api: FakeAPI, client: AsyncFragment, sleeps: list[float], exception: Exception
) -> None:
    api.token()
    api.invoice(exception=exception, repeat=True)

    with pytest.raises(APIConnectionError) as caught:
        await client.invoices.create(**SEED_INVOICE)

    assert not isinstance(caught.value, APITimeoutError)
    assert caught.value.__cause__ is exception
    assert len(api.invoice_calls) == 3


# --- the token flow -----------------------------------------------------------------------------


async def test_the_token_request_uses_basic_auth_and_the_client_credentials_grant(
    api: FakeAPI, client: AsyncFragment
) -> None:
    api.token()
    api.invoice()

    await client.invoices.create(**SEED_INVOICE)

    (call,) = api.token_calls
    headers = call.kwargs["headers"]
    assert headers["Authorization"] == BASIC_CREDENTIALS
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert call.kwargs["data"] == b"grant_type=client_credentials"


@pytest.mark.xfail(
    # Self-retiring: once the fix lands this runs as a plain regression test.
    "aiohttp.BasicAuth(" in inspect.getsource(fragment._client),
    strict=True,
    raises=DeprecationWarning,
    reason="fragment/_client.py AsyncFragment._fetch_token builds the header with aiohttp.BasicAuth(...).encode(), "
    "deprecated since aiohttp 3.14; use aiohttp.encode_basic_auth(client_id, client_secret)",
)
async def test_the_token_request_uses_no_deprecated_aiohttp_api(api: FakeAPI, client: AsyncFragment) -> None:
    api.token()
    api.invoice()

    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        await client.invoices.create(**SEED_INVOICE)


async def test_one_token_serves_many_concurrent_creates(api: FakeAPI, client: AsyncFragment) -> None:
    api.token()
    api.invoice(repeat=True)

    await asyncio.gather(*(client.invoices.create(**SEED_INVOICE) for _ in range(20)))

    assert len(api.token_calls) == 1
    assert len(api.invoice_calls) == 20


async def test_an_expired_token_is_refreshed_before_the_next_create(
    api: FakeAPI, client: AsyncFragment, clock: FakeClock
) -> None:
    api.token(token="token-1", expires_in=100, repeat=False)
    api.token(token="token-2", expires_in=100, repeat=False)
    api.invoice(repeat=True)
    await client.invoices.create(**SEED_INVOICE)

    clock.advance(95)
    await client.invoices.create(**SEED_INVOICE)

    assert len(api.token_calls) == 2
    assert [api.sent_headers(i)["Authorization"] for i in (0, 1)] == ["Bearer token-1", "Bearer token-2"]


async def test_a_token_without_expires_in_lives_3600_seconds(
    api: FakeAPI, client: AsyncFragment, clock: FakeClock
) -> None:
    api.token(expires_in=None)
    api.invoice(repeat=True)
    await client.invoices.create(**SEED_INVOICE)

    clock.advance(3600 - 31)
    await client.invoices.create(**SEED_INVOICE)
    assert len(api.token_calls) == 1
    clock.advance(1)
    await client.invoices.create(**SEED_INVOICE)
    assert len(api.token_calls) == 2


def expire_in_flight(clock: FakeClock) -> Callable[..., None]:
    """An aioresponses callback: the token expires while the request is on its way."""

    def callback(url: Any, **kwargs: Any) -> None:
        clock.advance(200)

    return callback


async def test_a_401_with_an_expired_token_refreshes_it_and_retries_once(
    api: FakeAPI, client: AsyncFragment, clock: FakeClock, sleeps: list[float]
) -> None:
    api.token(token="token-1", expires_in=100, repeat=False)
    api.token(token="token-2", expires_in=100, repeat=False)
    api.invoice(status=401, payload=ERROR_BODY, callback=expire_in_flight(clock))
    api.invoice()

    invoice = await client.invoices.create(**SEED_INVOICE)

    assert invoice.data.id == "invoice_2024_001"
    assert len(api.token_calls) == 2
    assert [api.sent_headers(i)["Authorization"] for i in (0, 1)] == ["Bearer token-1", "Bearer token-2"]
    assert sleeps == []


async def test_a_401_with_an_expired_token_is_refreshed_only_once(
    api: FakeAPI, client: AsyncFragment, clock: FakeClock, sleeps: list[float]
) -> None:
    api.token(expires_in=100)
    api.invoice(status=401, payload=ERROR_BODY, callback=expire_in_flight(clock), repeat=True)

    with pytest.raises(AuthenticationError):
        await client.invoices.create(**SEED_INVOICE)

    assert len(api.invoice_calls) == 2
    assert len(api.token_calls) == 2


async def test_the_401_refresh_happens_even_with_max_retries_0(
    api: FakeAPI, make_client: MakeClient, clock: FakeClock
) -> None:
    api.token(expires_in=100)
    api.invoice(status=401, payload=ERROR_BODY, callback=expire_in_flight(clock))
    api.invoice()

    async with make_client(max_retries=0) as client:
        await client.invoices.create(**SEED_INVOICE)

    assert len(api.invoice_calls) == 2


async def test_a_401_with_a_valid_token_is_raised_without_a_refresh(
    api: FakeAPI, client: AsyncFragment, clock: FakeClock
) -> None:
    api.token()
    api.invoice(status=401, payload=ERROR_BODY, repeat=True)

    with pytest.raises(AuthenticationError):
        await client.invoices.create(**SEED_INVOICE)

    assert len(api.token_calls) == 1
    assert len(api.invoice_calls) == 1


async def test_a_bad_client_secret_surfaces_authentication_error_without_the_secret(
    api: FakeAPI, client: AsyncFragment, sleeps: list[float]
) -> None:
    api.token(status=401, payload={"error": "invalid_client", "error_description": "bad client credentials"})

    with pytest.raises(AuthenticationError) as caught:
        await client.invoices.create(**SEED_INVOICE)

    assert caught.value.status_code == 401
    assert caught.value.body["error"] == "invalid_client"
    assert len(api.token_calls) == 1
    assert api.invoice_calls == []
    for text in (str(caught.value), repr(caught.value), repr(caught.value.body)):
        assert CLIENT_SECRET not in text
        assert BASIC_CREDENTIALS.split()[1] not in text


async def test_the_token_request_follows_the_retry_policy(
    api: FakeAPI, client: AsyncFragment, sleeps: list[float]
) -> None:
    api.token(status=503, repeat=False)
    api.token()
    api.invoice()

    await client.invoices.create(**SEED_INVOICE)

    assert len(api.token_calls) == 2
    assert len(sleeps) == 1


async def test_a_malformed_token_answer_raises_response_validation_error_without_the_token(
    api: FakeAPI, client: AsyncFragment
) -> None:
    api.token(payload={"access_token": ACCESS_TOKEN, "expires_in": "an hour"})

    with pytest.raises(APIResponseValidationError) as caught:
        await client.invoices.create(**SEED_INVOICE)

    assert ACCESS_TOKEN not in str(caught.value)
    assert CLIENT_SECRET not in str(caught.value)
    assert api.invoice_calls == []


# --- secrets ----------------------------------------------------------------------------------


def test_the_client_secret_is_not_in_the_repr(make_client: MakeClient) -> None:
    client = make_client()

    assert CLIENT_SECRET not in repr(client)
    assert CLIENT_SECRET not in repr(client.with_options(max_retries=1))
    assert CLIENT_ID in repr(client)


async def test_debug_logs_of_a_full_create_hold_no_secret(
    api: FakeAPI, client: AsyncFragment, sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="fragment")
    api.token()
    api.invoice(status=503, payload=ERROR_BODY)
    api.invoice()

    await client.invoices.create(**SEED_INVOICE)

    assert "fetched an access token" in caplog.text
    assert "retrying POST" in caplog.text
    for secret in (CLIENT_SECRET, ACCESS_TOKEN, BASIC_CREDENTIALS.split()[1], "Bearer", "Authorization"):
        assert secret not in caplog.text


async def test_connection_error_text_holds_no_secret(api: FakeAPI, client: AsyncFragment, sleeps: list[float]) -> None:
    api.token(exception=aiohttp.ClientConnectionError("cannot connect"))

    with pytest.raises(APIConnectionError) as caught:
        await client.invoices.create(**SEED_INVOICE)

    assert CLIENT_SECRET not in str(caught.value)
    assert TOKEN_URL in str(caught.value)


# --- configuration ----------------------------------------------------------------------------


async def test_settings_come_from_the_environment(
    api: FakeAPI, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRAGMENT_CLIENT_ID", "env-id")
    monkeypatch.setenv("FRAGMENT_CLIENT_SECRET", "env-secret")
    monkeypatch.setenv("FRAGMENT_BASE_URL", "https://env-api.fragment.test/")
    monkeypatch.setenv("FRAGMENT_TOKEN_URL", "https://env-auth.fragment.test/token")
    api.token(url="https://env-auth.fragment.test/token")
    api.invoice(url="https://env-api.fragment.test/invoices")

    async with AsyncFragment() as client:
        await client.invoices.create(**SEED_INVOICE)

    assert client.base_url == "https://env-api.fragment.test"
    (token_call,) = api.calls("https://env-auth.fragment.test/token")
    expected = "Basic " + base64.b64encode(b"env-id:env-secret").decode()
    assert token_call.kwargs["headers"]["Authorization"] == expected
    assert len(api.calls("https://env-api.fragment.test/invoices")) == 1


def test_arguments_win_over_the_environment(clean_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRAGMENT_CLIENT_ID", "env-id")
    monkeypatch.setenv("FRAGMENT_CLIENT_SECRET", "env-secret")
    monkeypatch.setenv("FRAGMENT_BASE_URL", "https://env-api.fragment.test")

    client = AsyncFragment(client_id="arg-id", base_url=BASE_URL)

    assert client.base_url == BASE_URL
    assert "arg-id" in repr(client)


async def test_the_default_urls_are_the_documented_ones(api: FakeAPI, clean_env: None) -> None:
    api.token(url="https://auth.us-west-2.fragment.dev/oauth2/token")
    api.invoice(url="https://api.us-west-2.fragment.dev/invoices")

    async with AsyncFragment(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as client:
        await client.invoices.create(**SEED_INVOICE)

    assert client.base_url == "https://api.us-west-2.fragment.dev"
    assert len(api.calls("https://api.us-west-2.fragment.dev/invoices")) == 1


@pytest.mark.parametrize(
    ("present", "missing_variable"),
    [
        ({"FRAGMENT_CLIENT_SECRET": "s"}, "FRAGMENT_CLIENT_ID"),
        ({"FRAGMENT_CLIENT_ID": "i"}, "FRAGMENT_CLIENT_SECRET"),
        ({"FRAGMENT_CLIENT_ID": "", "FRAGMENT_CLIENT_SECRET": "s"}, "FRAGMENT_CLIENT_ID"),
        ({}, "FRAGMENT_CLIENT_ID"),
    ],
)
def test_missing_credentials_raise_an_error_naming_the_variable(
    clean_env: None, monkeypatch: pytest.MonkeyPatch, present: dict[str, str], missing_variable: str
) -> None:
    for name, value in present.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(FragmentError, match=missing_variable):
        AsyncFragment()


@pytest.mark.parametrize(
    "urls",
    [
        {"base_url": "http://api.example.com"},
        {"token_url": "http://auth.example.com/oauth2/token"},
        {"base_url": "http://10.1.2.3:8080"},
    ],
)
def test_plain_http_to_a_remote_host_is_refused(make_client: MakeClient, urls: dict[str, str]) -> None:
    with pytest.raises(FragmentError, match=r"plain http.*allow_insecure_http=True"):
        make_client(**urls)


def test_plain_http_from_the_environment_is_refused_too(clean_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRAGMENT_BASE_URL", "http://api.example.com")

    with pytest.raises(FragmentError, match="base_url"):
        AsyncFragment(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)


async def test_plain_http_to_a_remote_host_is_allowed_when_opted_in(api: FakeAPI, make_client: MakeClient) -> None:
    api.token(url="http://emulator.internal:8080/oauth2/token")
    api.invoice(url="http://emulator.internal:8080/invoices")

    async with make_client(
        base_url="http://emulator.internal:8080",
        token_url="http://emulator.internal:8080/oauth2/token",
        allow_insecure_http=True,
    ) as client:
        await client.invoices.create(**SEED_INVOICE)

    assert len(api.calls("http://emulator.internal:8080/invoices")) == 1


@pytest.mark.parametrize("host", ["127.0.0.1:8080", "localhost:8080", "[::1]:8080"])
async def test_plain_http_to_loopback_is_allowed(api: FakeAPI, make_client: MakeClient, host: str) -> None:
    api.token(url=f"http://{host}/oauth2/token")
    api.invoice(url=f"http://{host}/invoices")

    async with make_client(base_url=f"http://{host}", token_url=f"http://{host}/oauth2/token") as client:
        await client.invoices.create(**SEED_INVOICE)

    assert len(api.calls(f"http://{host}/invoices")) == 1


@pytest.fixture
def no_sessions(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make creating any aiohttp session or connector fail loudly."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an aiohttp session or connector was created")

    monkeypatch.setattr(aiohttp, "ClientSession", refuse)
    monkeypatch.setattr(aiohttp, "TCPConnector", refuse)
    yield


@pytest.mark.usefixtures("no_sessions")
def test_construction_needs_no_event_loop_and_does_no_io(api: FakeAPI, make_client: MakeClient) -> None:
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()

    client = make_client()
    clone = client.with_options(timeout=5)

    assert api.nothing_sent
    assert clone.base_url == client.base_url


async def test_with_options_changes_timeout_and_retries_and_shares_the_connection_and_token(
    api: FakeAPI, client: AsyncFragment, sleeps: list[float]
) -> None:
    api.token()
    api.invoice()
    api.invoice()
    api.invoice(status=503)

    clone = client.with_options(timeout=3, max_retries=0)
    await client.invoices.create(**SEED_INVOICE)
    await clone.invoices.create(**SEED_INVOICE)
    with pytest.raises(InternalServerError):
        await clone.invoices.create(**SEED_INVOICE)

    assert (clone.max_retries, clone.timeout.total) == (0, 3)
    assert (client.max_retries, client.timeout.total) == (2, 60)
    assert api.invoice_calls[1].kwargs["timeout"].total == 3
    assert len(api.invoice_calls) == 3
    assert len(api.token_calls) == 1
    assert clone._connection.state().session is client._connection.state().session


async def test_with_options_keeps_unchanged_settings(make_client: MakeClient) -> None:
    client = make_client(max_retries=5, check_currency_codes=False)

    clone = client.with_options(timeout=1)

    assert (clone.max_retries, clone.check_currency_codes, clone.base_url) == (5, False, BASE_URL)


async def test_async_with_closes_the_session_it_opened(api: FakeAPI, make_client: MakeClient) -> None:
    api.token()
    api.invoice()

    async with make_client() as client:
        await client.invoices.create(**SEED_INVOICE)
        session = client._connection.state().session
        assert not session.closed

    assert session.closed


async def test_close_is_safe_twice_and_before_any_request(make_client: MakeClient) -> None:
    client = make_client()

    await client.close()
    await client.close()


async def test_a_passed_in_session_is_used_and_not_closed(api: FakeAPI, make_client: MakeClient) -> None:
    api.token()
    api.invoice()

    async with aiohttp.ClientSession(headers={"X-Session-Marker": "the caller's"}) as session:
        async with make_client(http_session=session) as client:
            await client.invoices.create(**SEED_INVOICE)

        assert not session.closed
        assert api.sent_headers()["X-Session-Marker"] == "the caller's"


def test_a_second_asyncio_run_works_with_a_fresh_session(api: FakeAPI, make_client: MakeClient) -> None:
    api.token()
    api.invoice(repeat=True)
    client = make_client()

    first = asyncio.run(client.invoices.create(**SEED_INVOICE))
    assert client._connection._state is not None
    first_session = client._connection._state.session
    second = asyncio.run(client.invoices.create(**SEED_INVOICE))
    second_session = client._connection._state.session
    asyncio.run(client.close())

    assert first == second
    assert second_session is not first_session
    assert first_session.closed
    assert len(api.invoice_calls) == 2


def test_a_call_from_a_second_live_loop_raises_runtime_error(api: FakeAPI, make_client: MakeClient) -> None:
    api.token()
    api.invoice(repeat=True)
    client = make_client()
    other_loop = asyncio.new_event_loop()
    thread = threading.Thread(target=other_loop.run_forever, daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(client.invoices.create(**SEED_INVOICE), other_loop).result(timeout=5)

        with pytest.raises(RuntimeError, match="another event loop"):
            asyncio.run(client.invoices.create(**SEED_INVOICE))
    finally:
        asyncio.run_coroutine_threadsafe(client.close(), other_loop).result(timeout=5)
        other_loop.call_soon_threadsafe(other_loop.stop)
        thread.join(timeout=5)
        other_loop.close()

    assert len(api.invoice_calls) == 1


async def test_a_trailing_slash_in_the_base_url_is_ignored(api: FakeAPI, make_client: MakeClient) -> None:
    api.token()
    api.invoice()

    async with make_client(base_url=BASE_URL + "/") as client:
        await client.invoices.create(**SEED_INVOICE)

    assert client.base_url == BASE_URL
    assert len(api.invoice_calls) == 1
