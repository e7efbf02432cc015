"""The command line's errors: a command that cannot run as given, and what to tell the user about an API error."""

from __future__ import annotations

# The batch's own rule of what stops a whole batch, so that the import stops on exactly the same.
from .._batch import _stops_batch as stops_batch
from .._errors import APIConnectionError, AuthenticationError, PermissionDeniedError

__all__ = ["UsageError", "describe", "stops_batch"]

_CREDENTIALS = "--client-id and --client-secret (or FRAGMENT_CLIENT_ID and FRAGMENT_CLIENT_SECRET)"
_URLS = "--base-url and --token-url (or FRAGMENT_BASE_URL and FRAGMENT_TOKEN_URL)"


class UsageError(Exception):
    """The command line, a file it names or the configuration is unusable; nothing was sent (exit status 2)."""


def _hint(error: BaseException) -> str | None:
    """What the user can do about ``error``, when it is not about one request but the setup."""
    if isinstance(error, AuthenticationError):
        return f"the credentials were refused: check {_CREDENTIALS}, or try --local"
    if isinstance(error, PermissionDeniedError):
        return "these credentials may not do this: check which API client --client-id names"
    if isinstance(error, APIConnectionError) and error.connect_failed:
        return f"the API cannot be reached: check {_URLS} and the network, or try --local"
    return None


def describe(error: BaseException) -> str:
    """One line for an API error: its class, its message, and a hint when there is one."""
    text = f"{type(error).__name__}: {error}"
    hint = _hint(error)
    return f"{text} ({hint})" if hint else text
