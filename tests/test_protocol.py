"""The pure protocol: status-to-exception table, retry policy, answer decoding, transport rules."""

from __future__ import annotations

import email.utils
import json
from typing import Any

import pytest
from multidict import CIMultiDict

import fragment
from fragment import (
    APIResponseValidationError,
    APIStatusError,
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
from fragment._protocol import (
    INITIAL_RETRY_DELAY,
    MAX_RETRY_DELAY,
    USER_AGENT,
    check_transport_security,
    decode_create_response,
    decode_token_response,
    retry_after,
    retry_delay,
    should_retry,
    status_error,
)
from fragment.types import InvoiceCreateResponse

NOW = 1_700_000_000.0


def http_date(timestamp: float) -> str:
    return email.utils.formatdate(timestamp, usegmt=True)


# --- status_error ----------------------------------------------------------------------------

STATUS_TABLE = [
    (400, BadRequestError),
    (401, AuthenticationError),
    (403, PermissionDeniedError),
    (404, NotFoundError),
    (409, ConflictError),
    (422, UnprocessableEntityError),
    (429, RateLimitError),
    (500, InternalServerError),
    (502, InternalServerError),
    (503, InternalServerError),
    (504, InternalServerError),
    (599, InternalServerError),
]


@pytest.mark.parametrize(("status", "error_class"), STATUS_TABLE)
def test_status_error_picks_the_class_of_the_status_and_keeps_status_headers_and_parsed_body(
    status: int, error_class: type[APIStatusError]
) -> None:
    headers = CIMultiDict({"x-request-id": "req_1", "content-type": "application/json"})
    body = {"error": {"message": "something specific", "code": "E1"}}

    error = status_error(status, headers, json.dumps(body).encode())

    assert type(error) is error_class
    assert error.status_code == status
    assert error.headers["X-Request-Id"] == "req_1"
    assert error.body == body
    assert str(error) == f"Error code: {status} - something specific"


@pytest.mark.parametrize("status", [402, 405, 408, 410, 418, 451])
def test_status_error_for_an_unlisted_4xx_is_a_plain_api_status_error(status: int) -> None:
    error = status_error(status, {}, b"")

    assert type(error) is APIStatusError
    assert error.status_code == status


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        (b"", None),
        (b"upstream exploded", "upstream exploded"),
        (b"<html>502 Bad Gateway</html>", "<html>502 Bad Gateway</html>"),
        (b'{"message": "flat"}', {"message": "flat"}),
        (b"[1, 2]", [1, 2]),
        (b"\xff\xfe not utf-8", "\ufffd\ufffd not utf-8"),
    ],
)
def test_status_error_body_is_json_when_it_parses_else_text_else_none(raw: bytes, parsed: Any) -> None:
    error = status_error(500, {}, raw)

    assert error.body == parsed


def test_status_error_message_falls_back_to_a_short_form_of_the_body() -> None:
    error = status_error(503, {}, b"x" * 10_000)

    assert str(error).startswith("Error code: 503 - xxx")
    assert len(str(error)) < 600


# --- should_retry ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (408, True),
        (409, True),
        (422, False),
        (429, True),
        (500, True),
        (502, True),
        (503, True),
        (504, True),
        (599, True),
    ],
)
def test_should_retry_follows_the_status_table(status: int, expected: bool) -> None:
    assert should_retry(status, {}) is expected


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_x_should_retry_true_makes_any_status_retryable(status: int) -> None:
    assert should_retry(status, {"x-should-retry": "true"}) is True


@pytest.mark.parametrize("status", [408, 409, 429, 500, 503])
def test_x_should_retry_false_stops_a_retryable_status(status: int) -> None:
    assert should_retry(status, {"x-should-retry": "false"}) is False


def test_x_should_retry_with_another_value_is_ignored() -> None:
    assert should_retry(400, {"x-should-retry": "maybe"}) is False
    assert should_retry(500, {"x-should-retry": "maybe"}) is True


