"""AsyncFragment: configuration, and a short driver of the pure request state machine.

A call goes: the declared operation's path and params are checked and turned into a
:class:`~fragment._transport.Request` (:meth:`AsyncFragment._build`); :meth:`AsyncFragment._exchange`
sends it through the transport, asks :class:`~fragment._protocol.Attempts` what to do after each
attempt, and carries that out (refresh the token, sleep, send again, raise); the answer is read
into the operation's response model.
"""

from __future__ import annotations

import functools
import itertools
import os
import ssl as ssl_module
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final, Generic, Never, Unpack, overload
from urllib.parse import urlencode, urlsplit

import aiohttp
import attrs

from . import _json, _wait
from ._auth import Credentials, TokenCache, decode_token_response
from ._errors import APIConnectionError, ClientClosedError, FieldError, FragmentError, ValidationError
from ._events import Hook, Hooks, RequestEvent, ResponseEvent, RetryEvent
from ._logging import logger
from ._operation import Async, Operation, RequestOptions
from ._protocol import (
    USER_AGENT,
    Attempts,
    Decision,
    Fail,
    RefreshToken,
    Retry,
    Succeed,
    check_transport_security,
    decode_json,
    decode_response,
)
from ._raw import AsyncRawClient, RawResponse, raw_response
from ._transport import DEFAULT_MAX_RESPONSE_SIZE, AiohttpTransport, Request, Response, Transport
from ._validation import validate
from ._wire import to_wire
from .resources import RESOURCES

if sys.version_info >= (3, 13):
    from typing import TypeVar
else:  # a TypeVar with a default (PEP 696); aiohttp requires typing_extensions before 3.13
    from typing_extensions import TypeVar

if TYPE_CHECKING:
    from ._pacing import Pacer
    from .resources.external_accounts import ExternalAccounts
    from .resources.invoices import Invoices
    from .resources.products import Products
    from .resources.roles import Roles
    from .resources.transactions import Transactions
    from .resources.users import Users

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TOKEN_URL",
    "AsyncFragment",
    "Timeout",
]

C = TypeVar("C")
H = TypeVar("H")
R = TypeVar("R", default=Any)  # request() without cast_to answers plain JSON: Any
T = TypeVar("T")

DEFAULT_BASE_URL: Final = "https://api.us-west-2.fragment.dev"
DEFAULT_TOKEN_URL: Final = "https://auth.us-west-2.fragment.dev/oauth2/token"
DEFAULT_TIMEOUT: Final = aiohttp.ClientTimeout(total=60, connect=5)
DEFAULT_MAX_RETRIES: Final = 2
DEFAULT_MAX_CONNECTIONS: Final = 100
_MAX_SECONDS: Final = 365 * 24 * 3600.0

Timeout = float | aiohttp.ClientTimeout
"""A timeout: total seconds per request, or an :class:`aiohttp.ClientTimeout` for finer control."""


class _NotGiven:
    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = _NotGiven()


def _as_client_timeout(timeout: Timeout) -> aiohttp.ClientTimeout:
    if isinstance(timeout, aiohttp.ClientTimeout):
        for name in ("total", "connect", "sock_read", "sock_connect"):
            _check_seconds(getattr(timeout, name), f"timeout.{name}", allow_none=True)
        return timeout
    _check_seconds(timeout, "timeout")
    return aiohttp.ClientTimeout(total=timeout, connect=min(float(timeout), 5.0))


def _check_seconds(value: object, name: str, *, allow_none: bool = False) -> None:
    """A finite positive number of seconds (NaN would never fire; inf overflows the loop's timer)."""
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < _MAX_SECONDS:
        raise ValueError(
            f"{name} must be a positive, finite number of seconds or an aiohttp.ClientTimeout, got {value!r}"
        )


@attrs.frozen
class _Options:
    """The settings ``with_options`` may change; everything else is shared by the copies."""

    base_url: str
    timeout: aiohttp.ClientTimeout
    max_retries: int
    headers: Mapping[str, str]
    check_currency_codes: bool
    json_headers: Mapping[str, str] = attrs.field(init=False)
    """``headers`` plus the JSON content type, for requests with a body."""

    @json_headers.default
    def _with_json_content_type(self) -> Mapping[str, str]:
        return {"Content-Type": "application/json", **self.headers}


@attrs.define
class _Shared:
    """What a client and its ``with_options`` copies share: credentials, connections, token."""

    credentials: Credentials
    transport: Transport
    max_connections: int
    sleep: Callable[[float], Awaitable[None]]
    hooks: Hooks = attrs.field(factory=Hooks)
    tokens: TokenCache = attrs.field(factory=TokenCache)
    closed: bool = False


