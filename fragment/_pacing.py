"""The batch's adaptive controller: how many requests in flight, and how fast, found as it runs.

The client's request driver takes a ticket from its pacer before every attempt (retries
included) and hands the ticket back with the answer's status, so one 429 slows the whole
batch instead of only the request that saw it, and a lowered limit holds back retries as well
as new sends. The ticket is the time the attempt left, so every answer is also a round-trip
sample.

How it decides, and why this way
--------------------------------
Against a real API, a batch's speed is set by the round trip and by the service's rate
limit, which other batches may share. Three published designs were weighed:

* TCP Vegas compares the throughput a window would give at the lowest round trip seen with
  the one it gives now; the gap, times that round trip, is the number of requests queued in
  the server. It notices a saturated server before anything fails, but alone it never sees
  a rate limit: a token bucket refuses at once instead of queueing.
* Netflix's concurrency-limits (the gradient limiter) scales its limit by the ratio of a
  long-term to a short-term round trip, tolerating up to twice the former, and adds the
  square root of the limit as headroom. Made for servers shedding load; the same blind spot.
* The AWS SDKs' adaptive retry mode paces sends with a client-side token bucket that is off
  until the first throttling answer; a throttle drops the rate to 0.7 of the rate measured,
  and the rate climbs back along TCP CUBIC's curve. Made for exactly this, but 0.7 and the
  climb leave on average about 0.92 of the limit unused... of the limit used, and it ignores latency.

A rate limit is a rate, not a concurrency: at 2,000/s and 5 ms, ten requests in flight fill
the limit and eleven overshoot it by 10%, while the round trip moves with the load on both
ends, so no concurrency holds a rate to within 2%. Hence two knobs, each from the design made
for its job:

1. **The send rate**, AWS's way: no pacing until a round of answers is overloaded (more than
   5% of them 429s); then the rate drops to 0.9 of the rate the API accepted in that round
   (successes per second) and climbs back along CUBIC's curve, concave up to where it was
   cut, then convex beyond it to probe for more. 0.9 rather than 0.7 because the concave
   climb spends its time near the old maximum: its average is ``1 - (1 - 0.9) / 4`` = 0.975
   of it. The decrease is multiplicative and the climb's duration grows only with the cube
   root of the maximum, so the larger of two batches sharing one limit gives up more at
   each overload and takes longer to return: shares converge instead of staying where they
   started. CUBIC's fast convergence (a maximum lower than the previous one is lowered a
   little more) speeds that up when a batch joins others already running.
2. **The concurrency**, Vegas's and the gradient limiter's way: slow start (double each
   round) until the first trouble, then the square root of the limit more per round, but
   only while the limit is what holds the batch back (every slot was busy) and the shortest
   round trip of the round is within twice the lowest recent one. Beyond that tolerance,
   requests only queue in the server (throughput no longer grows with concurrency), so the
   limit shrinks by the ratio, at most by half. An explicit ``concurrency`` caps it.

A round lasts at least one round trip, a tenth of a second and 16 answers, and only answers
to attempts sent after the last cut count, so one overload is judged once. Stray 429s (5% or
fewer in a round) do not slow a healthy batch. Every 429 also pauses the whole batch for the
server's ``retry-after``, as the specification asks.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

from ._logging import logger
from ._protocol import MAX_RETRY_AFTER, retry_after

__all__ = ["DEFAULT_MAX_CONCURRENCY", "Pacer", "RateController"]

DEFAULT_MAX_CONCURRENCY = 512
"""The most requests in flight an adaptive batch (no ``concurrency`` given) grows to."""


class Pacer(Protocol):
    """What the client's request driver needs from a rate controller."""

    def try_acquire(self) -> float | None:
        """A ticket if an attempt may start right now, else None (then :meth:`acquire`)."""

    async def acquire(self) -> float:
        """Wait until an attempt may start; return its ticket."""

    def release(self, ticket: float, status: int, headers: Mapping[str, str] | None) -> None:
        """The attempt ended: with an answer of ``status``, or with none (``status`` 0)."""


