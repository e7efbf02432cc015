"""A transport that answers from a function, for unit tests without sockets (like httpx's MockTransport)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping

from multidict import CIMultiDict

from .._transport import Request, Response

__all__ = ["MockTransport", "answer"]

Handler = Callable[[Request], "Response | Awaitable[Response]"]


def answer(status: int = 200, body: bytes | str = b"", headers: Mapping[str, str] | None = None) -> Response:
    """Build a :class:`~fragment.Response` for a handler to return; ``headers`` are case-insensitive.

    .. versionadded:: 0.2.0
    """
    data = body.encode() if isinstance(body, str) else body
    return Response(status, CIMultiDict(headers or {}), data)


class MockTransport:
    """Answers every request by calling ``handler(request)``, which returns a response.

    The handler may be a plain function or a coroutine function; it may raise
    :class:`~fragment.APIConnectionError` (or :class:`~fragment.APITimeoutError`) to act as
    a request that got no answer. Every request is recorded in :attr:`requests`, with its
    ``Authorization`` header in ``request.authorization`` (not in its repr)::

        transport = MockTransport(lambda request: answer(200, b'{"data": []}'))
        client = AsyncFragment(transport=transport, client_id="id", client_secret="secret")

    .. versionadded:: 0.2.0
    """

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self.requests: list[Request] = []
        """Every request sent, in order (token requests included)."""
        self.closed = False
        """True once the client that uses it has been closed."""

    async def send(self, request: Request) -> Response:
        """Record ``request`` and return the handler's answer."""
        self.requests.append(request)
        result = self._handler(request)
        if inspect.isawaitable(result):
            return await result
        return result

    async def aclose(self) -> None:
        """Mark the transport closed."""
        self.closed = True
