"""The transport seam: send one request, get one response. The only aiohttp client code.

Everything above this module works on :class:`Request` and :class:`Response` values, so tests
(and users) can hand the client any object with an async ``send`` and ``aclose``, as httpx's
``transport=`` allows. :class:`AiohttpTransport` is the real one.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl as ssl_module
from collections.abc import Iterable, Mapping
from typing import Protocol

import aiohttp
import attrs
from yarl import URL

from ._errors import APIConnectionError, APIResponseValidationError, APITimeoutError, ClientClosedError
from ._logging import logger

__all__ = ["DEFAULT_MAX_RESPONSE_SIZE", "AiohttpTransport", "Request", "Response", "Transport"]

DEFAULT_MAX_RESPONSE_SIZE = 64 * 1024 * 1024
"""Bytes of decoded body an answer may have: far above any answer of the API, far below harm."""


@attrs.frozen
class Request:
    """One HTTP request, ready to send: the URL is already percent-encoded.

    .. versionadded:: 0.2.0
    """

    method: str
    url: str
    headers: Mapping[str, str]
    """Every header but ``Authorization``."""
    body: bytes | None
    timeout: aiohttp.ClientTimeout
    authorization: str | None = attrs.field(default=None, repr=False)
    """The ``Authorization`` header, kept apart so that no header dict in sight holds a secret."""

    def authorized(self, authorization: str) -> Request:
        """This request with ``authorization`` (cheaper than :func:`attrs.evolve` on every attempt)."""
        return Request(self.method, self.url, self.headers, self.body, self.timeout, authorization)


@attrs.frozen
class Response:
    """One HTTP answer: the status, the headers (case-insensitive) and the whole body.

    .. versionadded:: 0.2.0
    """

    status: int
    headers: Mapping[str, str]
    body: bytes = attrs.field(repr=False)


class Transport(Protocol):
    """What the client needs to talk HTTP: pass your own as ``AsyncFragment(transport=...)``.

    ``send`` returns every answer, whatever its status; when there is no answer at all it
    raises :class:`~fragment.APIConnectionError` (:class:`~fragment.APITimeoutError` for a
    timeout). Retries, auth and errors by status are the client's business, not the transport's.

    .. versionadded:: 0.2.0
    """

    async def send(self, request: Request) -> Response:
        """Send ``request`` and return the answer."""
        ...

    async def aclose(self) -> None:
        """Release the connections (the client calls it from ``close()``)."""
        ...


@attrs.define
class _LoopState:
    """What one event loop owns: the session and the pool's request slots."""

    loop: asyncio.AbstractEventLoop
    session: aiohttp.ClientSession
    owns_session: bool
    slots: asyncio.Semaphore


class AiohttpTransport:
    """The transport over an :class:`aiohttp.ClientSession`, opened by the first request.

    Redirects are never followed: the API does not redirect, and following one could send
    the body and credentials elsewhere; a 3xx answer is returned as it is. A body larger than
    ``max_response_size`` bytes (after decompression) is refused while it is read.

    ``max_connections`` requests go out at once, the others wait for a slot (that wait is
    not part of their timeout); :meth:`widen` raises it, as a batch does when it grows. The
    pool opens connections as they are needed, up to that many (a session you pass in keeps
    its own connector's limit).

    A session belongs to the event loop it was created in: the transport opens one in the
    running loop on first use, opens a fresh one when that loop has closed (a second
    ``asyncio.run``), and refuses a call from another loop while the first one still runs.

    .. versionadded:: 0.2.0
    """

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession | None = None,
        max_connections: int = 100,
        trust_env: bool = False,
        ssl: ssl_module.SSLContext | bool = True,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        trace_configs: Iterable[aiohttp.TraceConfig] | None = None,
    ) -> None:
        self._user_session = session
        self.max_response_size = max_response_size
        self._trace_configs = list(trace_configs or ())
        self.max_connections = max_connections
        self._trust_env = trust_env
        self._ssl = ssl
        self._state: _LoopState | None = None
        self._closed = False

    async def send(self, request: Request) -> Response:
        """Send one request; no answer raises :class:`~fragment.APIConnectionError`."""
        state = self._state_for_running_loop()
        # Our own semaphore is the pool's only limit: it queues requests before aiohttp sees
        # them, so time spent waiting for a free connection never counts against a timeout.
        problem: APIConnectionError
        async with state.slots:
            url = _url(request.url)
            try:
                async with state.session.request(
                    request.method,
                    url,
                    data=request.body,
                    headers=_with_authorization(request),
                    timeout=request.timeout,
                    allow_redirects=False,
                ) as answer:
                    length, limit = answer.content_length, self.max_response_size
                    if length is not None and length <= limit and "Content-Encoding" not in answer.headers:
                        body = await answer.read()  # the common case: a small, plain body of known size
                    else:
                        body = await _read_capped(answer, limit)
                    if logger.isEnabledFor(logging.DEBUG):
                        logger.debug("%s %s -> %s (%d bytes)", request.method, url.raw_path, answer.status, len(body))
                    return Response(answer.status, answer.headers, body)
            except TimeoutError:  # aiohttp's timeouts are TimeoutError subclasses too
                problem = APITimeoutError(f"Request to {_where(url)} timed out")
            except aiohttp.ClientConnectorError as exc:
                problem = APIConnectionError(f"Cannot connect to {_where(url)}: {_describe(exc)}", connect_failed=True)
            except aiohttp.ClientError as exc:
                problem = APIConnectionError(f"Connection error talking to {_where(url)}: {_describe(exc)}")
        # Raised here, outside the except block, so that aiohttp's exception (whose request_info
        # holds the Authorization header) is neither the cause nor the context of ours.
        raise problem

    def _state_for_running_loop(self) -> _LoopState:
        if self._closed:
            # A retry that wakes after close() must not open a session nobody will close.
            raise ClientClosedError("this client's transport is closed; create a new client")
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
            _release_abandoned(state)
        self._state = state = self._open(loop)
        return state

    def _open(self, loop: asyncio.AbstractEventLoop) -> _LoopState:
        _let_reads_reuse_memory()
        session = self._user_session
        owns = session is None
        if session is None:
            # Unlimited: the slots below are the limit, and they can be widened.
            connector = aiohttp.TCPConnector(limit=0, ssl=self._ssl)
            session = aiohttp.ClientSession(
                connector=connector, trust_env=self._trust_env, trace_configs=self._trace_configs or None
            )
        return _LoopState(loop, session, owns, asyncio.Semaphore(self.max_connections))

    def widen(self, connections: int) -> None:
        """Let at least ``connections`` requests go out at once from now on (never fewer than before).

        A batch calls it as its concurrency grows, so nobody has to size ``max_connections``
        for a batch.

        .. versionadded:: 0.2.0
        """
        extra = connections - self.max_connections
        if extra <= 0:
            return
        self.max_connections = connections
        if self._state is not None:
            for _ in range(extra):
                self._state.slots.release()

    async def aclose(self) -> None:
        """Close the session this transport opened (a session passed in stays open)."""
        self._closed = True
        state, self._state = self._state, None
        if state is not None and state.owns_session:
            await state.session.close()

    def forget(self) -> None:
        """Drop the loop state without touching it (in a forked child, its sockets are the parent's)."""
        if self._state is not None:
            _ABANDONED.append(self._state)
        self._state = None


