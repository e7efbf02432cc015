"""The HTTP protocol of the API as pure values and functions: no I/O, no event loop.

Everything here works on plain values (status codes, header mappings, body bytes): the
status-to-exception table, the reading of answers into models, the retry policy, and the
state machine that applies it to one request (:class:`Attempts`). The client's driver only
carries out the decisions, so the whole table of behaviours is tested without sockets.
"""

from __future__ import annotations

import email.utils
import ipaddress
import platform
import random
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

import attrs
import cattrs

from . import _json
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    FragmentError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from ._version import __version__
from ._wire import from_wire

__all__ = [
    "INITIAL_RETRY_DELAY",
    "MAX_RETRY_AFTER",
    "MAX_RETRY_DELAY",
    "USER_AGENT",
    "Attempts",
    "Decision",
    "Fail",
    "RefreshToken",
    "Retry",
    "Succeed",
    "check_transport_security",
    "decode_json",
    "decode_response",
    "redirect_error",
    "retry_after",
    "retry_delay",
    "should_retry",
    "status_error",
]

T = TypeVar("T")

INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER = 60.0

USER_AGENT = f"fragment-python/{__version__} python/{platform.python_version()}"

_STATUS_ERRORS: Mapping[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}
_RETRYABLE_STATUSES = frozenset({408, 409, 429})


def status_error(status: int, headers: Mapping[str, str], body: bytes, *, hint: str = "") -> APIStatusError:
    """Return the exception for an error answer: the class from the status, the parsed body.

    ``hint`` is appended to the message: what the caller can do about it.
    """
    parsed = _parse_error_body(body)
    cls = _STATUS_ERRORS.get(status) or (InternalServerError if status >= 500 else APIStatusError)
    message = f"Error code: {status} - {_error_summary(parsed)}{hint}"
    return cls(message, status_code=status, headers=headers, body=parsed)


def redirect_error(status: int, headers: Mapping[str, str], body: bytes) -> APIStatusError:
    """A redirect is reported, never followed: the API does not redirect, and following one
    could send the request's body and credentials to another host."""
    location = headers.get("Location", "")
    target = urlsplit(location)._replace(query="", fragment="").geturl() if location else "nowhere"
    message = (
        f"Error code: {status} - the API answered with a redirect to {target}, which is not followed; "
        "check base_url (the API does not redirect)"
    )
    return APIStatusError(message, status_code=status, headers=headers, body=_parse_error_body(body))


def decode_json(status: int, body: bytes) -> Any:
    """Read a 2xx answer as plain JSON (None when empty), for endpoints without a model."""
    if not body:
        return None
    try:
        return _json.loads(body)
    except ValueError as exc:
        problem = f"{type(exc).__name__}: {exc}"
    raise APIResponseValidationError(
        f"The API answered {status} with a body that is not JSON: {problem}", status_code=status, body=body
    )


def decode_response(cls: type[T], status: int, body: bytes) -> T:
    """Read a 2xx answer into ``cls``; raise :class:`APIResponseValidationError` if malformed."""
    try:
        return from_wire(cls, _json.loads(body))
    except (ValueError, TypeError, KeyError, AttributeError, cattrs.BaseValidationError) as exc:
        problem = _describe_problem(exc)
    # Raised outside the except block: the cattrs error adds nothing the message lacks.
    raise APIResponseValidationError(
        f"The API answered {status} with a body that is not a {_model_name(cls)}: {problem}",
        status_code=status,
        body=body,
    )


def _model_name(cls: type) -> str:
    return cls.__name__


def _parse_error_body(body: bytes) -> Any:
    if not body:
        return None
    try:
        return _json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")


def _error_summary(parsed: Any) -> str:
    # Prefer the server's own message; fall back to the whole (short) body.
    if isinstance(parsed, dict):
        error = parsed.get("error", parsed)
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
    return str(parsed)[:500]


_MOST_PROBLEMS = 5


def _describe_problem(exc: BaseException) -> str:
    if isinstance(exc, cattrs.BaseValidationError):
        notes = cattrs.transform_error(exc, path="body")
        # A list answer of the wrong shape has a problem per element: name the first few.
        more = len(notes) - _MOST_PROBLEMS
        return "; ".join(notes[:_MOST_PROBLEMS]) + (f"; and {more} more" if more > 0 else "")
    return f"{type(exc).__name__}: {exc}"


def should_retry(status: int, headers: Mapping[str, str]) -> bool:
    """Whether an error answer is worth another attempt.

    An explicit ``x-should-retry`` header decides; otherwise 408, 409, 429 and 5xx are retried.
    """
    override = headers.get("x-should-retry")
    if override == "true":
        return True
    if override == "false":
        return False
    return status in _RETRYABLE_STATUSES or status >= 500


