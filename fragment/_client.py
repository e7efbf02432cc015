"""AsyncFragment: configuration, the connection pool, auth, retries. The only aiohttp client code."""

from __future__ import annotations

import asyncio
import logging
import os
import ssl as ssl_module
from collections.abc import Mapping
from typing import Any, Final

import aiohttp
import attrs

from ._auth import TokenCache
from ._errors import APIConnectionError, APITimeoutError, FragmentError
from ._logging import logger
from ._pacing import current_pacer
from ._protocol import (
    USER_AGENT,
    check_transport_security,
    decode_token_response,
    retry_delay,
    should_retry,
    status_error,
)
from .resources.invoices import AsyncInvoices

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TOKEN_URL",
    "AsyncFragment",
    "Timeout",
]

DEFAULT_BASE_URL: Final = "https://api.us-west-2.fragment.dev"
DEFAULT_TOKEN_URL: Final = "https://auth.us-west-2.fragment.dev/oauth2/token"
DEFAULT_TIMEOUT: Final = aiohttp.ClientTimeout(total=60, connect=5)
DEFAULT_MAX_RETRIES: Final = 2
DEFAULT_MAX_CONNECTIONS: Final = 100

Timeout = float | aiohttp.ClientTimeout
"""A timeout: total seconds per request, or an :class:`aiohttp.ClientTimeout` for finer control."""


class _NotGiven:
    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = _NotGiven()


