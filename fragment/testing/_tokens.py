"""The emulator's OAuth2 side: checking client credentials, issuing and checking bearer tokens."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Iterable

from ._config import EmulatorClient

__all__ = ["TokenIssuer"]


class TokenIssuer:
    """Issues opaque bearer tokens that expire ``lifetime`` seconds later, per client.

    Thread safe. Tokens survive :meth:`Emulator.reset` on purpose: a client keeps its cached
    token across tests, and revoking it would turn a reset into authentication failures.
    """

    def __init__(
        self, clients: Iterable[EmulatorClient], lifetime: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if isinstance(lifetime, bool) or not isinstance(lifetime, (int, float)) or lifetime <= 0:
            raise ValueError(f"token_lifetime must be a positive number of seconds, got {lifetime!r}")
        self._clients = {client.client_id: client for client in clients}
        self._lifetime = float(lifetime)
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[EmulatorClient, float]] = {}

    @property
    def lifetime(self) -> float:
        """Seconds a token stays valid."""
        return self._lifetime

    def authenticate(self, authorization: str | None) -> EmulatorClient | None:
        """The client named by an HTTP Basic ``Authorization`` header, if its secret matches."""
        encoded = _credentials(authorization, "basic")
        if encoded is None:
            return None
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        client_id, sep, secret = decoded.partition(":")
        client = self._clients.get(client_id)
        if not sep or client is None:
            return None
        # A constant-time comparison, as a real server would do.
        if not hmac.compare_digest(secret.encode(), client.client_secret.encode()):
            return None
        return client

    def issue(self, client: EmulatorClient) -> str:
        """A new bearer token for ``client``."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock:
            # Forget expired tokens here, so a long-running emulator does not grow without bound.
            self._tokens = {value: entry for value, entry in self._tokens.items() if entry[1] > now}
            self._tokens[token] = (client, now + self._lifetime)
        return token

    def client_for(self, authorization: str | None) -> EmulatorClient | None:
        """The client of a valid, unexpired ``Authorization: Bearer`` header, else None."""
        token = _credentials(authorization, "bearer")
        if token is None:
            return None
        with self._lock:
            entry = self._tokens.get(token)
        if entry is None or self._clock() >= entry[1]:
            return None
        return entry[0]


def _credentials(authorization: str | None, scheme: str) -> str | None:
    """What follows ``scheme`` (any case) in an ``Authorization`` header; None for another scheme or none."""
    given, _, credentials = (authorization or "").partition(" ")
    return credentials.strip() if given.lower() == scheme else None
