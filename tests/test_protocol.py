"""The pure protocol: the retry state machine, the status table, answer decoding, transport rules.

Nothing here needs an event loop or a socket: each rule is a table of plain values, tested once.
The client's driver only carries out these decisions (tests/test_client.py).
"""

from __future__ import annotations

import email.utils
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from multidict import CIMultiDict

import fragment
from fragment._protocol import (
    USER_AGENT,
    Attempts,
    Decision,
    Fail,
    RefreshToken,
    Retry,
    Succeed,
    check_transport_security,
    decode_response,
    status_error,
)
from fragment.types import InvoiceCreateResponse

NOW = 1_700_000_000.0
SAMPLES = Path(__file__).parent / "samples"


def http_date(timestamp: float) -> str:
    return email.utils.formatdate(timestamp, usegmt=True)


def attempts(max_retries: int = 2, *, version_guarded: bool = False, rand: float = 0.0) -> Attempts:
    """A state machine with a fixed jitter draw and a fixed wall clock."""
    return Attempts(max_retries, version_guarded=version_guarded, rand=lambda: rand, now=lambda: NOW)


def after(
    machine: Attempts, status: int, headers: Mapping[str, str] | None = None, *, token_expired: bool = False
) -> Decision:
    return machine.after_answer(status, CIMultiDict(headers or {}), b"", token_expired=token_expired)


def decisions(machine: Attempts, statuses: list[int], *, token_expired: bool = False) -> list[Decision]:
    return [after(machine, status, token_expired=token_expired) for status in statuses]


def delays(machine: Attempts, count: int, status: int = 503) -> list[float]:
    """The delays of ``count`` retries in a row after answers of ``status``."""
    retries = [after(machine, status) for _ in range(count)]
    assert all(isinstance(retry, Retry) for retry in retries)
    return [retry.delay for retry in retries]


# --- Attempts: what to do after one answer ----------------------------------------------------

FIRST_DECISION = [
    *[pytest.param(status, {}, Succeed, id=f"{status}") for status in (200, 201, 202, 204, 299)],
    *[pytest.param(status, {}, Retry, id=f"{status}") for status in (408, 409, 429, 500, 502, 503, 504, 599)],
    *[pytest.param(status, {}, Fail, id=f"{status}") for status in (304, 400, 401, 403, 404, 410, 418, 422)],
    *[
        pytest.param(status, {"x-should-retry": "true"}, Retry, id=f"{status}-should-retry-true")
        for status in (400, 401, 404, 422)
    ],
    *[
        pytest.param(status, {"x-should-retry": "false"}, Fail, id=f"{status}-should-retry-false")
        for status in (408, 409, 429, 500, 503)
    ],
    pytest.param(500, {"X-Should-Retry": "false"}, Fail, id="header-names-are-case-insensitive"),
    pytest.param(302, {"x-should-retry": "true"}, Fail, id="a-redirect-even-with-should-retry-true"),
    pytest.param(400, {"x-should-retry": "maybe"}, Fail, id="other-values-ignored-400"),
    pytest.param(500, {"x-should-retry": "maybe"}, Retry, id="other-values-ignored-500"),
]


@pytest.mark.parametrize(("status", "headers", "expected"), FIRST_DECISION)
def test_a_2xx_succeeds_a_retryable_status_retries_and_x_should_retry_overrides_either_way(
    status: int, headers: dict[str, str], expected: type[Decision]
) -> None:
    assert type(after(attempts(), status, headers)) is expected


