"""Fixtures shared by the tests: the seed invoice, virtual time, a mock API and a real emulator.

Test modules use these as fixtures only and import nothing from here.

The mock API answers every request through :class:`fragment.testing.MockTransport`: the
token endpoint (any path ending in ``/oauth2/token``) from ``token_answers``, every other URL
from ``answers``, each in order, and once a script runs out with a valid token or the seed
invoice. An entry is a response, an exception to raise (an :class:`~fragment.APIConnectionError`
acts as a request that got no answer), or a function of the request that returns a response
(possibly after awaiting something).
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

from fragment import AsyncFragment, Request, Response
from fragment.testing import Emulator, Faults, MockTransport, answer

SAMPLES = Path(__file__).parent / "samples"

Outcome = Response | Exception | Callable[[Request], "Response | Awaitable[Response]"]


# --- the seed invoice ---------------------------------------------------------------------------


def _snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z])([A-Z])", lambda match: "_" + match.group(1).lower(), name)


def _python_names(value: Any) -> Any:
    if isinstance(value, dict):
        return {_snake_case(key): _python_names(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_python_names(item) for item in value]
    return value


@pytest.fixture
def seed_request_body() -> bytes:
    """The JSON body of the seed page's example create, as recorded in ``samples/``."""
    return (SAMPLES / "invoice_create_request.json").read_bytes()


@pytest.fixture
def seed_invoice(seed_request_body: bytes) -> dict[str, Any]:
    """The seed page's example, as keyword arguments of ``invoices.create`` (a fresh copy per test).

    It is the recorded request body with Python names, so the two cannot drift apart.
    """
    python_names: dict[str, Any] = _python_names(json.loads(seed_request_body))
    return python_names


@pytest.fixture
def seed_line_item(seed_invoice: dict[str, Any]) -> dict[str, Any]:
    """The seed invoice's one line item, with its six fields (the same dict as in ``seed_invoice``)."""
    line_item: dict[str, Any] = seed_invoice["line_items"][0]
    return line_item


@pytest.fixture
def make_invoice(seed_line_item: dict[str, Any]) -> Callable[[int], dict[str, Any]]:
    """Distinct valid invoices by number: ``inv_00042`` has one to three line items, varied from the seed's."""
    currencies = ("USD", "EUR", "GBP", "JPY", "BTC")

    def make(number: int) -> dict[str, Any]:
        line_items = [
            {
                **seed_line_item,
                "amount": str(100 + number * 7 + item),
                "currency_code": currencies[(number + item) % len(currencies)],
                "description": f"Line {item} of invoice {number}",
                "type": "payin" if (number + item) % 2 else "payout",
            }
            for item in range(1 + number % 3)
        ]
        return {"invoice_id": f"inv_{number:05d}", "line_items": line_items}

    return make


@pytest.fixture
def seed_answer_body() -> bytes:
    """A well-formed answer to the seed's create, as recorded in ``samples/``."""
    return (SAMPLES / "invoice_create_response.json").read_bytes()


# --- virtual time ----------------------------------------------------------------------------


