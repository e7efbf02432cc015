"""The OAuth2 access token cache, refreshed before expiry by one request at a time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import attrs

__all__ = ["AccessToken", "TokenCache"]

# Refresh this long before expiry (at most 10% of the lifetime), so that a request does not
# leave with a token that expires while it is in flight.
_REFRESH_MARGIN = 30.0


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
    """Holds one token; when it is due, exactly one caller fetches the next, the rest wait.

    A cache belongs to one event loop (its lock does).
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._token: AccessToken | None = None
        self._lock = asyncio.Lock()

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
        async with self._lock:
            token = self._token  # another waiter may have refreshed it meanwhile
            if token is not None and self._clock() < token.refresh_at:
                return token
            value, expires_in = await fetch()
            now = self._clock()
            margin = min(_REFRESH_MARGIN, expires_in * 0.1)
            self._token = AccessToken(value, expires_at=now + expires_in, refresh_at=now + expires_in - margin)
            return self._token

    def is_expired(self, token: AccessToken) -> bool:
        """Whether ``token`` has passed its expiry time."""
        return self._clock() >= token.expires_at

    def discard(self, token: AccessToken) -> None:
        """Forget ``token`` so the next :meth:`get` fetches a new one (unless already replaced)."""
        if self._token is token:
            self._token = None
