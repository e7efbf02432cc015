"""What the client tells its event hooks: one small immutable event per request, answer and retry.

Events carry the method, the path, the attempt and the timing; never a header, a body or a
secret. Hooks are plain callables given to the client (``on_request=``, ``on_response=``,
``on_retry=``); the OpenTelemetry integration and the command line's ``--verbose`` are built
on them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import attrs

__all__ = ["CallEvent", "Hook", "Hooks", "RequestEvent", "ResponseEvent", "RetryEvent"]

E = TypeVar("E")


@attrs.frozen
class CallEvent:
    """What every event says: which call, which attempt.

    .. versionadded:: 0.2.0
    """

    operation: str
    """What the call is: ``invoices.create``, ``oauth2.token`` (the token request), or
    ``request`` (the :meth:`~fragment.AsyncFragment.request` escape hatch)."""
    call: int
    """Numbers the calls of this process: all the events of one call (its attempts and
    retries) share it."""
    method: str
    path: str
    """The URL's path, percent-encoded, without the query."""
    attempt: int
    """0 for the first send of the call, then 1, 2, ... (a send after a token refresh counts)."""


@attrs.frozen
class RequestEvent(CallEvent):
    """An attempt is about to be sent.

    .. versionadded:: 0.2.0
    """

    url: str
    """The URL without its query: scheme, host, port and path."""


@attrs.frozen
class ResponseEvent(CallEvent):
    """An attempt ended: with an answer (``status``), or with none (``error``).

    .. versionadded:: 0.2.0
    """

    status: int | None
    """The answer's HTTP status; None when there was no answer."""
    elapsed: float
    """Seconds from sending this attempt to its whole answer (or to the failure)."""
    final: bool
    """True when the call ends with this attempt (success or error); False when it is retried."""
    error: str | None = None
    """Why there was no answer (a connection error or a timeout), else None."""


@attrs.frozen
class RetryEvent(CallEvent):
    """An attempt failed and the call will be sent again after ``delay`` seconds (``attempt`` is the one that failed).

    .. versionadded:: 0.2.0
    """

    status: int | None
    """Its status, or None when it got no answer."""
    delay: float
    reason: str
    """Why: ``status 503``, or the connection error."""


Hook = Callable[[E], object]
"""An event hook: called with each event, in the task that sends the request."""


def _hooks(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    if callable(value):
        return (value,)
    hooks = tuple(value)
    for hook in hooks:
        if not callable(hook):
            raise TypeError(f"an event hook must be callable, got {type(hook).__name__}")
    return hooks


@attrs.frozen
class Hooks:
    """A client's event hooks, each a tuple (empty when unused: the request path checks that first)."""

    on_request: tuple[Hook[RequestEvent], ...] = attrs.field(default=(), converter=_hooks)
    on_response: tuple[Hook[ResponseEvent], ...] = attrs.field(default=(), converter=_hooks)
    on_retry: tuple[Hook[RetryEvent], ...] = attrs.field(default=(), converter=_hooks)

    def __bool__(self) -> bool:
        return bool(self.on_request or self.on_response or self.on_retry)

    def added(self, other: Hooks) -> Hooks:
        """These hooks followed by ``other``'s."""
        return Hooks(
            self.on_request + other.on_request,
            self.on_response + other.on_response,
            self.on_retry + other.on_retry,
        )