def test_a_failure_carries_the_status_error_of_the_answer() -> None:
    body = b'{"error": {"message": "no such thing"}}'

    decision = attempts().after_answer(404, CIMultiDict({"X-Request-Id": "r1"}), body, token_expired=False)

    assert isinstance(decision, Fail)
    assert isinstance(decision.error, fragment.NotFoundError)
    assert (decision.error.status_code, decision.error.body) == (404, {"error": {"message": "no such thing"}})
    assert decision.error.headers["x-request-id"] == "r1"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "0"}, 0.0),
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "2.5"}, 2.5),
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after": "60"}, 60.0),
        ({"retry-after": http_date(NOW + 20)}, 20.0),
        ({"retry-after-ms": "250", "retry-after": "30"}, 0.25),
        ({"retry-after-ms": "soon", "retry-after": "4"}, 4.0),
    ],
)
def test_a_retry_waits_what_the_server_asked_for_between_0_and_60_seconds(
    headers: dict[str, str], expected: float
) -> None:
    decision = after(attempts(rand=0.9), 429, headers)

    assert isinstance(decision, Retry)
    assert decision.delay == pytest.approx(expected)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"retry-after-ms": "61000"},
        {"retry-after-ms": "600000"},
        {"retry-after-ms": "-5"},
        {"retry-after": "61"},
        {"retry-after": "3600"},
        {"retry-after": "-1"},
        {"retry-after": "nan"},
        {"retry-after": "inf"},
        {"retry-after": http_date(NOW - 30)},
        {"retry-after": http_date(NOW + 600)},
        {"retry-after": "whenever"},
    ],
)
def test_a_retry_after_that_is_absent_out_of_range_or_unreadable_falls_back_to_backoff(
    headers: dict[str, str],
) -> None:
    machine = attempts(max_retries=3)
    delays(machine, 2)

    decision = after(machine, 429, headers)

    assert isinstance(decision, Retry)
    assert decision.delay == 2.0  # the third backoff step, not anything the header said


def test_backoff_doubles_from_half_a_second_up_to_8() -> None:
    assert delays(attempts(max_retries=7), 7) == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_backoff_stays_at_8_seconds_however_many_retries() -> None:
    assert delays(attempts(max_retries=1100), 1100)[-1] == 8.0


@pytest.mark.parametrize(("rand", "share"), [(0.0, 1.0), (0.5, 0.875), (0.999999, 0.75)])
def test_jitter_shortens_each_backoff_by_at_most_a_quarter(rand: float, share: float) -> None:
    full = [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]

    assert delays(attempts(max_retries=6, rand=rand), 6) == pytest.approx([step * share for step in full], rel=1e-5)


def test_jitter_spreads_delays_with_the_real_random_source() -> None:
    first_delays = {after(Attempts(2), 503).delay for _ in range(50)}

    assert len(first_delays) > 1
    assert all(0.375 <= delay <= 0.5 for delay in first_delays)


@pytest.mark.parametrize("max_retries", [0, 1, 2, 5])
def test_retries_stop_after_max_retries_and_the_last_answer_fails(max_retries: int) -> None:
    machine = attempts(max_retries)

    outcome = decisions(machine, [503] * (max_retries + 1))

    assert [type(decision) for decision in outcome] == [Retry] * max_retries + [Fail]
    assert machine.retries_done == max_retries
    last = outcome[-1]
    assert isinstance(last, Fail) and last.error.status_code == 503


def test_answers_and_connection_errors_count_against_the_same_max_retries() -> None:
    machine = attempts(max_retries=2)

    first = after(machine, 503)
    second = machine.after_no_answer(fragment.APIConnectionError("reset"))
    third = after(machine, 429)

    assert [type(first), type(second), type(third)] == [Retry, Retry, Fail]


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_fails_at_once_naming_its_target_without_query_or_fragment(status: int) -> None:
    headers = {"Location": "https://elsewhere.example/login?token=abc#top"}

    decision = after(attempts(), status, headers)

    assert isinstance(decision, Fail)
    assert type(decision.error) is fragment.APIStatusError
    assert str(decision.error) == (
        f"Error code: {status} - the API answered with a redirect to https://elsewhere.example/login, "
        "which is not followed; check base_url (the API does not redirect)"
    )


def test_a_redirect_without_a_location_says_it_leads_nowhere() -> None:
    decision = after(attempts(), 307)

    assert isinstance(decision, Fail) and "a redirect to nowhere" in str(decision.error)


# --- Attempts: the 401 refresh rule -------------------------------------------------------------


def test_a_401_to_an_expired_token_refreshes_it() -> None:
    assert after(attempts(), 401, token_expired=True) == RefreshToken()


def test_a_401_to_a_token_that_has_not_expired_fails_without_a_refresh() -> None:
    decision = after(attempts(), 401, token_expired=False)

    assert isinstance(decision, Fail)
    assert isinstance(decision.error, fragment.AuthenticationError)


def test_the_token_is_refreshed_only_once_per_request() -> None:
    outcome = decisions(attempts(), [401, 401], token_expired=True)

    assert outcome[0] == RefreshToken()
    assert isinstance(outcome[1], Fail) and isinstance(outcome[1].error, fragment.AuthenticationError)