class _VirtualTime:
    """A monotonic clock that moves only when told to, or when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        self.now += delay
        await asyncio.sleep(0)  # still a suspension point, as a real sleep is


@pytest.fixture
def _virtual_time() -> _VirtualTime:
    return _VirtualTime()


@pytest.fixture
def clock(_virtual_time: _VirtualTime) -> Callable[[], float]:
    """A fake monotonic clock, for ``clock=`` parameters: it starts at 1000.0."""
    return _virtual_time


@pytest.fixture
def advance_clock(_virtual_time: _VirtualTime) -> Callable[[float], None]:
    """Move the fake ``clock`` forward by some seconds."""
    return _virtual_time.advance


@pytest.fixture
def sleep(_virtual_time: _VirtualTime) -> Callable[[float], Awaitable[None]]:
    """A ``sleep=`` that waits no real time: it records the delay and moves the fake ``clock``."""
    return _virtual_time.sleep


@pytest.fixture
def sleeps(_virtual_time: _VirtualTime) -> list[float]:
    """Every delay passed to the fake ``sleep``, in order."""
    return _virtual_time.sleeps


# --- the mock API ------------------------------------------------------------------------------


@pytest.fixture
def client_options() -> dict[str, str]:
    """Credentials and URLs of the mock API: keyword arguments of ``AsyncFragment``."""
    return {
        "client_id": "client_id_0123",
        "client_secret": "sEcReT-d0-n0t-l0g-9f8e7d",
        "base_url": "https://api.fragment.test",
        "token_url": "https://auth.fragment.test/oauth2/token",
    }


@pytest.fixture
def access_token() -> str:
    """The token the mock token endpoint issues by default (valid for an hour)."""
    return "access-T0KEN-5a4b3c"


@pytest.fixture
def answers() -> list[Outcome]:
    """What the mock API answers to the next requests (token requests aside), in order."""
    return []


@pytest.fixture
def token_answers() -> list[Outcome]:
    """What the mock token endpoint answers to the next token requests, in order."""
    return []


@pytest.fixture
def transport(
    access_token: str, seed_answer_body: bytes, answers: list[Outcome], token_answers: list[Outcome]
) -> MockTransport:
    """The mock API as a transport: pass it as ``AsyncFragment(transport=...)``."""
    valid_token = answer(200, json.dumps({"access_token": access_token, "token_type": "Bearer", "expires_in": 3600}))
    created = answer(201, seed_answer_body, {"Content-Type": "application/json"})

    async def handle(request: Request) -> Response:
        await asyncio.sleep(0)  # a network round trip always suspends the caller
        script, default = (token_answers, valid_token) if _is_token_request(request) else (answers, created)
        outcome = script.pop(0) if script else default
        if isinstance(outcome, Exception):
            raise outcome
        if isinstance(outcome, Response):
            return outcome
        result = outcome(request)
        return await result if isinstance(result, Awaitable) else result

    return MockTransport(handle)


def _is_token_request(request: Request) -> bool:
    return urlsplit(request.url).path.endswith("/oauth2/token")


class _RequestsTo(Sequence[Request]):
    """The requests the mock transport recorded for one side of the mock API, kept up to date."""

    def __init__(self, transport: MockTransport, *, token_endpoint: bool) -> None:
        self._transport = transport
        self._token_endpoint = token_endpoint

    def _selected(self) -> list[Request]:
        return [sent for sent in self._transport.requests if _is_token_request(sent) is self._token_endpoint]

    def __getitem__(self, index: Any) -> Any:
        return self._selected()[index]

    def __len__(self) -> int:
        return len(self._selected())

    def __eq__(self, other: object) -> bool:
        return self._selected() == list(other) if isinstance(other, Sequence) else NotImplemented

    def __repr__(self) -> str:
        return repr(self._selected())


@pytest.fixture
def api_requests(transport: MockTransport) -> Sequence[Request]:
    """Every request the mock API received so far, token requests aside."""
    return _RequestsTo(transport, token_endpoint=False)


@pytest.fixture
def token_requests(transport: MockTransport) -> Sequence[Request]:
    """Every request the mock token endpoint received so far."""
    return _RequestsTo(transport, token_endpoint=True)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``FRAGMENT_*`` settings from the environment of whoever runs the tests."""
    for name in ("FRAGMENT_CLIENT_ID", "FRAGMENT_CLIENT_SECRET", "FRAGMENT_BASE_URL", "FRAGMENT_TOKEN_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def make_client(
    clean_env: None,
    client_options: dict[str, str],
    transport: MockTransport,
    sleep: Callable[[float], Awaitable[None]],
) -> Callable[..., AsyncFragment]:
    """Build clients on the mock API that wait on the fake ``sleep``; keyword arguments override."""

    def make(**overrides: Any) -> AsyncFragment:
        return AsyncFragment(**{**client_options, "transport": transport, "sleep": sleep, **overrides})

    return make


@pytest.fixture
async def client(make_client: Callable[..., AsyncFragment]) -> AsyncIterator[AsyncFragment]:
    """A client on the mock API with the default retry policy, closed after the test."""
    async with make_client() as created:
        yield created


@pytest.fixture
def every_fault() -> Callable[..., Faults]:
    """Faults of every kind at once, each drawn with probability ``share``: ``every_fault(0.04, seed=7)``.

    Other keyword arguments are those of :class:`~fragment.testing.Faults`.
    """

    def make(share: float, **options: Any) -> Faults:
        kinds = ("server_error", "rate_limited", "reset_before_commit", "reset_after_commit", "slow")
        return Faults(**dict.fromkeys(kinds, share), **options)

    return make


# --- the emulator over real sockets ------------------------------------------------------------


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    """An emulator with default settings, served on a free local port for the test."""
    async with Emulator() as running:
        yield running


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session, for speaking to the emulator without the SDK."""
    async with aiohttp.ClientSession() as opened:
        yield opened


# --- child processes and Ctrl-C ------------------------------------------------------------------


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
