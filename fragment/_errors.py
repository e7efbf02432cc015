"""Every exception the SDK raises, in one tree::

    FragmentError                      anything raised by fragment on purpose
    ├── ClientClosedError              a client was used after close() (also RuntimeError)
    ├── ValidationError                a request was refused before it was sent (also ValueError)
    └── APIError                       talking to the API went wrong
        ├── APIConnectionError         no answer at all (refused, reset, DNS, TLS)
        │   └── APITimeoutError        no answer in time
        ├── APIResponseValidationError an answer that is not the documented shape, or too large
        └── APIStatusError             the API answered with an error status
            ├── BadRequestError            400
            ├── AuthenticationError        401
            ├── PermissionDeniedError      403
            ├── NotFoundError              404
            ├── ConflictError              409
            ├── UnprocessableEntityError   422
            ├── RateLimitError             429
            └── InternalServerError        >= 500

Messages never contain the client secret, a token or the ``Authorization`` header.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConflictError",
    "FieldError",
    "FragmentError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnprocessableEntityError",
    "ValidationError",
]


class FragmentError(Exception):
    """Base class of every exception raised by fragment."""


@attrs.frozen
class FieldError:
    """One problem with one field of a request.

    .. versionadded:: 0.1.0
    """

    path: str
    """Where the problem is, in Python names: ``line_items[2].currency_code``."""
    message: str
    """What is wrong, including the offending value."""

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ClientClosedError(FragmentError, RuntimeError):
    """A client was used after ``close()``: create a new one.

    .. versionadded:: 0.2.0
    """


class ValidationError(FragmentError, ValueError):
    """A request was refused before any I/O because a field is invalid.

    ``str(error)`` names every bad field with its value, for example
    ``line_items[2].currency_code: 'USDX' is not a supported currency code``.

    .. versionadded:: 0.1.0
    """

    errors: tuple[FieldError, ...]
    """Every problem found, in the order of the fields."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(map(str, self.errors)))

    @property
    def path(self) -> str:
        """The field path of the first problem."""
        return self.errors[0].path


class APIError(FragmentError):
    """Base class of every failure to get a usable answer from the API."""

    message: str
    """A human-readable description of what went wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class APIConnectionError(APIError):
    """The API could not be reached, or the connection broke before an answer arrived."""

    connect_failed: bool
    """True when no connection could be opened at all (refused, DNS, TLS): the host is
    unreachable, so a batch stops rather than failing every item one by one.

    .. versionadded:: 0.2.0"""

    def __init__(self, message: str = "Connection error.", *, connect_failed: bool = False) -> None:
        super().__init__(message)
        self.connect_failed = connect_failed


class APITimeoutError(APIConnectionError):
    """No answer arrived within the request's timeout."""

    def __init__(self, message: str = "Request timed out.") -> None:
        super().__init__(message)


class APIResponseValidationError(APIError):
    """An answer that cannot be used: a success whose body is not the documented shape, or
    a body larger than the client's ``max_response_size``.

    ``body`` holds the raw bytes the server sent (at most the size limit), for diagnosis.
    """

    status_code: int
    """The HTTP status of the answer."""
    body: bytes
    """The raw body as received."""

    def __init__(self, message: str, *, status_code: int, body: bytes) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body


class APIStatusError(APIError):
    """The API answered with a 4xx or 5xx status.

    ``body`` is the parsed JSON of the answer, or its text when it is not JSON.
    """

    status_code: int
    """The HTTP status of the answer."""
    headers: Mapping[str, str]
    """The answer's headers (case-insensitive)."""
    body: Any
    """The answer's JSON body, or its text when it was not JSON, or ``None`` when empty."""

    def __init__(self, message: str, *, status_code: int, headers: Mapping[str, str], body: Any) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.headers = headers
        self.body = body


class BadRequestError(APIStatusError):
    """400: the API refused the request as malformed."""


class AuthenticationError(APIStatusError):
    """401: the credentials or the token were refused."""


class PermissionDeniedError(APIStatusError):
    """403: the credentials may not do this."""


class NotFoundError(APIStatusError):
    """404: no such resource."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the stored state (e.g. a different invoice, same ID)."""


class UnprocessableEntityError(APIStatusError):
    """422: the request was well-formed but could not be processed."""


class RateLimitError(APIStatusError):
    """429: too many requests; the SDK retries these by default."""


class InternalServerError(APIStatusError):
    """A 5xx status: the API failed; the SDK retries these by default."""
