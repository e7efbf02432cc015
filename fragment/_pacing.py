"""The batch's rate controller, passed explicitly to the client's request driver.

The driver takes a ticket from its pacer before every attempt (retries included) and hands
the ticket back with the answer's status, so one 429 slows the whole batch instead of only
the request that saw it, and a shrunken limit holds back retries as well as new sends.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

from ._logging import logger
from ._protocol import MAX_RETRY_AFTER, retry_after

__all__ = ["Pacer", "RateController"]


class Pacer(Protocol):
    """What the client's request driver needs from a rate controller."""

    def try_acquire(self) -> int | None:
        """A ticket if an attempt may start right now, else None (then :meth:`acquire`)."""

    async def acquire(self) -> int:
        """Wait until an attempt may start; return its ticket."""

    def release(self, ticket: int, status: int, headers: Mapping[str, str] | None) -> None:
        """The attempt ended: with an answer of ``status``, or with none (``status`` 0)."""


class RateController:
    """A batch's concurrency limit, pause and send spacing, shared by all of its attempts.

    Every attempt (a retry too) takes a ticket, so a lowered limit holds back retries as
    well as new sends. Every 429 pauses the whole batch for the server's ``retry-after``.
    The limits move once per window of about ``limit`` answers (one round trip of the
    batch), judged by the share of those answers that were 429s; answers to attempts sent
    before the last move are not judged again:

    * more than 20%: the server is overloaded. Halve the concurrency; once it is down to one
      request in flight, space the sends too, a little below the rate the server has been
      accepting (when answers are fast even one request at a time can outrun it);
    * at most 5%: recover a step, first the spacing (10% shorter each time until it is
      gone), then a quarter more requests in flight (at least one), up to ``concurrency``.
      Until the first overload the batch is in slow start: it opens with 8 requests in
      flight and doubles instead;
    * in between: hold, so that stray 429s do not throttle a healthy batch; except while
      spacing sends, where the rate limit is known and more than 5% is already too many.
    """

    def __init__(
        self,
        concurrency: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.max_limit = concurrency
        # Slow start: begin low and double on each clean window until the first overload,
        # so that a batch meeting a rate limit does not open with a burst of 429s.
        self.limit = min(concurrency, _SLOW_START_LIMIT)
        self._slow_start = True
        self.interval = 0.0
        self._clock = clock
        self._sleep = sleep
        self._active = 0
        self._slot_freed: asyncio.Event | None = None
        self._resume_at = 0.0
        self._next_send_at = 0.0
        self._epoch = 0
        self._window_started = clock()
        self._window_successes = 0
        self._window_429s = 0

    def try_acquire(self) -> int | None:
        """The fast path: a ticket when nothing holds the attempt back, without awaiting."""
        if self._active < self.limit and not self.interval and self._resume_at <= self._clock():
            self._active += 1
            return self._epoch
        return None

    async def acquire(self) -> int:
        """Wait for the pause to end and a free slot, then for this attempt's turn."""
        while True:
            await self._pause()
            if self._active < self.limit:
                break
            if self._slot_freed is None:
                self._slot_freed = asyncio.Event()
            self._slot_freed.clear()
            await self._slot_freed.wait()
        self._active += 1
        now = self._clock()
        turn = max(now, self._next_send_at)
        self._next_send_at = turn + self.interval
        if turn > now:
            await self._sleep(turn - now)
        return self._epoch

    async def _pause(self) -> None:
        """Wait out the pause a 429 asked for, however often another 429 extends it meanwhile."""
        while (pause := (resume_at := self._resume_at) - self._clock()) > 0:
            await self._sleep(pause)
            # Judged by the resume time, not the clock: a sleep made instant for tests
            # returns at once, and must not spin until the real pause is over.
            if self._resume_at == resume_at:
                return

    def release(self, ticket: int, status: int, headers: Mapping[str, str] | None) -> None:
        """Free the attempt's slot and learn from its answer."""
        self._active -= 1
        if self._slot_freed is not None:
            self._slot_freed.set()
        if status == 429:
            asked = retry_after(headers) if headers is not None else None
            if asked is not None and 0 < asked <= MAX_RETRY_AFTER:
                self._resume_at = max(self._resume_at, self._clock() + asked)
        if ticket != self._epoch:
            return  # sent before the last move of the limits, which already counted its kind
        if status == 429:
            self._window_429s += 1
        elif 200 <= status < 300:
            self._window_successes += 1
        else:
            return
        self._end_window_if_full()

    def _end_window_if_full(self) -> None:
        answers = self._window_successes + self._window_429s
        if answers < max(self.limit, _MIN_WINDOW):
            return
        now = self._clock()
        share = self._window_429s / answers
        # Once spacing sends, the batch is probing a known rate limit: any 429s beyond a
        # healthy share mean the probe went too far.
        if share > (_HEALTHY if self.interval else _OVERLOADED):
            self._slow_down(accepted_interval=(now - self._window_started) / max(self._window_successes, 1))
            self._epoch += 1
        elif share <= _HEALTHY:
            self._speed_up()
        self._window_started = now
        self._window_successes = self._window_429s = 0

    def _slow_down(self, accepted_interval: float) -> None:
        self._slow_start = False
        if self.limit > 1:
            self.limit //= 2
        else:
            # The first spacing comes from the accepted pace; later ones grow from it
            # rather than from a window whose pace slow answers may have stretched.
            spacing = self.interval or accepted_interval
            self.interval = min(max(spacing * _BACKOFF, _MIN_INTERVAL), _MAX_INTERVAL)
        logger.info("rate limited: concurrency %d, %.1f ms between sends", self.limit, self.interval * 1000)

    def _speed_up(self) -> None:
        if self.interval:
            self.interval = self.interval * _SPEEDUP if self.interval > _MIN_INTERVAL else 0.0
        elif self.limit < self.max_limit:
            step = self.limit if self._slow_start else max(1, self.limit // 4)
            self.limit = min(self.limit + step, self.max_limit)


_SLOW_START_LIMIT = 8
_MIN_WINDOW = 20  # answers: fewer make the share of 429s too noisy to act on
# Shares of 429s in a window: above OVERLOADED the batch is too fast; at most HEALTHY it may
# speed up; between them it holds, so that stray 429s do not throttle a healthy batch.
_OVERLOADED = 0.2
_HEALTHY = 0.05
# Below the accepted pace, so that the server's bucket refills rather than staying empty and
# refusing every send that arrives a hair early.
_BACKOFF = 1.25
_SPEEDUP = 0.9
_MIN_INTERVAL = 0.0002
_MAX_INTERVAL = 1.0