@pytest.mark.parametrize("max_retries", [0, 1])
def test_a_refresh_is_not_counted_as_a_retry(max_retries: int) -> None:
    machine = attempts(max_retries)

    refresh = after(machine, 401, token_expired=True)
    then = decisions(machine, [503] * (max_retries + 1))

    assert refresh == RefreshToken()
    assert [type(decision) for decision in then] == [Retry] * max_retries + [Fail]


def test_a_refresh_is_still_allowed_after_the_retries_are_spent() -> None:
    machine = attempts(max_retries=1)
    after(machine, 503)

    assert after(machine, 401, token_expired=True) == RefreshToken()


# --- Attempts: version-guarded writes -----------------------------------------------------------


def test_a_version_guarded_409_fails_at_once_saying_the_version_is_stale() -> None:
    decision = after(attempts(version_guarded=True), 409)

    assert isinstance(decision, Fail)
    assert isinstance(decision.error, fragment.ConflictError)
    assert "version sent is stale" in str(decision.error)


def test_a_version_guarded_409_is_retried_when_the_server_says_x_should_retry_true() -> None:
    assert isinstance(after(attempts(version_guarded=True), 409, {"x-should-retry": "true"}), Retry)


@pytest.mark.parametrize(("status", "expected"), [(503, Retry), (429, Retry), (400, Fail), (200, Succeed)])
def test_version_guarding_changes_nothing_but_the_409(status: int, expected: type[Decision]) -> None:
    assert type(after(attempts(version_guarded=True), status)) is expected


def test_an_unguarded_409_is_retried_and_then_fails_without_the_stale_version_hint() -> None:
    outcome = decisions(attempts(max_retries=1), [409, 409])

    assert isinstance(outcome[0], Retry)
    assert isinstance(outcome[1], Fail) and "stale" not in str(outcome[1].error)


# --- Attempts: no answer at all ---------------------------------------------------------------

NO_ANSWER = [
    pytest.param(fragment.APIConnectionError("Connection error talking to https://x: reset"), id="connection-error"),
    pytest.param(fragment.APITimeoutError("Request to https://x timed out"), id="timeout"),
]


@pytest.mark.parametrize("error", NO_ANSWER)
def test_no_answer_is_retried_with_backoff_and_its_message_as_the_reason(error: fragment.APIConnectionError) -> None:
    decision = attempts().after_no_answer(error)

    assert decision == Retry(0.5, error.message)


@pytest.mark.parametrize("error", NO_ANSWER)
def test_no_answer_after_the_last_retry_fails_with_that_very_error(error: fragment.APIConnectionError) -> None:
    machine = attempts(max_retries=1)
    machine.after_no_answer(error)

    assert machine.after_no_answer(error) == Fail(error)


# --- status_error -------------------------------------------------------------------------------

SPEC_STATUS_TABLE = (
    "400 BadRequestError, 401 AuthenticationError, 403 PermissionDeniedError, 404 NotFoundError, "
    "409 ConflictError, 422 UnprocessableEntityError, 429 RateLimitError"
)
"""The status-to-exception table of SPEC section 2, as written there."""

STATUS_CLASSES = [
    *[(int(status), getattr(fragment, name)) for status, name in map(str.split, SPEC_STATUS_TABLE.split(", "))],
    *[(status, fragment.InternalServerError) for status in (500, 502, 503, 504, 599)],
    *[(status, fragment.APIStatusError) for status in (402, 405, 408, 410, 418, 451)],
]


@pytest.mark.parametrize(("status", "error_class"), STATUS_CLASSES)
def test_status_error_picks_the_class_of_the_status_and_keeps_status_headers_and_parsed_body(
    status: int, error_class: type[fragment.APIStatusError]
) -> None:
    headers = CIMultiDict({"x-request-id": "req_1", "content-type": "application/json"})
    body = {"error": {"message": "something specific", "code": "E1"}}

    error = status_error(status, headers, json.dumps(body).encode())

    assert type(error) is error_class
    assert error.status_code == status
    assert error.headers["X-Request-Id"] == "req_1"
    assert error.body == body
    assert str(error) == error.message == f"Error code: {status} - something specific"


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
    assert status_error(500, {}, raw).body == parsed


