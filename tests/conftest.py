"""Fixtures shared by the unit tests: a stubbed API (aioresponses), a client, a fake clock.

It also holds the one compatibility shim this test suite needs (see :func:`mock_api`).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import signal
import types
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from multidict import CIMultiDict
from yarl import URL

import fragment._client
from fragment import AsyncFragment
from fragment._auth import TokenCache

BASE_URL = "https://api.fragment.test"
TOKEN_URL = "https://auth.fragment.test/oauth2/token"
INVOICES_URL = f"{BASE_URL}/invoices"
CLIENT_ID = "client_id_0123"
CLIENT_SECRET = "sEcReT-d0-n0t-l0g-9f8e7d"
ACCESS_TOKEN = "access-T0KEN-5a4b3c"

SEED_LINE_ITEM: dict[str, Any] = {
    "amount": "1000",
    "currency_code": "USD",
    "description": "Professional services for January 2026",
    "product_id": "prod_1234567890",
    "type": "payout",
    "user_id": "user_ext_456",
}
SEED_INVOICE: dict[str, Any] = {"invoice_id": "invoice_2024_001", "line_items": [SEED_LINE_ITEM]}
"""The example of the seed page, as keyword arguments of ``invoices.create``."""

INVOICE_PAYLOAD: dict[str, Any] = {
    "data": {
        "id": "invoice_2024_001",
        "created": "2026-01-15T10:30:00.000Z",
        "status": "active",
        "version": 1,
        "workspaceId": "ws_42",
        "lineItems": [
            {
                "id": "li_1",
                "amount": "1000",
                "currencyCode": "USD",
                "description": "Professional services for January 2026",
                "product_id": "prod_1234567890",
                "type": "payout",
                "user_id": "user_ext_456",
            }
        ],
        "modified": "2026-01-15T10:30:00.000Z",
    }
}
"""A well-formed answer to the seed's create."""


# --- aioresponses on aiohttp >= 3.14 -------------------------------------------------------


class _SentRequestWriter:
    """Stands in for the stream writer of a request that has already been sent."""

    output_size = 0


def _aioresponses_needs_stream_writer() -> bool:
    import aioresponses.core

    parameters = inspect.signature(aiohttp.ClientResponse.__init__).parameters
    needed = "stream_writer" in parameters and parameters["stream_writer"].default is inspect.Parameter.empty
    passed = "stream_writer" in inspect.getsource(aioresponses.core.RequestMatch._build_response)
    return needed and not passed


@pytest.fixture
def mock_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[aioresponses]:
    """An active :class:`aioresponses` mock, made to work on aiohttp 3.14.

    Why the shim: aiohttp 3.14 made ``stream_writer`` a required keyword argument of
    ``ClientResponse.__init__``, and aioresponses 0.7.9 builds its fake responses without it
    (upstream aioresponses issue 289; the fix is pending in its PR 288). aiohttp >= 3.14 is a
    security release we must not pin down, so while aioresponses lacks the fix its response
    class is swapped for a subclass that passes a writer of an already-sent request (all
    aiohttp reads from it is ``output_size``). The shim switches itself off once aioresponses
    passes ``stream_writer``; when a fixed aioresponses is released, require it in
    pyproject.toml and delete the shim (this fixture then only needs to yield ``aioresponses()``).
    """
    if _aioresponses_needs_stream_writer():

        class CompatClientResponse(aiohttp.ClientResponse):
            def __init__(self, method: str, url: URL, **kwargs: Any) -> None:
                kwargs.setdefault("stream_writer", _SentRequestWriter())
                super().__init__(method, url, **kwargs)

        monkeypatch.setattr("aioresponses.core.ClientResponse", CompatClientResponse)
    with aioresponses() as mocked:
        yield mocked


# --- the stubbed API --------------------------------------------------------------------------