def _as_client_timeout(timeout: Timeout) -> aiohttp.ClientTimeout:
    if isinstance(timeout, aiohttp.ClientTimeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds or an aiohttp.ClientTimeout, got {timeout!r}")
    return aiohttp.ClientTimeout(total=timeout, connect=min(float(timeout), 5.0))


@attrs.frozen
class _Credentials:
    client_id: str
    client_secret: str = attrs.field(repr=False)
    token_url: str


@attrs.frozen
class _Options:
    """The settings ``with_options`` may change; everything else is shared by the copies."""

    base_url: str
    timeout: aiohttp.ClientTimeout
    max_retries: int
    headers: Mapping[str, str]
    check_currency_codes: bool


@attrs.define
class _LoopState:
    """What one event loop owns: the session, the pool's slots and the token cache."""

    loop: asyncio.AbstractEventLoop
    session: aiohttp.ClientSession
    owns_session: bool
    slots: asyncio.Semaphore
    tokens: TokenCache


class _Connection:
    """The pool shared by a client and its ``with_options`` copies, bound to one live loop."""

    def __init__(
        self,
        credentials: _Credentials,
        *,
        http_session: aiohttp.ClientSession | None,
        max_connections: int,
        trust_env: bool,
        ssl: ssl_module.SSLContext | bool,
    ) -> None:
        self.credentials = credentials
        self._user_session = http_session
        self._max_connections = max_connections
        self._trust_env = trust_env
        self._ssl = ssl
        self._state: _LoopState | None = None

    @property
    def max_connections(self) -> int:
        return self._max_connections

    def state(self) -> _LoopState:
        """The state for the running loop, created on first use (never in ``__init__``)."""
        loop = asyncio.get_running_loop()
        state = self._state
        if state is not None and state.loop is loop:
            return state
        if state is not None:
            if not state.loop.is_closed():
                raise RuntimeError(
                    "this AsyncFragment is in use by another event loop that is still running; "
                    "create one client per event loop (or close it in the first loop before reusing it)"
                )
            _abandon(state)
        self._state = state = self._new_state(loop)
        return state

    def _new_state(self, loop: asyncio.AbstractEventLoop) -> _LoopState:
        session = self._user_session
        owns = session is None
        if session is None:
            connector = aiohttp.TCPConnector(limit=self._max_connections, ssl=self._ssl)
            session = aiohttp.ClientSession(connector=connector, trust_env=self._trust_env)
        # Our own semaphore, sized to the pool, queues requests before aiohttp sees them, so
        # time spent waiting for a free connection never counts against a request's timeout.
        return _LoopState(loop, session, owns, asyncio.Semaphore(self._max_connections), TokenCache())

    async def close(self) -> None:
        state, self._state = self._state, None
        if state is not None and state.owns_session:
            await state.session.close()

    def forget(self) -> None:
        """Drop the loop state without touching it (after a fork, its sockets are the parent's)."""
        if self._state is not None:
            _ABANDONED.append(self._state)
        self._state = None


# Sessions left behind by a fork are kept referenced so that their finalizers never run in
# the child: closing them there would unregister the parent's sockets from a shared epoll.
_ABANDONED: list[_LoopState] = []


def _abandon(state: _LoopState) -> None:
    """Release a session whose event loop has closed (a finished ``asyncio.run``)."""
    if not state.owns_session:
        return
    # The loop that could run ``close()`` is gone. With a closed loop, closing the connector
    # only marks it closed and never suspends, so one step of the coroutine completes it and
    # the session's finalizer has nothing to complain about.
    closing = state.session.close()
    try:
        closing.send(None)
    except StopIteration:
        return
    closing.close()


class AsyncFragment:
    """The asynchronous Fragment client: one instance per process (and event loop) is enough.

    Every argument falls back to the environment: ``FRAGMENT_CLIENT_ID``,
    ``FRAGMENT_CLIENT_SECRET``, ``FRAGMENT_BASE_URL`` and ``FRAGMENT_TOKEN_URL``.
    Constructing a client does no I/O; the HTTP session is opened by the first request,
    inside the running event loop. Close it with ``async with`` or :meth:`close`.

    :param timeout: per request, in seconds or as an :class:`aiohttp.ClientTimeout`;
        60 s in total and 5 s to connect by default.
    :param max_retries: how many times a failed request is retried (see the retry policy).
    :param default_headers: extra headers sent with every request.
    :param http_session: your own :class:`aiohttp.ClientSession`; it is used as is and
        never closed by the client.
    :param max_connections: size of the connection pool (and of the client's request slots).
    :param trust_env: read proxy settings from the environment (``HTTPS_PROXY``, ``.netrc``).
    :param ssl: an :class:`ssl.SSLContext` for custom CAs or client certificates, or
        ``False`` to skip certificate checks.
    :param check_currency_codes: set to False to send currency codes newer than this release.
    :param allow_insecure_http: allow plain ``http://`` to a non-loopback host.

    .. versionadded:: 0.1.0
    """

    invoices: AsyncInvoices
    """Invoice operations: ``create``, ``create_many``, ``create_many_iter``."""

    def __init__(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        base_url: str | None = None,
        token_url: str | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        http_session: aiohttp.ClientSession | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        trust_env: bool = False,
        ssl: ssl_module.SSLContext | bool = True,
        check_currency_codes: bool = True,
        allow_insecure_http: bool = False,
    ) -> None:
        client_id = client_id if client_id is not None else os.environ.get("FRAGMENT_CLIENT_ID")
        client_secret = client_secret if client_secret is not None else os.environ.get("FRAGMENT_CLIENT_SECRET")
        base_url = base_url or os.environ.get("FRAGMENT_BASE_URL") or DEFAULT_BASE_URL
        token_url = token_url or os.environ.get("FRAGMENT_TOKEN_URL") or DEFAULT_TOKEN_URL
        if not client_id:
            raise FragmentError("no client_id: pass client_id= or set the FRAGMENT_CLIENT_ID environment variable")
        if not client_secret:
            raise FragmentError(
                "no client_secret: pass client_secret= or set the FRAGMENT_CLIENT_SECRET environment variable"
            )
        check_transport_security(base_url, what="base_url", allow_insecure_http=allow_insecure_http)
        check_transport_security(token_url, what="token_url", allow_insecure_http=allow_insecure_http)
        if max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, got {max_connections!r}")
        options = _Options(
            base_url=base_url.rstrip("/"),
            timeout=_as_client_timeout(timeout),
            max_retries=_check_max_retries(max_retries),
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
                **(default_headers or {}),
            },
            check_currency_codes=check_currency_codes,
        )
        connection = _Connection(
            _Credentials(client_id, client_secret, token_url),
            http_session=http_session,
            max_connections=max_connections,
            trust_env=trust_env,
            ssl=ssl,
        )
        self._setup(options, connection)

    def _setup(self, options: _Options, connection: _Connection) -> None:
        self._options = options
        self._connection = connection
        self.invoices = AsyncInvoices(self)

    def with_options(
        self, *, timeout: Timeout | _NotGiven = NOT_GIVEN, max_retries: int | _NotGiven = NOT_GIVEN
    ) -> AsyncFragment:
        """Return a client with other defaults that shares this one's connection pool and token.

        Closing either closes the shared pool.
        """
        changes: dict[str, Any] = {}
        if not isinstance(timeout, _NotGiven):
            changes["timeout"] = _as_client_timeout(timeout)
        if not isinstance(max_retries, _NotGiven):
            changes["max_retries"] = _check_max_retries(max_retries)
        clone = object.__new__(AsyncFragment)
        clone._setup(attrs.evolve(self._options, **changes), self._connection)
        return clone

    @property
    def base_url(self) -> str:
        """The API's base URL, without a trailing slash."""
        return self._options.base_url

    @property
    def max_retries(self) -> int:
        """How many times a failed request is retried."""
        return self._options.max_retries

    @property
    def timeout(self) -> aiohttp.ClientTimeout:
        """The default timeout of each request."""
        return self._options.timeout

    @property
    def max_connections(self) -> int:
        """The size of the connection pool."""
        return self._connection.max_connections

    @property
    def check_currency_codes(self) -> bool:
        """Whether ``currency_code`` values are checked against this release's list."""
        return self._options.check_currency_codes

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, client_id={self._connection.credentials.client_id!r})"
        )

    async def close(self) -> None:
        """Close the HTTP session the client opened (a session you passed in stays open)."""
        await self._connection.close()

    async def __aenter__(self) -> AsyncFragment:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _post(
        self,
        path: str,
        body: bytes,
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: Timeout | None = None,
    ) -> tuple[int, bytes]:
        """POST a JSON body with a bearer token and the retry policy; return a 2xx answer.

        Error answers raise :class:`~fragment.APIStatusError` subclasses; no answer raises
        :class:`~fragment.APIConnectionError`.
        """
        headers = dict(self._options.headers)
        if extra_headers:
            headers.update(extra_headers)
        client_timeout = self._options.timeout if timeout is None else _as_client_timeout(timeout)
        return await self._request(self._options.base_url + path, headers, body, client_timeout, bearer=True)

    async def _fetch_token(self) -> tuple[str, float]:
        """Run the client credentials grant; the token request follows the same retry policy."""
        credentials = self._connection.credentials
        headers = {
            "Authorization": aiohttp.encode_basic_auth(credentials.client_id, credentials.client_secret),
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        body = b"grant_type=client_credentials"
        status, answer = await self._request(credentials.token_url, headers, body, self._options.timeout, bearer=False)
        logger.debug("fetched an access token from %s", credentials.token_url)
        return decode_token_response(status, answer)

    async def _request(
        self, url: str, headers: dict[str, str], body: bytes, timeout: aiohttp.ClientTimeout, *, bearer: bool
    ) -> tuple[int, bytes]:
        """Send until a 2xx answer, a final error, or the retries run out."""
        state = self._connection.state()
        max_retries = self._options.max_retries
        pacer = current_pacer.get() if bearer else None
        retries_done = 0
        refreshed = False
        while True:
            token = None
            if bearer:
                token = state.tokens.current() or await state.tokens.get(self._fetch_token)
                headers["Authorization"] = token.header
            ticket = None
            if pacer is not None:
                ticket = pacer.try_acquire()
                if ticket is None:
                    ticket = await pacer.acquire()
            status, answer_headers = 0, None
            try:
                status, answer_headers, answer = await _send(state, url, headers, body, timeout)
            except APIConnectionError as error:
                if retries_done >= max_retries:
                    raise
                delay = retry_delay(retries_done)
                reason = error.message
            else:
                if status < 300:
                    return status, answer
                if token is not None and status == 401 and not refreshed and state.tokens.is_expired(token):
                    refreshed = True  # the token expired in flight: one fresh token, one more try
                    state.tokens.discard(token)
                    continue
                if retries_done >= max_retries or not should_retry(status, answer_headers):
                    raise status_error(status, answer_headers, answer)
                delay = retry_delay(retries_done, answer_headers)
                reason = f"status {status}"
            finally:
                if pacer is not None and ticket is not None:
                    pacer.release(ticket, status, answer_headers)
            retries_done += 1
            logger.info(
                "retrying POST %s in %.2fs after %s (retry %d of %d)", url, delay, reason, retries_done, max_retries
            )
            await asyncio.sleep(delay)


async def _send(
    state: _LoopState, url: str, headers: Mapping[str, str], body: bytes, timeout: aiohttp.ClientTimeout
) -> tuple[int, Mapping[str, str], bytes]:
    """One attempt: status, headers and body bytes, or an APIConnectionError."""
    async with state.slots:
        try:
            async with state.session.post(url, data=body, headers=headers, timeout=timeout) as response:
                answer = await response.read()
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug("POST %s -> %s (%d bytes)", url, response.status, len(answer))
                return response.status, response.headers, answer
        except TimeoutError as exc:  # aiohttp's timeouts are TimeoutError subclasses too
            raise APITimeoutError(f"Request to {url} timed out") from exc
        except aiohttp.ClientError as exc:
            raise APIConnectionError(f"Connection error talking to {url}: {type(exc).__name__}: {exc}") from exc


def _check_max_retries(max_retries: int) -> int:
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ValueError(f"max_retries must be a non-negative int, got {max_retries!r}")
    return max_retries
