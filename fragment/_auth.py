"""OAuth2 client credentials in one place: the token request, its answer, and the token cache.

The cache refreshes a token before it expires, by one request at a time: when it is due,
exactly one caller fetches the next and the others wait for it. How the token request is
sent (retries included) is the client's driver's business: :meth:`TokenCache.get` takes a
``fetch`` coroutine.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import aiohttp
import attrs

from . import _json
from ._errors import APIResponseValidationError
from ._transport import Request, Response

__all__ = ["AccessToken", "Credentials", "TokenCache", "decode_token_response"]

DEFAULT_TOKEN_LIFETIME = 3600.0
# Refresh this long before expiry (at most 10% of the lifetime), so that a request does not
# leave with a token that expires while it is in flight.
_REFRESH_MARGIN = 30.0
_GRANT = b"grant_type=client_credentials"


@attrs.frozen
class Credentials:
    """The client's id and secret, and where to exchange them for a token."""

    client_id: str
    client_secret: str = attrs.field(repr=False)
    token_url: str

    def token_request(self, *, headers: dict[str, str], timeout: aiohttp.ClientTimeout) -> Request:
        """The client credentials grant: HTTP Basic auth and a form body.

        ``headers`` are the client's own (user agent, accept); the grant adds its two.
        """
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        basic = aiohttp.encode_basic_auth(self.client_id, self.client_secret)
        return Request("POST", self.token_url, headers, _GRANT, timeout, authorization=basic)


def decode_token_response(response: Response) -> tuple[str, float]:
    """Read a token answer: ``(access_token, expires_in seconds)``; 3600 s when absent."""
    try:
        parsed = _json.loads(response.body)
        token = parsed["access_token"]
        expires_in = parsed.get("expires_in", DEFAULT_TOKEN_LIFETIME)
        if not isinstance(token, str) or not token:
            raise TypeError("access_token is not a non-empty string")
        if expires_in is None:
            expires_in = DEFAULT_TOKEN_LIFETIME
        if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)) or not expires_in > 0:
            raise TypeError("expires_in is not a positive number")
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        problem = type(exc).__name__
    else:
        return token, float(expires_in)
    # The body may hold a token: it is kept on the exception but never put in the message,
    # and the decoding error (whose text might quote it) is not chained.
    raise APIResponseValidationError(
        f"The token endpoint answered {response.status} with a body that is not a token: {problem}",
        status_code=response.status,
        body=response.body,
    )


@attrs.frozen
class AccessToken:
    """A bearer token and when it stops being valid (on the cache's clock)."""

    value: str = attrs.field(repr=False)
    expires_at: float
    refresh_at: float
    header: str = attrs.field(init=False, repr=False)
    """The ``Authorization`` header value, built once per token rather than per request."""

    @header.default
    def _bearer(self) -> str:
        return f"Bearer {self.value}"


class TokenCache:
    """Holds one token; when it is due, exactly one caller fetches the next, the rest wait."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._token: AccessToken | None = None
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None
        self._finished_fetches = 0
        self._last_failure: Exception | None = None

    def current(self) -> AccessToken | None:
        """The cached token if it is not due for refresh: the per-request fast path, no await."""
        token = self._token
        if token is not None and self._clock() < token.refresh_at:
            return token
        return None

    async def get(self, fetch: Callable[[], Awaitable[tuple[str, float]]]) -> AccessToken:
        """Return a token that is not due for refresh, calling ``fetch`` for a new one if needed.

        ``fetch`` returns ``(access_token, expires_in seconds)``.
        """
        token = self.current()
        if token is not None:
            return token
        finished_before = self._finished_fetches
        async with self._lock_for_running_loop():
            token = self.current()  # another waiter may have refreshed it meanwhile
            if token is not None:
                return token
            if self._finished_fetches != finished_before and self._last_failure is not None:
                # The fetch this caller waited for has just failed (a wrong secret, an
                # unreachable endpoint): share its error rather than queueing one more try.
                raise self._last_failure
            try:
                value, expires_in = await fetch()
            except Exception as error:
                self._last_failure = error
                raise
            finally:
                # Counted when it ends: a caller that arrived during it waited for its outcome.
                self._finished_fetches += 1
            self._last_failure = None
            now = self._clock()
            margin = min(_REFRESH_MARGIN, expires_in * 0.1)
            self._token = AccessToken(value, expires_at=now + expires_in, refresh_at=now + expires_in - margin)
            return self._token

    def _lock_for_running_loop(self) -> asyncio.Lock:
        # A lock belongs to one loop; a client reused by a later asyncio.run needs a new one.
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    def is_expired(self, token: AccessToken) -> bool:
        """Whether ``token`` has passed its expiry time."""
        return self._clock() >= token.expires_at

    def discard(self, token: AccessToken) -> None:
        """Forget ``token`` so the next :meth:`get` fetches a new one (unless already replaced)."""
        if self._token is token:
            self._token = None