_ASYNCIO_READ_SIZE = 256 * 1024
"""How much asyncio's socket transport asks for on every read (``max_size``)."""


def _let_reads_reuse_memory() -> None:
    """Free one block twice asyncio's read size, so that on glibc every read reuses heap memory.

    asyncio reads a socket into a fresh 256 KiB buffer, then shrinks it to what arrived.
    glibc maps a block above its mmap threshold (128 KiB at first) with mmap(2) and unmaps
    it when freed; it raises the threshold only when a block still that large is freed
    (mallopt(3), M_MMAP_THRESHOLD), which a shrunk read buffer never is. Until something
    else frees a large block, then, every read costs an mmap, an mremap, a munmap and a few
    page faults: over 20,000 requests, about 46,000 page faults and 60,000 system calls
    (docs/performance.md). Freeing one large block moves the threshold where glibc moves it
    by itself after any large free, and it stays there; other allocators are not affected.
    It costs a few microseconds, once a session.
    """
    bytearray(2 * _ASYNCIO_READ_SIZE)


# Sessions left behind by a fork are kept referenced so that their finalizers never run in
# the child: closing them there would unregister the parent's sockets from a shared epoll.
_ABANDONED: list[_LoopState] = []


def _release_abandoned(state: _LoopState) -> None:
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


async def _read_capped(answer: aiohttp.ClientResponse, limit: int) -> bytes:
    """The whole decoded body, refused once it passes ``limit`` bytes (a gzip bomb stops there).

    For a compressed body, or one whose size is unknown or too large: :meth:`AiohttpTransport.send`
    reads a small, plain one at once, without this coroutine.
    """
    chunks: list[bytes] = []
    size = 0
    async for chunk in answer.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > limit:
            raise APIResponseValidationError(
                f"The API answered {answer.status} with a body larger than {limit:,} bytes "
                "(max_response_size); it was not read further",
                status_code=answer.status,
                body=b"".join(chunks)[:1024],
            )
        chunks.append(chunk)
    return b"".join(chunks)


@functools.lru_cache(maxsize=256)
def _url(text: str) -> URL:
    """Parse a URL once per distinct text (a batch sends thousands to one): it is already
    percent-encoded, so yarl must not encode it again."""
    return URL(text, encoded=True)


def _with_authorization(request: Request) -> Mapping[str, str]:
    if request.authorization is None:
        return request.headers
    return {**request.headers, "Authorization": request.authorization}


def _where(url: URL) -> str:
    """The URL without its query: enough to say where, nothing a query might carry."""
    return str(url.with_query(None))


def _describe(exc: aiohttp.ClientError) -> str:
    # str() of aiohttp's errors names the host and the reason, never the request's headers.
    return f"{type(exc).__name__}: {exc}"