class FakeAPI:
    """Registers answers on :func:`mock_api` and reads back what the client sent."""

    def __init__(self, mocked: aioresponses) -> None:
        self.mocked = mocked

    def token(
        self,
        *,
        status: int = 200,
        token: str = ACCESS_TOKEN,
        expires_in: float | None = 3600,
        repeat: bool = True,
        url: str = TOKEN_URL,
        **kwargs: Any,
    ) -> None:
        """Answer the token endpoint (by default with a valid token, for any number of calls)."""
        if "body" not in kwargs and "payload" not in kwargs:
            payload: dict[str, Any] = {"access_token": token, "token_type": "Bearer"}
            if expires_in is not None:
                payload["expires_in"] = expires_in
            kwargs["payload"] = payload
        self.mocked.post(url, status=status, repeat=repeat, **kwargs)

    def invoice(self, *, status: int = 201, repeat: bool = False, url: str = INVOICES_URL, **kwargs: Any) -> None:
        """Answer one create (by default a 201 with :data:`INVOICE_PAYLOAD`)."""
        if "body" not in kwargs and "payload" not in kwargs and "exception" not in kwargs:
            kwargs["payload"] = INVOICE_PAYLOAD
        self.mocked.post(url, status=status, repeat=repeat, **kwargs)

    def calls(self, url: str) -> list[Any]:
        return list(self.mocked.requests.get(("POST", URL(url)), []))

    @property
    def invoice_calls(self) -> list[Any]:
        """The create requests sent, as aioresponses ``RequestCall``\\ s (copies of the kwargs)."""
        return self.calls(INVOICES_URL)

    @property
    def token_calls(self) -> list[Any]:
        """The token requests sent."""
        return self.calls(TOKEN_URL)

    @property
    def nothing_sent(self) -> bool:
        return not any(self.mocked.requests.values())

    def sent_headers(self, index: int = -1) -> CIMultiDict[str]:
        return CIMultiDict(self.invoice_calls[index].kwargs["headers"])

    def sent_json(self, index: int = -1) -> Any:
        return json.loads(self.invoice_calls[index].kwargs["data"])


@pytest.fixture
def api(mock_api: aioresponses) -> FakeAPI:
    """The stubbed API, with helpers to answer and to inspect what was sent."""
    return FakeAPI(mock_api)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``FRAGMENT_*`` settings from the environment of whoever runs the tests."""
    for name in ("FRAGMENT_CLIENT_ID", "FRAGMENT_CLIENT_SECRET", "FRAGMENT_BASE_URL", "FRAGMENT_TOKEN_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def make_client(clean_env: None) -> Callable[..., AsyncFragment]:
    """Build clients against the stubbed API; keyword arguments override the defaults."""

    def make(**kwargs: Any) -> AsyncFragment:
        settings: dict[str, Any] = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "base_url": BASE_URL,
            "token_url": TOKEN_URL,
        }
        settings.update(kwargs)
        return AsyncFragment(**settings)

    return make


@pytest.fixture
async def client(make_client: Callable[..., AsyncFragment]) -> AsyncIterator[AsyncFragment]:
    """A client with the default retry policy, closed after the test."""
    async with make_client() as created:
        yield created


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """A fake clock driving the token caches of every client created in the test."""
    fake = FakeClock()
    monkeypatch.setattr(fragment._client, "TokenCache", lambda: TokenCache(clock=fake))
    return fake


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The delays the client's retry loop waited for, without really waiting.

    Only the ``asyncio`` seen by ``fragment._client`` is replaced, so aiohttp and the event
    loop keep the real ``asyncio.sleep``.
    """
    delays: list[float] = []
    real_sleep = asyncio.sleep

    async def fake_sleep(delay: float, result: Any = None) -> Any:
        delays.append(delay)
        return await real_sleep(0, result)

    proxy = types.SimpleNamespace(
        **{name: getattr(asyncio, name) for name in dir(asyncio) if not name.startswith("__")}
    )
    proxy.sleep = fake_sleep
    monkeypatch.setattr(fragment._client, "asyncio", proxy)
    return delays


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def ctrl_c_able() -> Callable[[], None]:
    """A ``preexec_fn`` for child processes that a test interrupts with SIGINT (Ctrl-C).

    A shell that runs a job in the background (as CI runners may) starts it with SIGINT
    ignored, children inherit that, and Python then never raises KeyboardInterrupt. The
    child gets the default disposition back, as it would have in a terminal.
    """
    return _default_sigint


@pytest.fixture
def sigint_raises_keyboard_interrupt() -> Iterator[None]:
    """Make SIGINT raise KeyboardInterrupt in this process, even if it was started ignoring it."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