def test_status_error_message_falls_back_to_a_short_form_of_the_body() -> None:
    error = status_error(503, {}, b"x" * 10_000)

    assert str(error).startswith("Error code: 503 - xxx")
    assert len(str(error)) < 600


def test_status_error_appends_the_hint() -> None:
    error = status_error(409, {}, b'{"error": {"message": "version mismatch"}}', hint=" (fetch it again)")

    assert str(error) == "Error code: 409 - version mismatch (fetch it again)"


# --- decode_response ----------------------------------------------------------------------------


@pytest.mark.parametrize("sample", sorted(path.name for path in SAMPLES.glob("invoice_create_response*.json")))
def test_decode_response_reads_every_recorded_answer(sample: str) -> None:
    body = (SAMPLES / sample).read_bytes()

    response = decode_response(InvoiceCreateResponse, 201, body)

    assert isinstance(response, InvoiceCreateResponse)
    assert response.data.id == json.loads(body)["data"]["id"]


def test_decode_response_reads_names_and_nested_items_with_python_names() -> None:
    body = (SAMPLES / "invoice_create_response.json").read_bytes()

    response = decode_response(InvoiceCreateResponse, 200, body)

    assert response.data.workspace_id == "ws_8f2c1e"
    assert response.data.line_items is not None
    assert [item.currency_code for item in response.data.line_items] == ["USD", "USDC"]


def test_decode_response_is_lenient_about_new_fields_and_new_status_values() -> None:
    answer = json.loads((SAMPLES / "invoice_create_response.json").read_text())
    answer["data"].update(status="settled", color="blue")
    answer["meta"] = {}

    response = decode_response(InvoiceCreateResponse, 200, json.dumps(answer).encode())

    assert response.data.status == "settled"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"OK",
        b"<html>welcome</html>",
        b"null",
        b"[]",
        b"{}",
        b'{"invoice": {}}',
        b'{"data": null}',
        b'{"data": {"id": "inv_1"}}',
        b'{"data": {"id": "inv_1", "created": "yesterday", "status": "active", "version": 1, "workspaceId": "w"}}',
        b'{"data": {"id": "inv_1", "created": "2026-01-15T10:30:00Z", "status": "active", "version": "1",'
        b' "workspaceId": "w"}}',
    ],
)
def test_a_malformed_2xx_body_raises_response_validation_error_carrying_the_raw_body(body: bytes) -> None:
    with pytest.raises(fragment.APIResponseValidationError) as caught:
        decode_response(InvoiceCreateResponse, 200, body)

    assert caught.value.status_code == 200
    assert caught.value.body == body
    assert "200" in str(caught.value)
    assert "InvoiceCreateResponse" in str(caught.value)


def test_a_response_validation_error_names_the_bad_field() -> None:
    body = b'{"data": {"id": "inv_1", "created": "yesterday", "status": "active", "version": 1, "workspaceId": "w"}}'

    with pytest.raises(fragment.APIResponseValidationError, match=r"created"):
        decode_response(InvoiceCreateResponse, 201, body)


# --- check_transport_security and the user agent ------------------------------------------------


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
    with pytest.raises(fragment.FragmentError, match=r"base_url .* plain http.*allow_insecure_http=True"):
        check_transport_security(url, what="base_url", allow_insecure_http=False)


def test_plain_http_to_another_host_is_allowed_when_opted_in() -> None:
    check_transport_security("http://emulator.internal:8080", what="base_url", allow_insecure_http=True)


@pytest.mark.parametrize("url", ["ftp://api.example.com", "api.example.com", "", "http://"])
def test_a_url_that_is_not_http_is_refused(url: str) -> None:
    with pytest.raises(fragment.FragmentError, match="token_url must be an http"):
        check_transport_security(url, what="token_url", allow_insecure_http=True)


def test_user_agent_names_the_package_and_its_version() -> None:
    assert USER_AGENT.startswith(f"fragment-python/{fragment.__version__} python/")


def test_a_list_answer_of_the_wrong_shape_names_the_first_problems_and_counts_the_rest() -> None:
    from fragment import APIResponseValidationError
    from fragment.types import RoleListResponse

    body = b'{"data": [' + b",".join(b'{"id": 1}' for _ in range(40)) + b"]}"

    with pytest.raises(APIResponseValidationError) as caught:
        decode_response(RoleListResponse, 200, body)

    assert str(caught.value).endswith("more") and len(str(caught.value)) < 1000