class _Setting(Generic[C, T]):
    """A read-only attribute of a client that shows one of its settings.

    An object that holds a client (the blocking facade) shows the same setting, with the same
    docs, through :meth:`via`.
    """

    def __init__(self, read: Callable[[C], T], doc: str) -> None:
        self._read = read
        self.__doc__ = doc

    def via(self, client_of: Callable[[H], C]) -> _Setting[H, T]:
        """The same setting, shown by an object that holds a client."""
        read = self._read
        return _Setting(lambda holder: read(client_of(holder)), self.__doc__ or "")

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> _Setting[C, T]: ...
    @overload
    def __get__(self, instance: C, owner: type[Any]) -> T: ...
    def __get__(self, instance: C | None, owner: type[Any]) -> T | _Setting[C, T]:
        return self if instance is None else self._read(instance)

    def __set__(self, instance: C, value: Never) -> None:  # Never: type checkers refuse an assignment
        raise AttributeError("a client's settings are read-only; with_options() makes a client with other ones")


def _setting(read: Callable[[AsyncFragment], T], doc: str) -> _Setting[AsyncFragment, T]:
    """A setting of :class:`AsyncFragment` (a plain call could not infer the lambda's argument type)."""
    return _Setting(read, doc)


def _pool_size(client: AsyncFragment) -> int:
    # A batch widens the transport's pool as its concurrency grows; show the size it has now.
    size = getattr(client._shared.transport, "max_connections", None)
    return size if isinstance(size, int) else client._shared.max_connections


