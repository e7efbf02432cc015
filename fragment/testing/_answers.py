"""What the emulator answers: a decided answer as a value, and the refusals the handlers raise."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from .. import _json
from .._errors import FieldError

__all__ = ["Answer", "ApiError", "data_answer", "error_answer", "field_errors"]

_NO_RETRY = {"x-should-retry": "false"}


@attrs.frozen
class Answer:
    """An answer decided but not yet sent: a fault may still drop it."""

    status: int
    body: bytes
    headers: Mapping[str, str] | None = None


def data_answer(status: int, data: object) -> Answer:
    """A success: ``{"data": ...}``, the envelope of every API answer."""
    return Answer(status, _json.dumps({"data": data}))


def error_answer(
    status: int, kind: str, message: str, headers: Mapping[str, str] | None = None, **extra: Any
) -> Answer:
    """An error: ``{"error": {"type": kind, "message": message, **extra}}``."""
    return Answer(status, _json.dumps({"error": {"type": kind, "message": message, **extra}}), headers)


def field_errors(errors: Iterable[FieldError]) -> list[dict[str, str]]:
    """The ``errors`` list of an error body: each problem's field path and message."""
    return [{"path": error.path, "message": error.message} for error in errors]


class ApiError(Exception):
    """A request the emulator refuses; :meth:`answer` is what the client gets.

    Raised by the store and the handlers, turned into an answer in one place (the app).
    """

    def __init__(
        self,
        status: int,
        kind: str,
        message: str,
        *,
        errors: Iterable[FieldError] = (),
        retry: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message
        self.errors = tuple(errors)
        self.retry = retry

    @classmethod
    def not_found(cls, what: str, key: str) -> ApiError:
        """404: the resource named by the path does not exist in the caller's workspace."""
        return cls(404, "not_found", f"no {what} {key!r} in this workspace")

    @classmethod
    def conflict(cls, message: str) -> ApiError:
        """409 that retrying cannot fix: the key is taken by different content."""
        return cls(409, "conflict", message, retry=False)

    @classmethod
    def stale_version(cls, what: str, key: str, sent: object, current: int) -> ApiError:
        """409 for a version-guarded write: resending the same version cannot succeed."""
        return cls(
            409,
            "version_conflict",
            f"{what} {key!r} is at version {current}, the request was made against version {sent!r}",
            retry=False,
        )

    @classmethod
    def invalid_fields(cls, errors: Sequence[FieldError]) -> ApiError:
        """400: the body or query is not what the API takes (worded as the client's ValidationError)."""
        return cls(400, "validation_error", "; ".join(map(str, errors)), errors=errors)

    @classmethod
    def invalid_reference(cls, errors: Sequence[FieldError]) -> ApiError:
        """400: fields of the body name things that do not exist in the workspace."""
        return cls(400, "invalid_reference", "; ".join(map(str, errors)), errors=errors)

    @classmethod
    def invalid_request(cls, path: str, message: str) -> ApiError:
        """400: the body is well formed but asks for something the rules do not allow."""
        error = FieldError(path, message)
        return cls(400, "invalid_request_error", str(error), errors=[error])

    def answer(self) -> Answer:
        """The answer that carries this refusal."""
        extra: dict[str, Any] = {"errors": field_errors(self.errors)} if self.errors else {}
        headers = _NO_RETRY if self.retry is False else None
        return error_answer(self.status, self.kind, self.message, headers, **extra)
