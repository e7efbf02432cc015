"""Deciding what a request meets: the seeded fault draws, the rate limit and the latency."""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from enum import StrEnum

import attrs

from ._config import Faults, RateLimit

__all__ = ["Fault", "FaultDraw", "FaultInjector", "Latency", "TokenBucket", "WorkspaceBuckets", "retry_after_ms"]


class Fault(StrEnum):
    """A kind of injected failure; the values are the keys of ``Stats.faults``."""

    SERVER_ERROR = "server_error"
    RATE_LIMITED = "rate_limited"
    RESET_BEFORE_COMMIT = "reset_before_commit"
    RESET_AFTER_COMMIT = "reset_after_commit"
    SLOW = "slow"
    THROTTLED = "throttled"
    """Not drawn: the token bucket of a :class:`RateLimit` was empty."""


@attrs.frozen
class FaultDraw:
    """What one request drew: at most one fault before the store, any of those after it."""

    before_commit: Fault | None = None
    """``SERVER_ERROR``, ``RATE_LIMITED`` or ``RESET_BEFORE_COMMIT``: the request is not stored."""
    reset_after_commit: bool = False
    slow: bool = False
    server_status: int = 500
    """The status of a ``SERVER_ERROR``: 500 and 503 alternate."""


class FaultInjector:
    """Draws the faults of each authenticated API request from ``random.Random(faults.seed)``.

    Every request draws all five probabilities in a fixed order, whatever it ends up doing,
    so the sequence of faults depends only on the seed and the order of requests. Thread
    safe: the emulator may be reconfigured or reset from the test's thread.
    """

    def __init__(self, faults: Faults) -> None:
        self._lock = threading.Lock()
        self._faults = faults
        self._rng = random.Random(faults.seed)
        self._server_errors = 0

    @property
    def faults(self) -> Faults:
        """The current settings."""
        return self._faults

    def configure(self, faults: Faults) -> None:
        """Use new settings and restart the sequence from their seed."""
        with self._lock:
            self._faults = faults
            self._rng = random.Random(faults.seed)
            self._server_errors = 0

    def reset(self) -> None:
        """Restart the sequence from the seed, as if the emulator had just started."""
        self.configure(self._faults)

    def draw(self) -> FaultDraw:
        """Draw the faults of one request."""
        with self._lock:
            faults = self._faults
            if not faults.any:
                return FaultDraw()
            rng = self._rng
            hits = [
                rng.random() < probability
                for probability in (
                    faults.server_error,
                    faults.rate_limited,
                    faults.reset_before_commit,
                    faults.reset_after_commit,
                    faults.slow,
                )
            ]
            server_error, rate_limited, reset_before, reset_after, slow = hits
            before: Fault | None = None
            status = 500
            if server_error:
                before = Fault.SERVER_ERROR
                status = 503 if self._server_errors % 2 else 500
                self._server_errors += 1
            elif rate_limited:
                before = Fault.RATE_LIMITED
            elif reset_before:
                before = Fault.RESET_BEFORE_COMMIT
            return FaultDraw(before, reset_after_commit=reset_after, slow=slow, server_status=status)


class TokenBucket:
    """A thread-safe token bucket: :meth:`take` returns 0 when a request may pass.

    Otherwise it returns the seconds until the next token, for the ``retry-after-ms`` header.
    """

    def __init__(self, limit: RateLimit, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = float(limit.burst)
        self._updated = clock()

    def take(self) -> float:
        """Take a token if there is one; else return how long until there will be."""
        with self._lock:
            now = self._clock()
            rate, burst = self._limit.rate, self._limit.burst
            self._tokens = min(float(burst), self._tokens + (now - self._updated) * rate)
            self._updated = now
            # A hair of tolerance: refills summed in floating point may fall short of 1.0 by 1e-15.
            if self._tokens >= 1.0 - 1e-9:
                self._tokens = max(0.0, self._tokens - 1.0)
                return 0.0
            return (1.0 - self._tokens) / rate

    def reset(self) -> None:
        """Fill the bucket."""
        with self._lock:
            self._tokens = float(self._limit.burst)
            self._updated = self._clock()


class WorkspaceBuckets:
    """One :class:`TokenBucket` per workspace, as a real API limits each workspace on its own.

    Clients of one workspace (several processes importing into it) share its bucket;
    another workspace's traffic never takes from it.
    """

    def __init__(self, limit: RateLimit, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, TokenBucket] = {}

    def take(self, workspace_id: str) -> float:
        """Take a token from the workspace's bucket: 0 when the request may pass, else the wait."""
        bucket = self._buckets.get(workspace_id)
        if bucket is None:
            with self._lock:
                bucket = self._buckets.setdefault(workspace_id, TokenBucket(self._limit, clock=self._clock))
        return bucket.take()

    def reset(self) -> None:
        """Fill every bucket."""
        with self._lock:
            self._buckets.clear()


class Latency:
    """How long each API answer takes: ``seconds``, give or take up to ``jitter``, drawn from a seeded RNG.

    Thread safe; the draws depend only on the seed and the order of requests.
    """

    def __init__(self, seconds: float, jitter: float = 0.0, *, seed: int | None = 0) -> None:
        self.seconds = seconds
        self.jitter = jitter
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def draw(self) -> float:
        """The delay of one answer, never below zero."""
        if not self.jitter:
            return self.seconds
        with self._lock:
            offset = self._rng.uniform(-self.jitter, self.jitter)
        return max(0.0, self.seconds + offset)


def retry_after_ms(seconds: float) -> str:
    """Format a wait for the ``retry-after-ms`` header, rounded up so the client never comes early."""
    return str(max(1, math.ceil(seconds * 1000)))