class AsyncFragment:
    """The asynchronous Fragment client: one instance per process (and event loop) is enough.

    Every argument falls back to the environment: ``FRAGMENT_CLIENT_ID``,
    ``FRAGMENT_CLIENT_SECRET``, ``FRAGMENT_BASE_URL`` and ``FRAGMENT_TOKEN_URL``.
    Constructing a client does no I/O; the HTTP session is opened by the first request,
    inside the running event loop. Close it with ``async with`` or :meth:`close`; a closed
    client refuses further calls.

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
    :param max_response_size: the most bytes of decoded body an answer may have (64 MiB);
        a larger one raises :class:`~fragment.APIResponseValidationError`.
    :param transport: send requests through this object instead of aiohttp (any object with
        ``async send(request) -> response`` and ``async aclose()``; see
        :class:`~fragment.Transport`). For tests, and for unusual networks.
    :param on_request: event hook(s) called before each attempt with a :class:`~fragment.RequestEvent`.
    :param on_response: event hook(s) called after each attempt with a :class:`~fragment.ResponseEvent`.
    :param on_retry: event hook(s) called before each retry's wait with a :class:`~fragment.RetryEvent`.
        Events hold method, path, attempt, status, delay and timing; never a header or a secret.
    :param trace_configs: :class:`aiohttp.TraceConfig` objects for the session the client opens.
    :param sleep: the coroutine function that waits between retries (``asyncio.sleep`` unless
        :func:`fragment.testing.instant_retries` is on).

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.2.0 ``transport``, ``sleep``, event hooks, ``trace_configs``, ``max_response_size``;
       a closed client refuses calls.
    """

    invoices: Invoices[Async]
    """Invoices: ``create``, ``retrieve``, ``update``, ``list``, ``list_history``, batches and ``modify``."""
    products: Products[Async]
    """Products: ``create``, ``retrieve``, ``list``."""
    roles: Roles[Async]
    """Roles: ``create``, ``list``."""
    users: Users[Async]
    """Users: ``create``, ``list``."""
    external_accounts: ExternalAccounts[Async]
    """External accounts: ``create``, ``list``."""
    transactions: Transactions[Async]
    """Transactions: ``create``, ``retrieve``, ``list``, ``create_allocations``, batches."""

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
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        transport: Transport | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        on_request: Hook[RequestEvent] | Iterable[Hook[RequestEvent]] | None = None,
        on_response: Hook[ResponseEvent] | Iterable[Hook[ResponseEvent]] | None = None,
        on_retry: Hook[RetryEvent] | Iterable[Hook[RetryEvent]] | None = None,
        trace_configs: Iterable[aiohttp.TraceConfig] | None = None,
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
        if ":" in client_id:
            raise FragmentError("client_id must not contain ':': HTTP Basic authentication cannot carry it")
        check_transport_security(base_url, what="base_url", allow_insecure_http=allow_insecure_http)
        check_transport_security(token_url, what="token_url", allow_insecure_http=allow_insecure_http)
        _check_count(max_connections, "max_connections", minimum=1)
        _check_count(max_response_size, "max_response_size", minimum=1)
        if transport is not None and (http_session is not None or trace_configs is not None):
            raise ValueError("transport= replaces aiohttp: pass neither http_session= nor trace_configs= with it")
        if transport is None:
            transport = AiohttpTransport(
                session=http_session,
                max_connections=max_connections,
                trust_env=trust_env,
                ssl=ssl,
                max_response_size=max_response_size,
                trace_configs=trace_configs,
            )
        options = _Options(
            base_url=base_url.rstrip("/"),
            timeout=_as_client_timeout(timeout),
            max_retries=_check_max_retries(max_retries),
            headers={"Accept": "application/json", "User-Agent": USER_AGENT, **(default_headers or {})},
            check_currency_codes=check_currency_codes,
        )
        credentials = Credentials(client_id, client_secret, token_url)
        hooks = Hooks(on_request, on_response, on_retry)
        self._setup(options, _Shared(credentials, transport, max_connections, sleep or _wait.sleep, hooks))

    def _setup(self, options: _Options, shared: _Shared) -> None:
        self._options = options
        self._shared = shared
        for name, resource in RESOURCES.items():
            setattr(self, name, resource(self))

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
        clone._setup(attrs.evolve(self._options, **changes), self._shared)
        return clone

    base_url = _setting(lambda client: client._options.base_url, "The API's base URL, without a trailing slash.")
    max_retries = _setting(lambda client: client._options.max_retries, "How many times a failed request is retried.")
    timeout = _setting(lambda client: client._options.timeout, "The default timeout of each request.")
    max_connections = _setting(_pool_size, "The size of the connection pool, as wide as a batch has made it.")
    check_currency_codes = _setting(
        lambda client: client._options.check_currency_codes,
        "Whether ``currency_code`` values are checked against this release's list.",
    )

    @property
    def with_raw_response(self) -> AsyncRawClient:
        """Every resource, with operations that return a :class:`~fragment.RawResponse` (status, headers, timing).

        The same as ``client.<resource>.with_raw_response``.

        .. versionadded:: 0.2.0
        """
        return AsyncRawClient(self, None)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has been called (on this client or a copy sharing its pool)."""
        return self._shared.closed

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, client_id={self._shared.credentials.client_id!r})"

    async def close(self) -> None:
        """Close the connections the client opened (a session you passed in stays open).

        Calls made after it raise :class:`~fragment.ClientClosedError`. Closing twice does nothing.
        """
        self._shared.closed = True
        await self._shared.transport.aclose()

    async def __aenter__(self) -> AsyncFragment:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _after_fork(self) -> None:
        """In a forked child: drop the connections without touching them (they are the parent's)."""
        forget = getattr(self._shared.transport, "forget", None)
        if forget is not None:
            forget()

    # --- the request pipeline ---------------------------------------------------------------

    async def _call(
        self,
        operation: Operation[R],
        path_values: tuple[object, ...],
        fields: dict[str, Any],
        options: RequestOptions,
        *,
        raw: bool = False,
    ) -> Any:
        """Run one declared operation: check, build, send with retries, read the answer.

        Returns the response model, or with ``raw`` a :class:`~fragment.RawResponse` of it.
        """
        path = operation.path_for(path_values)
        params_model = operation.body or operation.query
        params: object | None = None
        if params_model is not None:
            params = validate(params_model, fields, check_currency_codes=self._options.check_currency_codes)
        if raw:
            request = self._build(operation, path, params, options)
            exchange = await self._exchange(request, operation.name, version_guarded=operation.version_guarded)
            return exchange.raw(lambda: decode_response(operation.response, exchange.status, exchange.body))
        return await self._send(operation, path, params, options)

    def _checker(self, params_model: type[R]) -> Callable[[object], R]:
        """What checks a batch's items: a params instance or a mapping of its fields (the validator takes both).

        A partial, built once per batch, rather than a method called per item.
        """
        return functools.partial(validate, params_model, check_currency_codes=self._options.check_currency_codes)

    async def _send(
        self,
        operation: Operation[R],
        path: str,
        params: object | None,
        options: RequestOptions,
        *,
        pacer: Pacer | None = None,
    ) -> R:
        """Send already checked params (a batch calls this directly, with its pacer)."""
        request = self._build(operation, path, params, options)
        exchange = await self._exchange(request, operation.name, version_guarded=operation.version_guarded, pacer=pacer)
        return decode_response(operation.response, exchange.status, exchange.body)

    def _build(self, operation: Operation[Any], path: str, params: object | None, options: RequestOptions) -> Request:
        query = _query(to_wire(params) if operation.query is not None else None, options.get("extra_query"))
        payload = None
        extra_body = options.get("extra_body")
        if operation.body is not None or (extra_body and operation.method != "GET"):
            payload = to_wire(params) if operation.body is not None else {}
            if extra_body and operation.method != "GET":
                payload.update(extra_body)
        return self._request_for(operation.method, path, query, payload, options)

    def _request_for(
        self, method: str, path: str, query: str, payload: Mapping[str, Any] | None, options: RequestOptions
    ) -> Request:
        url = self._options.base_url + path
        if query:
            url = f"{url}?{query}"
        body = None if payload is None else _encode_body(payload)
        # Shared, never mutated: a copy only when this request adds headers of its own.
        headers = self._options.json_headers if body is not None else self._options.headers
        extra_headers = options.get("extra_headers")
        if extra_headers:
            headers = {**headers, **extra_headers}
        timeout = options.get("timeout")
        client_timeout = self._options.timeout if timeout is None else _as_client_timeout(timeout)
        return Request(method, url, headers, body, client_timeout)

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        query: Mapping[str, object] | None = None,
        cast_to: type[R] | None = None,
        **options: Unpack[RequestOptions],
    ) -> R:
        """Call an endpoint this SDK does not model yet, through the same pipeline as every operation.

        Auth, retries, timeouts, errors and event hooks are the same; nothing is validated
        and ``path`` is sent as given (percent-encode its segments yourself), appended to
        ``base_url``. The answer is decoded JSON, or read into ``cast_to`` (a model of
        :mod:`fragment.types`) when given::

            roles = await client.request("GET", "/roles", cast_to=RoleListResponse)

        :param method: ``GET``, ``POST``, ``PUT``, ``PATCH`` or ``DELETE``.
        :param path: the path below ``base_url``, starting with ``/``.
        :param body: a JSON object to send (never on a GET).
        :param query: query parameters, form-encoded.
        :raises ValidationError: the method or path is unusable; nothing was sent.

        .. versionadded:: 0.2.0
        """
        request = self._request_for(
            _checked_method(method), _checked_path(path), _query(None, query), _body_for(method, body), options
        )
        exchange = await self._exchange(request, "request")
        if cast_to is not None:
            return decode_response(cast_to, exchange.status, exchange.body)
        decoded: R = decode_json(exchange.status, exchange.body)  # R is Any here, its default
        return decoded

    async def _fetch_token(self) -> tuple[str, float]:
        """Run the client credentials grant, with the same retry policy as every request."""
        shared = self._shared
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        request = shared.credentials.token_request(headers=headers, timeout=self._options.timeout)
        exchange = await self._exchange(request, "oauth2.token", bearer=False)
        logger.debug("fetched an access token from %s", shared.credentials.token_url)
        return decode_token_response(exchange.response)

    async def _exchange(
        self,
        request: Request,
        operation: str,
        *,
        bearer: bool = True,
        version_guarded: bool = False,
        pacer: Pacer | None = None,
    ) -> _Exchange:
        """The driver: send ``request`` (with a bearer token unless ``bearer`` is False), ask
        :class:`~fragment._protocol.Attempts` what now, carry it out, until it says return or raise."""
        shared = self._shared
        if shared.closed:
            raise ClientClosedError("this AsyncFragment is closed; create a new one")
        attempts = Attempts(self._options.max_retries, version_guarded=version_guarded)
        events = _Events(shared.hooks, operation, request) if shared.hooks else None
        started = time.monotonic()
        tokens = shared.tokens
        while True:
            sent, token = request, None
            if bearer:
                # Inline, not a helper coroutine: this runs for every attempt of every call.
                token = tokens.current() or await tokens.get(self._fetch_token)
                sent = request.authorized(token.header)
            ticket = None
            if pacer is not None:
                ticket = pacer.try_acquire()
                if ticket is None:
                    ticket = await pacer.acquire()
            if events is not None:
                events.request()
            status, answer_headers = 0, None
            try:
                response = await shared.transport.send(sent)
            except APIConnectionError as error:
                decision = attempts.after_no_answer(error)
            else:
                status, answer_headers = response.status, response.headers
                expired = token is not None and status == 401 and tokens.is_expired(token)
                decision = attempts.after_answer(status, answer_headers, response.body, token_expired=expired)
            finally:
                if pacer is not None and ticket is not None:
                    pacer.release(ticket, status, answer_headers)
            if events is not None:
                events.response(status, decision)
            if isinstance(decision, Succeed):
                return _Exchange(sent, response, attempts.retries_done, time.monotonic() - started)
            if isinstance(decision, Fail):
                raise decision.error
            if isinstance(decision, RefreshToken):
                assert token is not None  # a refresh is decided only for a bearer token
                tokens.discard(token)
                continue
            _log_retry(request, decision.delay, decision.reason, attempts)
            await shared.sleep(decision.delay)


