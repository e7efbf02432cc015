"""The HTTP protocol of the API as pure functions: no I/O, no event loop.

Everything here works on plain values (status codes, header mappings, body bytes), so the
status-to-exception table and the retry policy are tested without sockets.
"""

from __future__ import annotations

import email.utils
import ipaddress
import platform
import random
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import cattrs

from . import _json
from ._errors import (
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
from ._wire import response_from_wire
from .types import InvoiceCreateResponse

__all__ = [
    "INITIAL_RETRY_DELAY",
    "MAX_RETRY_DELAY",
    "USER_AGENT",
    "check_transport_security",
    "decode_create_response",
    "decode_token_response",
    "retry_delay",
    "should_retry",
    "status_error",
]

INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER = 60.0
DEFAULT_TOKEN_LIFETIME = 3600.0

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


def status_error(status: int, headers: Mapping[str, str], body: bytes) -> APIStatusError:
    """Return the exception for an error answer: the class from the status, the parsed body."""
    parsed = _parse_error_body(body)
    cls = _STATUS_ERRORS.get(status) or (InternalServerError if status >= 500 else APIStatusError)
    return cls(f"Error code: {status} - {_error_summary(parsed)}", status_code=status, headers=headers, body=parsed)


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


def decode_create_response(status: int, body: bytes) -> InvoiceCreateResponse:
    """Read a 2xx answer to a create; raise :class:`APIResponseValidationError` if malformed."""
    try:
        return response_from_wire(_json.loads(body))
    except (ValueError, TypeError, KeyError, cattrs.BaseValidationError) as exc:
        raise APIResponseValidationError(
            f"The API answered {status} with a body that is not an invoice: {_describe_problem(exc)}",
            status_code=status,
            body=body,
        ) from exc


def decode_token_response(status: int, body: bytes) -> tuple[str, float]:
    """Read a token answer: ``(access_token, expires_in seconds)``; 3600 s when absent."""
    try:
        parsed = _json.loads(body)
        token = parsed["access_token"]
        expires_in = parsed.get("expires_in", DEFAULT_TOKEN_LIFETIME)
        if not isinstance(token, str) or not token:
            raise TypeError("access_token is not a non-empty string")
        if expires_in is None:
            expires_in = DEFAULT_TOKEN_LIFETIME
        if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)):
            raise TypeError("expires_in is not a number")
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        # The body may hold a token: it is kept on the exception but never put in the message.
        raise APIResponseValidationError(
            f"The token endpoint answered {status} with a body that is not a token: {type(exc).__name__}",
            status_code=status,
            body=body,
        ) from exc
    return token, float(expires_in)


def _describe_problem(exc: BaseException) -> str:
    if isinstance(exc, cattrs.BaseValidationError):
        notes = cattrs.transform_error(exc, path="body")
        return "; ".join(notes)
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
