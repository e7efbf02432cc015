"""Auth in one place: the token request, the reading of its answer, and the token cache on a fake clock."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable

import aiohttp
import pytest

from fragment import APIResponseValidationError
from fragment._auth import AccessToken, Credentials, TokenCache, decode_token_response
from fragment.testing import answer

Clock = Callable[[], float]
Advance = Callable[[float], None]


class Fetcher:
    """A token endpoint stand-in that counts its calls and can be held open."""

    def __init__(self, expires_in: float = 3600.0) -> None:
        self.calls = 0
        self.expires_in = expires_in
        self.release = asyncio.Event()
        self.release.set()
        self.failures = 0
        """How many of the next calls fail."""

    async def __call__(self) -> tuple[str, float]:
        self.calls += 1
        await self.release.wait()
        if self.failures:
            self.failures -= 1
            raise RuntimeError("token endpoint down")
        return f"token-{self.calls}", self.expires_in


# --- the token request ---------------------------------------------------------------------------

CREDENTIALS = Credentials("client_id_0123", "sEcReT-d0-n0t-l0g-9f8e7d", "https://auth.fragment.test/oauth2/token")


def test_the_token_request_is_the_client_credentials_grant_with_basic_auth() -> None:
    timeout = aiohttp.ClientTimeout(total=9)

    request = CREDENTIALS.token_request(headers={"Accept": "application/json"}, timeout=timeout)

    assert (request.method, request.url) == ("POST", "https://auth.fragment.test/oauth2/token")
    assert request.headers == {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"}
    assert request.body == b"grant_type=client_credentials"
    assert request.timeout is timeout
    credentials = base64.b64encode(b"client_id_0123:sEcReT-d0-n0t-l0g-9f8e7d").decode()
    assert request.authorization == f"Basic {credentials}"


def test_a_non_ascii_secret_is_sent_as_utf_8() -> None:
    credentials = Credentials("id", "sécret", "https://auth.fragment.test/oauth2/token")

    request = credentials.token_request(headers={}, timeout=aiohttp.ClientTimeout(total=1))

    assert request.authorization == "Basic " + base64.b64encode("id:sécret".encode()).decode()


def test_neither_the_credentials_nor_the_token_request_show_the_secret_or_the_basic_header() -> None:
    request = CREDENTIALS.token_request(headers={}, timeout=aiohttp.ClientTimeout(total=1))

    for text in (repr(CREDENTIALS), repr(request)):
        assert CREDENTIALS.client_secret not in text
        assert "Basic" not in text
    assert "client_id_0123" in repr(CREDENTIALS)


# --- reading the token answer -------------------------------------------------------------------


def test_decode_token_response_returns_the_token_and_its_lifetime() -> None:
    body = b'{"access_token": "t1", "expires_in": 900, "token_type": "Bearer"}'

    assert decode_token_response(answer(200, body)) == ("t1", 900.0)


@pytest.mark.parametrize(
    "body", [b'{"access_token": "t1"}', b'{"access_token": "t1", "expires_in": null}'], ids=["absent", "null"]
)
def test_a_token_without_a_lifetime_lives_3600_seconds(body: bytes) -> None:
    assert decode_token_response(answer(200, body)) == ("t1", 3600.0)


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
        b'{"access_token": "secret-token-value", "expires_in": 0}',
        b'{"access_token": "secret-token-value", "expires_in": -60}',
    ],
)
def test_a_malformed_token_answer_raises_response_validation_error_without_the_token_in_its_text(
    body: bytes,
) -> None:
    with pytest.raises(APIResponseValidationError) as caught:
        decode_token_response(answer(200, body))

    assert caught.value.status_code == 200
    assert caught.value.body == body
    assert "token endpoint answered 200" in str(caught.value)
    assert "secret-token-value" not in str(caught.value)
    assert "secret-token-value" not in repr(caught.value)
    assert caught.value.__cause__ is None and caught.value.__context__ is None


# --- the access token ---------------------------------------------------------------------------


def test_the_header_is_the_bearer_value_and_neither_is_in_the_repr() -> None:
    token = AccessToken("very-secret-token", expires_at=10.0, refresh_at=5.0)

    assert token.header == "Bearer very-secret-token"
    assert "very-secret-token" not in repr(token)
    assert "Bearer" not in repr(token)


# --- the token cache ------------------------------------------------------------------------------


async def test_the_first_get_fetches_and_later_ones_reuse_the_token(clock: Clock, advance_clock: Advance) -> None:
    fetch = Fetcher()
    cache = TokenCache(clock=clock)

    first = await cache.get(fetch)
    advance_clock(100)
    second = await cache.get(fetch)

    assert first is second
    assert first.value == "token-1"
    assert fetch.calls == 1


async def test_the_token_records_expiry_and_refresh_times_on_the_cache_clock(clock: Clock) -> None:
    token = await TokenCache(clock=clock).get(Fetcher(expires_in=3600))

    assert token.expires_at == clock() + 3600
    assert token.refresh_at == clock() + 3600 - 30


async def test_many_concurrent_callers_share_one_fetch(clock: Clock) -> None:
    fetch = Fetcher()
    fetch.release.clear()
    cache = TokenCache(clock=clock)

    waiters = [asyncio.create_task(cache.get(fetch)) for _ in range(20)]
    await asyncio.sleep(0)
    fetch.release.set()
    tokens = await asyncio.gather(*waiters)

    assert fetch.calls == 1
    assert {token.value for token in tokens} == {"token-1"}


@pytest.mark.parametrize(
    ("lifetime", "refresh_after"),
    [pytest.param(3600, 3600 - 30, id="30-seconds-before-expiry"), pytest.param(100, 90, id="at-90-percent-of-life")],
)
async def test_a_token_is_refreshed_shortly_before_it_expires(
    clock: Clock, advance_clock: Advance, lifetime: float, refresh_after: float
) -> None:
    fetch = Fetcher(expires_in=lifetime)
    cache = TokenCache(clock=clock)
    await cache.get(fetch)

    advance_clock(refresh_after - 0.001)
    before = await cache.get(fetch)
    advance_clock(0.001)
    after = await cache.get(fetch)

    assert (before.value, after.value) == ("token-1", "token-2")
    assert fetch.calls == 2


async def test_an_expired_token_is_never_handed_out(clock: Clock, advance_clock: Advance) -> None:
    fetch = Fetcher(expires_in=60)
    cache = TokenCache(clock=clock)
    await cache.get(fetch)

    advance_clock(10_000)
    token = await cache.get(fetch)

    assert token.value == "token-2"
    assert not cache.is_expired(token)


async def test_is_expired_turns_true_at_the_expiry_time(clock: Clock, advance_clock: Advance) -> None:
    cache = TokenCache(clock=clock)
    token = await cache.get(Fetcher(expires_in=100))

    advance_clock(99.999)
    assert not cache.is_expired(token)
    advance_clock(0.001)
    assert cache.is_expired(token)


async def test_discard_makes_the_next_get_fetch_a_new_token(clock: Clock) -> None:
    fetch = Fetcher()
    cache = TokenCache(clock=clock)
    old = await cache.get(fetch)

    cache.discard(old)

    assert (await cache.get(fetch)).value == "token-2"


async def test_discarding_a_stale_token_keeps_its_replacement(clock: Clock, advance_clock: Advance) -> None:
    fetch = Fetcher(expires_in=100)
    cache = TokenCache(clock=clock)
    old = await cache.get(fetch)
    advance_clock(95)
    new = await cache.get(fetch)

    cache.discard(old)

    assert await cache.get(fetch) is new
    assert fetch.calls == 2


async def test_a_failed_fetch_is_raised_and_the_next_get_tries_again(clock: Clock) -> None:
    fetch = Fetcher()
    fetch.failures = 1
    cache = TokenCache(clock=clock)

    with pytest.raises(RuntimeError, match="token endpoint down"):
        await cache.get(fetch)
    token = await cache.get(fetch)

    assert token.value == "token-2"


async def test_current_gives_the_cached_token_only_while_it_is_not_due(clock: Clock, advance_clock: Advance) -> None:
    cache = TokenCache(clock=clock)
    assert cache.current() is None

    token = await cache.get(Fetcher(expires_in=100))
    assert cache.current() is token

    advance_clock(90)
    assert cache.current() is None


async def test_callers_waiting_on_a_fetch_that_fails_share_its_error_without_trying_again(clock: Clock) -> None:
    fetch = Fetcher()
    fetch.release.clear()
    fetch.failures = 5  # refused credentials: every try would fail
    cache = TokenCache(clock=clock)

    waiters = [asyncio.create_task(cache.get(fetch)) for _ in range(5)]
    await asyncio.sleep(0)
    fetch.release.set()
    outcomes = await asyncio.gather(*waiters, return_exceptions=True)

    assert all(isinstance(outcome, RuntimeError) for outcome in outcomes)
    assert fetch.calls == 1


def test_a_cache_serves_one_event_loop_after_another(clock: Clock, advance_clock: Advance) -> None:
    fetch = Fetcher(expires_in=100)
    cache = TokenCache(clock=clock)

    first = asyncio.run(cache.get(fetch))
    advance_clock(95)
    second = asyncio.run(cache.get(fetch))  # a second asyncio.run: the refresh needs a lock of this loop

    assert (first.value, second.value) == ("token-1", "token-2")