@attrs.frozen
class _Exchange:
    """A call's final answer, and how it went."""

    request: Request
    response: Response
    retries: int
    elapsed: float

    @property
    def status(self) -> int:
        return self.response.status

    @property
    def body(self) -> bytes:
        return self.response.body

    def raw(self, parse: Callable[[], R]) -> RawResponse[R]:
        response, request = self.response, self.request
        return raw_response(
            response.status,
            response.headers,
            response.body,
            method=request.method,
            url=request.url,
            retries=self.retries,
            elapsed=self.elapsed,
            parse=parse,
        )


class _Events:
    """Fires one call's events to the client's hooks, numbering its attempts and timing them."""

    def __init__(self, hooks: Hooks, operation: str, request: Request) -> None:
        self._hooks = hooks
        url = urlsplit(request.url)
        self._where = (operation, next(_CALLS), request.method, url.path)
        self._url = url._replace(query="", fragment="").geturl()
        self._attempt = -1
        self._sent_at = 0.0

    def request(self) -> None:
        self._attempt += 1
        self._sent_at = time.monotonic()
        event = RequestEvent(*self._where, self._attempt, self._url)
        for hook in self._hooks.on_request:
            hook(event)

    def response(self, status: int, decision: Decision) -> None:
        final = isinstance(decision, (Succeed, Fail))
        failure = decision.error if isinstance(decision, Fail) else None
        error = failure.message if isinstance(failure, APIConnectionError) else None
        if not status and isinstance(decision, Retry):
            error = decision.reason
        answered = status or None
        elapsed = time.monotonic() - self._sent_at
        event = ResponseEvent(*self._where, self._attempt, answered, elapsed, final, error)
        for hook in self._hooks.on_response:
            hook(event)
        if isinstance(decision, Retry):
            retry = RetryEvent(*self._where, self._attempt, answered, decision.delay, decision.reason)
            for retry_hook in self._hooks.on_retry:
                retry_hook(retry)