def test_x_should_retry_is_read_case_insensitively_from_response_headers() -> None:
    assert should_retry(500, CIMultiDict({"X-Should-Retry": "false"})) is False


# --- retry_after / retry_delay ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "0"}, 0.0),
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "2.5"}, 2.5),
        ({"retry-after": http_date(NOW + 10)}, 10.0),
        ({"retry-after-ms": "250", "retry-after": "30"}, 0.25),
        ({"retry-after-ms": "soon", "retry-after": "4"}, 4.0),
        ({}, None),
        ({"retry-after": "tomorrow-ish"}, None),
    ],
)
def test_retry_after_reads_ms_then_seconds_then_http_date(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after(headers, now=lambda: NOW) == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": http_date(NOW + 20)}, 20.0),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after": "60"}, 60.0),
    ],
)
def test_retry_delay_honours_a_retry_after_between_0_and_60_seconds(headers: dict[str, str], expected: float) -> None:
    assert retry_delay(0, headers, rand=lambda: 0.9, now=lambda: NOW) == pytest.approx(expected)


@pytest.mark.parametrize(
    "headers",
    [
        {"retry-after-ms": "61000"},
        {"retry-after-ms": "-5"},
        {"retry-after": "61"},
        {"retry-after": "3600"},
        {"retry-after": "-1"},
        {"retry-after": "nan"},
        {"retry-after": "inf"},
        {"retry-after": http_date(NOW - 30)},
        {"retry-after": http_date(NOW + 600)},
        {"retry-after": "not a date"},
    ],
)
def test_retry_delay_falls_back_to_backoff_when_retry_after_is_out_of_range_or_unreadable(
    headers: dict[str, str],
) -> None:
    assert retry_delay(2, headers, rand=lambda: 0.0, now=lambda: NOW) == 2.0


@pytest.mark.parametrize(
    ("retries_done", "expected"),
    [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 8.0), (10, 8.0), (1000, 8.0)],
)
def test_backoff_doubles_from_half_a_second_and_is_capped_at_8(retries_done: int, expected: float) -> None:
    assert retry_delay(retries_done, rand=lambda: 0.0) == expected


@pytest.mark.parametrize("retries_done", [0, 1, 2, 3, 4, 9])
def test_jitter_shortens_the_backoff_by_at_most_a_quarter(retries_done: int) -> None:
    full = min(INITIAL_RETRY_DELAY * 2**retries_done, MAX_RETRY_DELAY)

    assert retry_delay(retries_done, rand=lambda: 0.0) == full
    assert retry_delay(retries_done, rand=lambda: 0.5) == pytest.approx(full * 0.875)
    assert retry_delay(retries_done, rand=lambda: 0.999999) == pytest.approx(full * 0.75, rel=1e-5)


def test_jitter_spreads_delays_with_the_real_random_source() -> None:
    delays = {retry_delay(1) for _ in range(50)}

    assert len(delays) > 1
    assert all(0.75 <= delay <= 1.0 for delay in delays)


def test_backoff_is_used_when_there_are_no_headers() -> None:
    assert retry_delay(0, None, rand=lambda: 0.0) == INITIAL_RETRY_DELAY


# --- decode_token_response -------------------------------------------------------------------


def test_decode_token_response_returns_the_token_and_its_lifetime() -> None:
    assert decode_token_response(200, b'{"access_token": "t1", "expires_in": 900, "token_type": "Bearer"}') == (
        "t1",
        900.0,
    )