def retry_after(headers: Mapping[str, str], *, now: Callable[[], float] = time.time) -> float | None:
    """The wait the server asked for, in seconds, or None when it asked for none we can read.

    ``retry-after-ms`` wins over ``retry-after``; the latter is seconds or an HTTP date.
    """
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return float(millis) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.timestamp() - now()


def retry_delay(
    retries_done: int,
    headers: Mapping[str, str] | None = None,
    *,
    rand: Callable[[], float] = random.random,
    now: Callable[[], float] = time.time,
) -> float:
    """Seconds to wait before the next attempt, after ``retries_done`` retries so far.

    A server's ``retry-after`` between 0 and 60 s is honoured as is; otherwise exponential
    backoff from 0.5 s, doubling up to 8 s, shortened by up to 25% of jitter so that many
    clients that failed together do not retry together.
    """
    asked = retry_after(headers, now=now) if headers is not None else None
    if asked is not None and 0 <= asked <= MAX_RETRY_AFTER:
        return asked
    backoff = min(INITIAL_RETRY_DELAY * 2.0 ** min(retries_done, 32), MAX_RETRY_DELAY)
    return backoff * (1 - 0.25 * rand())


@attrs.frozen
class Succeed:
    """The answer is a success: hand it to the caller."""


@attrs.frozen
class Fail:
    """Give up and raise ``error``."""

    error: APIError


@attrs.frozen
class RefreshToken:
    """The token expired in flight: fetch a fresh one and send again (not counted as a retry)."""


@attrs.frozen
class Retry:
    """Send again after ``delay`` seconds; ``reason`` is for the log."""

    delay: float
    reason: str


Decision = Succeed | Fail | RefreshToken | Retry
"""What to do after one attempt of a request."""

_SUCCEED = Succeed()
_REFRESH = RefreshToken()
_STALE_VERSION_HINT = (
    " (the version sent is stale: another write changed it first; retrieve the latest version "
    "and apply the change again, as invoices.modify() and transactions.modify_allocations() do for you)"
)


class Attempts:
    """The retry state machine of one request: from each attempt's outcome, what to do next.

    Pure: it sends nothing and sleeps nowhere. It applies the API's policy (SPEC section 2):

    * a 2xx answer succeeds;
    * a 401 answered to a token that our clock says has expired refreshes the token and sends
      again, once, without counting against ``max_retries``;
    * connection errors, timeouts, 408, 409, 429 and 5xx are retried up to ``max_retries``
      times, unless an ``x-should-retry`` header says otherwise (either way);
    * a ``version_guarded`` write does not retry a 409: resending a stale version cannot
      succeed. It fails with a :class:`~fragment.ConflictError` that says so (unless the
      server asks for a retry with ``x-should-retry: true``);
    * the wait honours ``retry-after-ms`` and ``retry-after``, else backs off exponentially.
    """

    def __init__(
        self,
        max_retries: int,
        *,
        version_guarded: bool = False,
        rand: Callable[[], float] = random.random,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.max_retries = max_retries
        self.retries_done = 0
        self._version_guarded = version_guarded
        self._refreshed = False
        self._rand = rand
        self._now = now

    def after_answer(self, status: int, headers: Mapping[str, str], body: bytes, *, token_expired: bool) -> Decision:
        """Decide after an answer; ``token_expired``: the bearer token sent had expired by our clock."""
        if 200 <= status < 300:
            return _SUCCEED
        if 300 <= status < 400:
            return Fail(redirect_error(status, headers, body))
        if status == 401 and token_expired and not self._refreshed:
            self._refreshed = True
            return _REFRESH
        if self.retries_done < self.max_retries and self._should_retry(status, headers):
            return self._retry(
                retry_delay(self.retries_done, headers, rand=self._rand, now=self._now), f"status {status}"
            )
        hint = _STALE_VERSION_HINT if status == 409 and self._version_guarded else ""
        return Fail(status_error(status, headers, body, hint=hint))

    def after_no_answer(self, error: APIConnectionError) -> Decision:
        """Decide after a connection error or a timeout."""
        if self.retries_done < self.max_retries:
            return self._retry(retry_delay(self.retries_done, rand=self._rand, now=self._now), error.message)
        return Fail(error)

    def _should_retry(self, status: int, headers: Mapping[str, str]) -> bool:
        if status == 409 and self._version_guarded:
            return headers.get("x-should-retry") == "true"
        return should_retry(status, headers)

    def _retry(self, delay: float, reason: str) -> Retry:
        self.retries_done += 1
        return Retry(delay, reason)


def check_transport_security(url: str, *, what: str, allow_insecure_http: bool) -> None:
    """Refuse to send credentials over plain http, except to a loopback host or when allowed."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme != "http" or not parts.hostname:
        raise FragmentError(f"{what} must be an http(s) URL, got {url!r}")
    if allow_insecure_http or _is_loopback(parts.hostname):
        return
    raise FragmentError(
        f"{what} {url!r} uses plain http to a non-loopback host, which would expose credentials; "
        "use https, or pass allow_insecure_http=True for a test server you control"
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