_CALLS = itertools.count(1)


def _checked_method(method: str) -> str:
    if not isinstance(method, str) or method.upper() not in _METHODS:
        raise ValidationError([FieldError("method", f"expected one of {', '.join(_METHODS)}, got {method!r}")])
    return method.upper()


def _checked_path(path: str) -> str:
    # Only a path below base_url: a URL (or //host) here would send the token to another host.
    if not isinstance(path, str) or not path.startswith("/") or path.startswith("//") or any(c in path for c in "?#"):
        problem = f"expected a path below base_url starting with '/', without a query (pass query=), got {path!r}"
        raise ValidationError([FieldError("path", problem)])
    return path


def _body_for(method: str, body: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if body is not None and method.upper() == "GET":
        raise ValidationError([FieldError("body", "a GET request has no body; pass query= instead")])
    return body


_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _log_retry(request: Request, delay: float, reason: str, attempts: Attempts) -> None:
    logger.info(
        "retrying %s %s in %.2fs after %s (retry %d of %d)",
        request.method,
        request.url.partition("?")[0],
        delay,
        reason,
        attempts.retries_done,
        attempts.max_retries,
    )


def _query(params: Mapping[str, Any] | None, extra: Mapping[str, object] | None) -> str:
    """The query string, form-encoded as the API expects; ``extra`` wins over a same-named param.

    None and empty values are left out; a list becomes comma-separated values, a bool
    ``true``/``false``.
    """
    if not params and not extra:
        return ""  # most operations have no query: nothing to merge or encode
    merged = {**(params or {}), **(extra or {})}
    pairs = [(key, _query_value(value)) for key, value in merged.items() if value is not None and value != ""]
    return urlencode(pairs)


def _query_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(_query_value(item) for item in value)
    return str(value)


def _encode_body(payload: Mapping[str, Any]) -> bytes:
    try:
        return _json.dumps(payload)
    except (TypeError, ValueError) as exc:  # extra_body is sent as given, unchecked
        problem = f"cannot be encoded as JSON: {exc}"
    raise ValidationError([FieldError("extra_body", problem)])


def _check_max_retries(max_retries: int) -> int:
    _check_count(max_retries, "max_retries", minimum=0)
    return max_retries


def _check_count(value: object, name: str, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int of at least {minimum}, got {value!r}")
