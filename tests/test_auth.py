"""The token cache on a fake clock: cached, refreshed before expiry, one fetch at a time."""

from __future__ import annotations

import asyncio

import pytest
from conftest import FakeClock

from fragment._auth import AccessToken, TokenCache


class Fetcher:
    """A token endpoint stand-in that counts its calls and can be held open."""

    def __init__(self, expires_in: float = 3600.0) -> None:
        self.calls = 0
        self.expires_in = expires_in
        self.release = asyncio.Event()
        self.release.set()
        self.fail_next = False

    async def __call__(self) -> tuple[str, float]:
        self.calls += 1
        await self.release.wait()
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("token endpoint down")
        return f"token-{self.calls}", self.expires_in


async def test_the_first_get_fetches_and_later_ones_reuse_the_token() -> None:
    clock, fetch = FakeClock(), Fetcher()
    cache = TokenCache(clock=clock)

    first = await cache.get(fetch)
    clock.advance(100)
    second = await cache.get(fetch)

    assert first is second
    assert first.value == "token-1"
    assert fetch.calls == 1


async def test_the_token_records_expiry_and_refresh_times_on_the_cache_clock() -> None:
    clock, fetch = FakeClock(now=500.0), Fetcher(expires_in=3600)

    token = await TokenCache(clock=clock).get(fetch)

    assert token.expires_at == 4100.0
    assert token.refresh_at == 4100.0 - 30


async def test_many_concurrent_callers_share_one_fetch() -> None:
    fetch = Fetcher()
    fetch.release.clear()
    cache = TokenCache(clock=FakeClock())

    waiters = [asyncio.create_task(cache.get(fetch)) for _ in range(20)]
    await asyncio.sleep(0)
    fetch.release.set()
    tokens = await asyncio.gather(*waiters)

    assert fetch.calls == 1
    assert {token.value for token in tokens} == {"token-1"}


async def test_a_token_is_refreshed_30_seconds_before_it_expires() -> None:
    clock, fetch = FakeClock(), Fetcher(expires_in=3600)
    cache = TokenCache(clock=clock)
    await cache.get(fetch)

    clock.advance(3600 - 30 - 0.001)
    assert (await cache.get(fetch)).value == "token-1"
    clock.advance(0.001)
    assert (await cache.get(fetch)).value == "token-2"
    assert fetch.calls == 2


async def test_a_short_lived_token_is_refreshed_after_90_percent_of_its_life() -> None:
    clock, fetch = FakeClock(), Fetcher(expires_in=100)
    cache = TokenCache(clock=clock)
    await cache.get(fetch)

    clock.advance(89.9)
    assert (await cache.get(fetch)).value == "token-1"
    clock.advance(0.1)
    assert (await cache.get(fetch)).value == "token-2"


async def test_an_expired_token_is_never_handed_out() -> None:
    clock, fetch = FakeClock(), Fetcher(expires_in=60)
    cache = TokenCache(clock=clock)
    await cache.get(fetch)

    clock.advance(10_000)
    token = await cache.get(fetch)

    assert token.value == "token-2"
    assert not cache.is_expired(token)


async def test_is_expired_turns_true_at_the_expiry_time() -> None:
    clock = FakeClock()
    cache = TokenCache(clock=clock)
    token = await cache.get(Fetcher(expires_in=100))

    clock.advance(99.999)
    assert not cache.is_expired(token)
    clock.advance(0.001)
    assert cache.is_expired(token)


async def test_discard_makes_the_next_get_fetch_a_new_token() -> None:
    fetch = Fetcher()
    cache = TokenCache(clock=FakeClock())
    old = await cache.get(fetch)

    cache.discard(old)

    assert (await cache.get(fetch)).value == "token-2"


async def test_discarding_a_stale_token_keeps_its_replacement() -> None:
    clock, fetch = FakeClock(), Fetcher(expires_in=100)
    cache = TokenCache(clock=clock)
    old = await cache.get(fetch)
    clock.advance(95)
    new = await cache.get(fetch)

    cache.discard(old)

    assert await cache.get(fetch) is new
    assert fetch.calls == 2


async def test_a_failed_fetch_is_raised_and_the_next_get_tries_again() -> None:
    fetch = Fetcher()
    fetch.fail_next = True
    cache = TokenCache(clock=FakeClock())

    with pytest.raises(RuntimeError, match="token endpoint down"):
        await cache.get(fetch)
    token = await cache.get(fetch)

    assert token.value == "token-2"


def test_the_token_value_is_not_in_its_repr() -> None:
    token = AccessToken("very-secret-token", expires_at=10.0, refresh_at=5.0)

    assert "very-secret-token" not in repr(token)


async def test_current_gives_the_cached_token_only_while_it_is_not_due() -> None:
    clock = FakeClock()
    cache = TokenCache(clock=clock)
    assert cache.current() is None

    token = await cache.get(Fetcher(expires_in=100))
    assert cache.current() is token

    clock.advance(90)
    assert cache.current() is None


def test_the_header_is_the_bearer_value_and_is_not_in_the_repr() -> None:
    token = AccessToken("very-secret-token", expires_at=10.0, refresh_at=5.0)

    assert token.header == "Bearer very-secret-token"
    assert "Bearer" not in repr(token)
