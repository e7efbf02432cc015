"""The client a command talks through: global options, the environment, or ``--local``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TextIO

import attrs

from .._client import DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, AsyncFragment
from .._errors import FragmentError
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


@contextlib.asynccontextmanager
async def open_client(settings: ClientSettings, *, concurrency: int = 1, err: TextIO) -> AsyncIterator[AsyncFragment]:
    """Yield a client for ``settings`` (and the emulator behind it with ``--local``), then close both.

    :param concurrency: the most requests the command will have in flight; the pool grows
        to fit it.
    :raises UsageError: no credentials, or an insecure URL.
    """
    if not settings.local:
        async with _client(settings, concurrency) as client:
            yield client
        return
    # Imported here: the emulator pulls in aiohttp.web, which no other command needs.
    from ..testing import Emulator

    async with Emulator() as emulator:
        print(f"fragment: --local: using an in-process emulator at {emulator.base_url}", file=err, flush=True)
        local = attrs.evolve(settings, **emulator.client_options())
        async with _client(local, concurrency) as client:
            yield client


def _client(settings: ClientSettings, concurrency: int) -> AsyncFragment:
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
        )
    except FragmentError as error:  # missing credentials or plain http:// to a remote host
        raise UsageError(str(error)) from None
