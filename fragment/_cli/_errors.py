"""The command line's own error: a command that cannot run as given (exit status 2)."""

from __future__ import annotations

__all__ = ["UsageError"]


class UsageError(Exception):
    """The command line, a file it names or the configuration is unusable; nothing was sent."""