@pytest.mark.parametrize("body", [b'{"access_token": "t1"}', b'{"access_token": "t1", "expires_in": null}'])
def test_decode_token_response_defaults_an_absent_lifetime_to_3600_seconds(body: bytes) -> None:
    assert decode_token_response(200, body) == ("t1", 3600.0)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html>oops</html>",
        b"[]",
        b'"a string"',
        b"{}",
        b'{"access_token": null}',
        b'{"access_token": ""}',
        b'{"access_token": 12345}',
        b'{"access_token": "secret-token-value", "expires_in": "soon"}',
        b'{"access_token": "secret-token-value", "expires_in": true}',
    ],
)
def test_a_malformed_token_answer_raises_response_validation_error_without_the_token_in_its_text(
    body: bytes,
) -> None:
    with pytest.raises(APIResponseValidationError) as caught:
        decode_token_response(200, body)

    assert caught.value.status_code == 200
    assert caught.value.body == body
    assert "secret-token-value" not in str(caught.value)
    assert "secret-token-value" not in repr(caught.value)


# --- decode_create_response ------------------------------------------------------------------


def test_decode_create_response_reads_an_invoice() -> None:
    body = json.dumps(
        {
            "data": {
                "id": "inv_1",
                "created": "2026-01-15T10:30:00Z",
                "status": "active",
                "version": 1,
                "workspaceId": "ws_1",
            }
        }
    ).encode()

    response = decode_create_response(201, body)

    assert isinstance(response, InvoiceCreateResponse)
    assert response.data.id == "inv_1"
    assert response.data.workspace_id == "ws_1"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"OK",
        b"<html>welcome</html>",
        b"null",
        b"[]",
        b"{}",
        b'{"data": null}',
        b'{"data": {"id": "inv_1"}}',
        b'{"data": {"id": "inv_1", "created": "yesterday", "status": "active", "version": 1, "workspaceId": "w"}}',
        b'{"data": {"id": "inv_1", "created": "2026-01-15T10:30:00Z", "status": "active", "version": "1",'
        b' "workspaceId": "w"}}',
    ],
)
def test_a_malformed_2xx_body_raises_response_validation_error_carrying_the_raw_body(body: bytes) -> None:
    with pytest.raises(APIResponseValidationError) as caught:
        decode_create_response(200, body)

    assert caught.value.status_code == 200
    assert caught.value.body == body
    assert "200" in str(caught.value)


def test_a_response_validation_error_names_the_bad_field() -> None:
    body = b'{"data": {"id": "inv_1", "created": "yesterday", "status": "active", "version": 1, "workspaceId": "w"}}'

    with pytest.raises(APIResponseValidationError, match=r"created"):
        decode_create_response(201, body)


# --- check_transport_security ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://api.us-west-2.fragment.dev",
        "https://10.0.0.5/oauth2/token",
        "http://localhost:8080",
        "http://127.0.0.1:8080/oauth2/token",
        "http://127.9.9.9",
        "http://[::1]:9000",
    ],
)
def test_https_and_loopback_http_are_allowed(url: str) -> None:
    check_transport_security(url, what="base_url", allow_insecure_http=False)


@pytest.mark.parametrize(
    "url",
    ["http://api.example.com", "http://10.0.0.5:8080", "http://192.168.1.20/oauth2/token", "http://localhost.evil.com"],
)
def test_plain_http_to_another_host_is_refused_with_a_clear_error(url: str) -> None:
    with pytest.raises(FragmentError, match=r"plain http.*allow_insecure_http=True"):
        check_transport_security(url, what="base_url", allow_insecure_http=False)


def test_plain_http_to_another_host_is_allowed_when_opted_in() -> None:
    check_transport_security("http://emulator.internal:8080", what="base_url", allow_insecure_http=True)


@pytest.mark.parametrize("url", ["ftp://api.example.com", "api.example.com", "", "http://"])
def test_a_url_that_is_not_http_is_refused(url: str) -> None:
    with pytest.raises(FragmentError, match="must be an http"):
        check_transport_security(url, what="token_url", allow_insecure_http=True)


def test_user_agent_names_the_package_and_its_version() -> None:
    assert USER_AGENT.startswith(f"fragment-python/{fragment.__version__} ")
