"""Request counters of the emulator, read by tests as immutable snapshots."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["Stats", "StatsRecorder"]


@attrs.frozen
class Stats:
    """What the emulator has seen since it started (or since its last reset).

    Requests are counted when they are answered, under the path template of their route
    (``"/invoices"``, ``"/invoices/{id}"``, ``"/oauth2/token"``; the GET and the POST of one
    path share its count), so ``requests[path]`` is always the sum of ``statuses[path]``. A
    request that got no answer (a dropped connection, a client that gave up) shows in
    :attr:`faults` only. The admin paths and paths the API does not have are not counted,
    so looking does not change what is seen.

    .. versionadded:: 0.1.0
    """

    requests: Mapping[str, int] = attrs.field(factory=dict)
    """Requests answered per path template."""
    statuses: Mapping[str, Mapping[int, int]] = attrs.field(factory=dict)
    """Answers sent per path template and status."""
    faults: Mapping[str, int] = attrs.field(factory=dict)
    """Faults injected per kind: ``server_error``, ``rate_limited``, ``reset_before_commit``,
    ``reset_after_commit``, ``slow`` and ``throttled`` (the :class:`RateLimit` bucket)."""
    tokens_issued: int = 0
    """Access tokens handed out by ``POST /oauth2/token``."""

    def status_count(self, path: str, status: int) -> int:
        """How many answers with ``status`` were sent on ``path``."""
        return self.statuses.get(path, {}).get(status, 0)

    def to_dict(self) -> dict[str, Any]:
        """The snapshot as JSON-ready built-ins (status codes become string keys)."""
        return {
            "requests": dict(self.requests),
            "statuses": {path: {str(code): n for code, n in codes.items()} for path, codes in self.statuses.items()},
            "faults": dict(self.faults),
            "tokens_issued": self.tokens_issued,
        }


class StatsRecorder:
    """Thread-safe counters behind :class:`Stats`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._statuses: dict[str, Counter[int]] = {}
        self._faults: Counter[str] = Counter()
        self._tokens_issued = 0

    def answer(self, path: str, status: int) -> None:
        """Count a request answered on ``path`` (a route's template) with ``status``."""
        with self._lock:
            self._requests[path] += 1
            self._statuses.setdefault(path, Counter())[status] += 1

    def fault(self, kind: str) -> None:
        """Count an injected fault."""
        with self._lock:
            self._faults[kind] += 1

    def token_issued(self) -> None:
        """Count an access token handed out."""
        with self._lock:
            self._tokens_issued += 1

    def snapshot(self) -> Stats:
        """The counts so far, as a value that later requests do not change."""
        with self._lock:
            return Stats(
                requests=dict(self._requests),
                statuses={path: dict(codes) for path, codes in self._statuses.items()},
                faults=dict(self._faults),
                tokens_issued=self._tokens_issued,
            )

    def reset(self) -> None:
        """Set every count back to zero."""
        with self._lock:
            self._requests.clear()
            self._statuses.clear()
            self._faults.clear()
            self._tokens_issued = 0
