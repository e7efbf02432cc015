"""The client a command talks through: global options, the environment, or ``--local``."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any, TextIO

import attrs

from .._client import DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, AsyncFragment
from .._errors import FragmentError
from .._events import ResponseEvent, RetryEvent
from .._protocol import check_transport_security
from ._errors import UsageError

__all__ = ["ClientSettings", "open_client"]


@attrs.frozen
class ClientSettings:
    """The global options that shape the client; None falls back to ``FRAGMENT_*`` variables."""

    base_url: str | None = None
    token_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = attrs.field(default=None, repr=False)
    timeout: float | None = None
    max_retries: int = DEFAULT_MAX_RETRIES
    check_currency_codes: bool = True
    allow_insecure_http: bool = False
    local: bool = False
    """Start an in-process emulator and talk to it instead."""
    verbose: bool = False
    """Print one line per attempt (and per retry) to stderr, from the client's event hooks."""


@contextlib.asynccontextmanager
async def open_client(settings: ClientSettings, *, concurrency: int = 1, err: TextIO) -> AsyncIterator[AsyncFragment]:
    """Yield a client for ``settings`` (and the emulator behind it with ``--local``), then close both.

    :param concurrency: the most requests the command will have in flight; the pool grows
        to fit it.
    :raises UsageError: no credentials, or an insecure URL.
    """
    if not settings.local:
        async with _client(settings, concurrency, err) as client:
            yield client
        return
    # Imported here: the emulator pulls in aiohttp.web, which no other command needs.
    from ..testing import Emulator

    async with Emulator() as emulator:
        print(f"fragment: --local: using an in-process emulator at {emulator.base_url}", file=err, flush=True)
        local = attrs.evolve(settings, **emulator.client_options())
        async with _client(local, concurrency, err) as client:
            yield client


def _client(settings: ClientSettings, concurrency: int, err: TextIO) -> AsyncFragment:
    _check_credentials(settings)
    for option, variable, url in (
        ("--base-url", "FRAGMENT_BASE_URL", settings.base_url),
        ("--token-url", "FRAGMENT_TOKEN_URL", settings.token_url),
    ):
        _check_secure(option, variable, url or os.environ.get(variable), settings.allow_insecure_http)
    try:
        return AsyncFragment(
            base_url=settings.base_url,
            token_url=settings.token_url,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            max_retries=settings.max_retries,
            check_currency_codes=settings.check_currency_codes,
            max_connections=max(DEFAULT_MAX_CONNECTIONS, concurrency),
            timeout=DEFAULT_TIMEOUT if settings.timeout is None else settings.timeout,
            allow_insecure_http=settings.allow_insecure_http,
            **(_attempt_lines(err) if settings.verbose else {}),
        )
    except (FragmentError, ValueError) as error:  # a setting the client refuses: say which, exit 2
        raise UsageError(str(error)) from None


def _check_credentials(settings: ClientSettings) -> None:
    """Refuse to start without credentials, naming this command line's ways to give them."""
    missing = [
        f"{option} (or {variable})"
        for option, variable, value in (
            ("--client-id", "FRAGMENT_CLIENT_ID", settings.client_id),
            ("--client-secret", "FRAGMENT_CLIENT_SECRET", settings.client_secret),
        )
        if not (value or os.environ.get(variable))
    ]
    if missing:
        raise UsageError(
            f"no credentials: give {' and '.join(missing)}; "
            "or use --local to run against an in-process emulator that needs none"
        )


def _check_secure(option: str, variable: str, url: str | None, allow_insecure_http: bool) -> None:
    """The client's rule on plain http, worded with this command line's option."""
    if url is None:
        return
    try:
        check_transport_security(url, what=option, allow_insecure_http=allow_insecure_http)
    except FragmentError:
        raise UsageError(
            f"{option} (or {variable}) {url!r} is plain http to a host other than this machine, which would "
            "expose the credentials: use https, or pass --allow-insecure-http for a test server you control"
        ) from None


def _attempt_lines(err: TextIO) -> dict[str, Any]:
    """Event hooks that print each attempt and each retry on one line (``--verbose``)."""

    def on_response(event: ResponseEvent) -> None:
        outcome = str(event.status) if event.status is not None else f"no answer ({event.error})"
        took = f"{event.elapsed * 1000:.0f} ms"
        print(f"fragment: {event.method} {event.path} -> {outcome} in {took} (attempt {event.attempt + 1})", file=err)

    def on_retry(event: RetryEvent) -> None:
        print(f"fragment: retrying {event.method} {event.path} in {event.delay:.2f} s after {event.reason}", file=err)

    return {"on_response": on_response, "on_retry": on_retry}