class RateController:
    """A batch's concurrency limit, send rate and pause, shared by all of its attempts.

    :param concurrency: the most requests in flight; None for :data:`DEFAULT_MAX_CONCURRENCY`.
    :param clock: the monotonic clock of the round trips and the pacing.
    :param sleep: how to wait for a pause or a turn to send.
    """

    def __init__(
        self,
        concurrency: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.max_limit = DEFAULT_MAX_CONCURRENCY if concurrency is None else concurrency
        """The most requests in flight, ever."""
        self.limit = min(self.max_limit, _SLOW_START_LIMIT)
        """The most requests in flight now."""
        self.rate: float | None = None
        """Sends per second once the API has been overloaded; None while sends are not paced."""
        self._clock = clock
        self._sleep = sleep
        self._slow_start = True
        self._active = 0  # attempts sent and not answered
        self._queued = 0  # attempts given a slot, waiting for their turn to send
        self._slot_freed: asyncio.Event | None = None
        self._resume_at = 0.0
        self._next_send_at = 0.0
        # The rate's cubic climb: the rate it was cut from, when, and how long back to it.
        self._cut_at = -math.inf
        self._peak_rate = 0.0
        self._climb_time = 0.0
        # Round trips: the lowest of this period and of the one before (a path may change).
        self._min_rtt = math.inf
        self._min_rtt_before = math.inf
        self._min_rtt_since = clock()
        self._srtt = 0.0
        self._round = _Round()
        self._rounds = 0
        self._accepted = 0.0  # successes per second in the last round
        self._before = (0, 0)  # answers and 429s of the last round, unless a cut followed it
        # The share of 429s in the rounds right after a cut: the batch then sends below what
        # the API accepted, so those 429s are not caused by its speed (injected faults, a
        # neighbour's burst), and an overload is judged above them.
        self._background = 0.0
        self._after_cut = _Tally()

    def try_acquire(self) -> float | None:
        """The fast path: a ticket when nothing holds the attempt back, without awaiting."""
        now = self._clock()
        if self._active + self._queued >= self.limit or self._resume_at > now:
            return None
        if self.rate is not None:
            if self._next_send_at > now:
                return None
            self._next_send_at = now + 1.0 / self.rate
        return self._sent(now)

    async def acquire(self) -> float:
        """Wait for the pause to end and a free slot, then for this attempt's turn."""
        while True:
            await self._pause()
            if self._active + self._queued < self.limit:
                break
            if self._slot_freed is None:
                self._slot_freed = asyncio.Event()
            self._slot_freed.clear()
            await self._slot_freed.wait()
        now = self._clock()
        if self.rate is not None:
            turn = max(now, self._next_send_at)
            self._next_send_at = turn + 1.0 / self.rate
            if turn > now:
                self._queued += 1
                try:
                    await self._sleep(turn - now)
                    await self._pause()  # a 429 that came meanwhile holds this turn back too
                finally:
                    self._queued -= 1
                now = self._clock()
        return self._sent(now)

    def _sent(self, now: float) -> float:
        self._active += 1
        if self._active > self._round.busiest:
            self._round.busiest = self._active
        return now

    async def _pause(self) -> None:
        """Wait out the pause a 429 asked for, however often another 429 extends it meanwhile."""
        while (pause := (resume_at := self._resume_at) - self._clock()) > 0:
            await self._sleep(pause)
            # Judged by the resume time, not the clock: a sleep made instant for tests
            # returns at once, and must not spin until the real pause is over.
            if self._resume_at == resume_at:
                return

    def release(self, ticket: float, status: int, headers: Mapping[str, str] | None) -> None:
        """Free the attempt's slot and learn from its answer."""
        self._active -= 1
        if self._slot_freed is not None:
            self._slot_freed.set()
        now = self._clock()
        if status == 429:
            asked = retry_after(headers) if headers is not None else None
            if asked is not None and 0 < asked <= MAX_RETRY_AFTER:
                self._resume_at = max(self._resume_at, now + asked)
        if ticket < self._cut_at:
            return  # sent before the last cut, which already counted its kind
        if status != 429 and not 200 <= status < 300:
            return  # no answer, or an error that says nothing about load
        current = self._round
        if current.started == math.inf:
            current.started = now  # the first answer after a cut opens the next round
            return
        if status == 429:
            current.throttled += 1
        else:
            current.succeeded += 1
        rtt = now - ticket
        current.rtt_sum += rtt
        if rtt < current.min_rtt:
            current.min_rtt = rtt
        self._end_round_if_due(now)

    def _end_round_if_due(self, now: float) -> None:
        done = self._round
        answers = done.succeeded + done.throttled
        elapsed = now - done.started
        if elapsed < self._srtt:
            return
        # An overload is acted on after one round trip; anything else waits for a fuller round.
        overloaded = self._overloaded(done)
        if not overloaded and (
            elapsed < _MIN_ROUND_SECONDS or (answers < _MIN_ROUND_ANSWERS and elapsed < _MAX_ROUND_SECONDS)
        ):
            return
        self._round = _Round(now, busiest=self._active)
        self._rounds += 1
        self._srtt = done.rtt_sum / answers
        self._note_min_rtt(done.min_rtt, now)
        accepted = done.succeeded / elapsed
        before, self._accepted = self._accepted, accepted
        if done.throttled:
            self._slow_start = False  # TCP's rule: slow start ends at the first sign of a limit
        self._before = (answers, done.throttled)
        if overloaded:
            # The 429s' pauses make an overloaded round accept less than the API would; the
            # round before it, sent just below the limit, tells the limit better.
            self._cut_rate(max(accepted, before), answers / elapsed, now)
        else:
            self._learn_background(done)
            if self.rate is not None:
                self._climb_rate(accepted, now)
            self._steer_limit(done)

    def _overloaded(self, done: _Round) -> bool:
        """Whether the round's share of 429s (or that of the round and the one before it,
        when few answers make each round see at most one) is well above the share of
        429s the batch cannot avoid."""
        if self._rounds == 0:
            # The first round answers sends made all at once: its 429s measure the depth
            # of the API's bucket, not its rate.
            return False
        threshold = _OVERLOADED + self._background
        if self._after_cut.rounds_left:
            # Just after a cut, only a heavy overload cuts again: a mild one is background.
            threshold = max(threshold, 2 * _OVERLOADED)
        answers, throttled = done.succeeded + done.throttled, done.throttled
        if _too_many(throttled, answers, threshold):
            return True
        before_answers, before_throttled = self._before
        return _too_many(throttled + before_throttled, answers + before_answers, threshold)

    def _learn_background(self, done: _Round) -> None:
        tally = self._after_cut
        if tally.rounds_left == 0:
            return
        tally.rounds_left -= 1
        tally.answers += done.succeeded + done.throttled
        tally.throttled += done.throttled
        if tally.rounds_left == 0:
            self._background = min(tally.throttled / tally.answers, _MAX_BACKGROUND)

    def _note_min_rtt(self, rtt: float, now: float) -> None:
        if now - self._min_rtt_since > _MIN_RTT_PERIOD:
            self._min_rtt_before, self._min_rtt, self._min_rtt_since = self._min_rtt, math.inf, now
        self._min_rtt = min(self._min_rtt, rtt)

    def _cut_rate(self, accepted: float, sent: float, now: float) -> None:
        """Overloaded: send at a little less than the API accepted, and plan the climb back."""
        # Never below half the rate sent (TCP's own decrease): a batch that finds the
        # limit taken by others keeps a foothold from which to claim its share.
        accepted = max(accepted, sent / 2 / _BETA, _MIN_RATE)
        # CUBIC's fast convergence: a batch whose share shrinks lets go of a little more.
        self._peak_rate = accepted if accepted >= self._peak_rate else accepted * (1 + _BETA) / 2
        self.rate = _BETA * accepted
        self._climb_time = math.cbrt(max(self._peak_rate - self.rate, 0.0) / self._cubic_scale())
        self._cut_at = now
        self._round.started = math.inf
        self._after_cut = _Tally(rounds_left=_BACKGROUND_ROUNDS)
        self._before = (0, 0)
        self._slow_start = False
        logger.info("rate limited: %.1f requests/s, %d in flight at most", self.rate, self.limit)

    def _climb_rate(self, accepted: float, now: float) -> None:
        cubic = self._peak_rate + self._cubic_scale() * (now - self._cut_at - self._climb_time) ** 3
        # Never far ahead of what the API accepted (AWS's rule, tighter): a batch held back
        # by its input or its concurrency must not bank a rate it would then burst at.
        self.rate = max(_MIN_RATE, min(cubic, _AHEAD * accepted))

    def _cubic_scale(self) -> float:
        """CUBIC's C for this batch: growing with the square root of its peak rate.

        A constant C (0.4, as TCP and the AWS SDKs have it) takes 5 s back to 500/s and
        8 s to 2,000/s, and far longer to find a limit underestimated at a cut. With the
        square root, the climb back takes 2 to 3 s from 50/s to 2,000/s, while a larger
        batch still grows slower relative to its rate than a smaller one (any power below
        one keeps that), so shares still converge.
        """
        return _CUBIC_C * math.sqrt(max(self._peak_rate, _MIN_RATE))

    def _steer_limit(self, done: _Round) -> None:
        lowest = min(self._min_rtt, self._min_rtt_before)
        if done.min_rtt > _RTT_TOLERANCE * lowest:
            # Requests queue in the server: fewer in flight would be answered as fast.
            self._slow_start = False
            self.limit = max(1, int(self.limit * max(0.5, _RTT_TOLERANCE * lowest / done.min_rtt)))
        elif done.busiest >= self.limit and self.limit < self.max_limit:
            step = self.limit if self._slow_start else max(1, math.isqrt(self.limit))
            self.limit = min(self.limit + step, self.max_limit)


def _too_many(throttled: int, answers: int, share: float) -> bool:
    """More than ``share`` of the answers were 429s, and more than one: one alone is noise."""
    return throttled >= 2 and throttled > share * answers


class _Tally:
    """The answers of the rounds that follow a cut."""

    __slots__ = ("answers", "rounds_left", "throttled")

    def __init__(self, *, rounds_left: int = 0) -> None:
        self.rounds_left = rounds_left
        self.answers = 0
        self.throttled = 0


class _Round:
    """The answers of one round: at least a round trip's worth, judged together."""

    __slots__ = ("busiest", "min_rtt", "rtt_sum", "started", "succeeded", "throttled")

    def __init__(self, started: float = math.inf, *, busiest: int = 0) -> None:
        self.started = started
        """When the round began; infinite until its first answer, after a cut."""
        self.succeeded = 0
        self.throttled = 0
        self.rtt_sum = 0.0
        self.min_rtt = math.inf
        self.busiest = busiest



_SLOW_START_LIMIT = 8
_MIN_ROUND_ANSWERS = 16  # fewer make the share of 429s too noisy to act on
_MIN_ROUND_SECONDS = 0.1  # on a fast link, a round trip holds too few answers to judge
_MAX_ROUND_SECONDS = 1.0  # unless a round trip is longer: a slow batch is judged on fewer answers
_OVERLOADED = 0.05  # share of 429s in a round above which the batch is too fast
_BACKGROUND_ROUNDS = 2  # rounds after a cut that measure the 429s the batch cannot avoid
_MAX_BACKGROUND = 0.05  # more than this is never taken for background
_BETA = 0.9  # the rate after an overload, as a share of the rate the API accepted
_CUBIC_C = 0.14  # the climb's scale: C = 0.14 √peak requests/s per s³ (see _cubic_scale)
_AHEAD = 1.1  # the most the rate may climb above the rate accepted in the last round
_MIN_RATE = 0.5  # requests/s: the floor of a cut, so that a batch always gets through
_RTT_TOLERANCE = 2.0  # the gradient limiter's: round trips up to twice the lowest are not queueing
_MIN_RTT_PERIOD = 10.0  # seconds: the lowest round trip is forgotten after one to two of these
