"""The emulator's settings as values: its clients, the faults it injects and its rate limit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

__all__ = ["DEFAULT_CLIENT", "EmulatorClient", "Faults", "RateLimit", "as_clients"]


def _probability(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{attribute.name} must be a probability between 0 and 1, got {value!r}")


def _non_negative(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"{attribute.name} must be a non-negative number, got {value!r}")


def _positive(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"{attribute.name} must be a positive number, got {value!r}")


@attrs.frozen
class Faults:
    """Which failures the emulator injects into the API's requests, and how often.

    Every request to one of the API's 18 operations draws, once it is authenticated and its
    body read (not the token endpoint, the admin paths, a 401 or a 413). Each probability is
    drawn independently from ``random.Random(seed)``, so a run with the same seed and the
    same request order injects the same faults. When
    several are drawn for one request, the first in this order wins: ``server_error``,
    ``rate_limited``, ``reset_before_commit``; ``reset_after_commit`` and ``slow`` apply to
    requests that succeeded (a 2xx answer: a write is then stored).

    .. versionadded:: 0.1.0
    """

    server_error: float = attrs.field(default=0.0, validator=_probability)
    """Answer 500 or 503 (alternately; a 503 carries ``retry-after-ms``) without storing."""
    rate_limited: float = attrs.field(default=0.0, validator=_probability)
    """Answer 429 with a ``retry-after-ms`` header without storing."""
    reset_before_commit: float = attrs.field(default=0.0, validator=_probability)
    """Close the connection without an answer and without doing anything."""
    reset_after_commit: float = attrs.field(default=0.0, validator=_probability)
    """Do the request (a write is stored), then close the connection: the client never sees the answer."""
    slow: float = attrs.field(default=0.0, validator=_probability)
    """Do the request, then wait ``slow_seconds`` before answering."""
    slow_seconds: float = attrs.field(default=2.0, validator=_non_negative)
    """How long a slow answer takes; pick more than the client's timeout to make it time out."""
    retry_after_ms: int = attrs.field(default=50, validator=_non_negative)
    """The ``retry-after-ms`` sent with injected 429 and 503 answers."""
    seed: int | None = 0
    """Seed of the fault generator; ``None`` seeds it from the operating system."""

    @property
    def any(self) -> bool:
        """Whether any fault has a non-zero probability."""
        return any((self.server_error, self.rate_limited, self.reset_before_commit, self.reset_after_commit, self.slow))


@attrs.frozen
class RateLimit:
    """A token bucket in front of the API's operations: ``rate`` requests per second, bursts of ``burst``.

    A request finding the bucket empty is answered 429 with the ``retry-after-ms`` after
    which a token will be available.

    .. versionadded:: 0.1.0
    """

    rate: float = attrs.field(validator=_positive)
    """Tokens added per second."""
    burst: int = attrs.field(default=1, validator=_positive)
    """Bucket capacity: how many requests may arrive at once after a quiet period."""


@attrs.frozen
class EmulatorClient:
    """A client identity the emulator accepts at its token endpoint.

    .. versionadded:: 0.1.0
    """

    client_id: str
    """The OAuth2 client ID."""
    client_secret: str = attrs.field(repr=False)
    """The OAuth2 client secret (never shown in reprs or logs)."""
    workspace_id: str = "ws_test"
    """The workspace this client's requests act on (invoices, transactions, ...)."""


DEFAULT_CLIENT = EmulatorClient("test-client", "test-secret", "ws_test")
"""The client an emulator accepts when none is configured."""


def as_clients(
    clients: Mapping[str, tuple[str, str]] | Iterable[EmulatorClient] | None,
) -> tuple[EmulatorClient, ...]:
    """Normalise the ``clients=`` argument of :class:`Emulator` to a non-empty tuple."""
    if clients is None:
        return (DEFAULT_CLIENT,)
    if isinstance(clients, Mapping):
        result = tuple(EmulatorClient(cid, secret, workspace) for cid, (secret, workspace) in clients.items())
    else:
        result = tuple(clients)
        for client in result:
            if not isinstance(client, EmulatorClient):
                raise TypeError(f"clients must be EmulatorClient values or a mapping, got {client!r}")
    if not result:
        raise ValueError("an emulator needs at least one client")
    ids = [client.client_id for client in result]
    if len(set(ids)) != len(ids):
        raise ValueError(f"client IDs must be unique, got {ids!r}")
    return result
