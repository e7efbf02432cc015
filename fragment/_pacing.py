"""The batch's adaptive controller: how many requests in flight, and how fast, found as it runs.

The client's request driver takes a ticket from its pacer before every attempt (retries
included) and hands the ticket back with the answer's status, so one 429 slows the whole
batch instead of only the request that saw it, and a lowered limit holds back retries as well
as new sends. The ticket is the time the attempt left: every answer is a round-trip sample.

Why this design
---------------
Against a real API a batch's speed is set by the round trip and by the service's rate limit,
which other batches may share. Three published controllers were weighed:

* TCP Vegas compares the throughput a window would give at the lowest round trip seen with
  the one it gives now; the gap, times that round trip, is how many requests queue in the
  server. It sees a saturated server before anything fails, but never a rate limit: a token
  bucket refuses at once instead of queueing.
* Netflix's concurrency-limits (the gradient limiter) scales its limit by the ratio of a
  long-term to a short-term round trip, tolerating twice the former, plus the square root
  of the limit as headroom. Made for servers shedding load; the same blind spot.
* The AWS SDKs' adaptive retry mode paces sends with a client-side token bucket, off until
  the first throttling answer; a throttle drops the rate to 0.7 of the rate measured, and
  it climbs back along TCP CUBIC's curve. Made for exactly this; but 0.7 leaves about 8% of
  the limit unused on average, and it ignores latency.

A rate limit is a rate, not a concurrency: at 2,000/s and 5 ms, ten requests in flight fill
the limit and eleven overshoot it by 10%, while the round trip moves with the load on both
ends; no concurrency holds a rate to within 2%. Hence two knobs, each from the design made
for its job:

1. **The send rate** (AWS's way). Not paced until a round of answers is overloaded (more than
   5% of its attempts, and at least two, answered 429, in the round or in it and the one
   before); then paced at 0.9 of the rate the API accepted, from which it climbs back along
   CUBIC's curve: concave up to where it was cut, convex beyond to probe for more. 0.9 rather
   than 0.7 because the concave climb averages ``1 - (1 - 0.9) / 4`` = 0.975 of its top.
   The decrease is multiplicative while the climb's pace grows slower than the rate (with
   the square root of the top, at least 200/s: see ``_cubic_scale``), so the larger of
   batches sharing one limit gives up more at each overload and regains it slower: shares
   converge instead of staying where they began. CUBIC's fast convergence (a top lower than
   the last lets go of a little more) helps a batch that joins others. The climb stands
   still while the rate holds nothing back (TCP's window validation), and never runs more
   than a tenth ahead of what the last round sent, so an overshoot grows by visible steps.
2. **The concurrency** (Vegas's and the gradient limiter's way). Slow start (double each
   round) until the first 429, then the square root of the limit more per round, but only
   while every worker was busy and the rate was not what held them back. When the shortest
   round trip of a round is over twice the lowest recent one, and over it by 10 ms (on a
   fast link the client's own event loop moves round trips by milliseconds), answers are
   queueing, and the limit stops growing. If the thread running the batch's event loop
   was on the CPU for less than three quarters of the round, they queue in the server: the
   limit shrinks by that ratio, at most by half. Otherwise the queue is the client's own
   (answers wait for a busy loop to read them); shrinking would not lighten the server,
   only make each turn of the loop read fewer answers (on a loopback benchmark, cuts from
   64 down to about 30 cost a tenth of the throughput), so the limit holds. An explicit
   ``concurrency`` caps it; the default cap is :data:`DEFAULT_MAX_CONCURRENCY`.

A round lasts at least one round trip and 16 attempts (or a second), and a tenth of a
second unless it is overloaded; only answers to attempts sent since the last cut count, so
one overload is judged once. The first round is not judged for 429s (it answers sends made
all at once: its 429s measure the depth of the API's bucket, not its rate), and the first
round after a cut is held to twice the threshold (the API's bucket is still empty). A cut never
more than halves the rate sent, so a batch that finds the limit taken keeps a foothold.
Every 429 also pauses the whole batch for the server's ``retry-after``.

429s that do not depend on speed (a gateway's stray refusals, the emulator's injected
``rate_limited`` fault) slow a batch too, as the specification asks, and as random loss
slows TCP: a batch meeting 4% of them, with 4% of each other fault, ran a loopback test of
2,000 invoices ten times slower than the controller this one replaced. Learning such
429s as a background (the share left after a cut) and undoing cuts that did not make 429s
rarer fixed that, but let one batch of several sharing a limit take another's share in
the simulation, so it was left out: fairness is what the specification asks for.
Measured behaviour: ``tests/test_pacing.py`` (a simulated API on virtual time) and
``nox -s bench`` (the capacity table of :doc:`/performance`).
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
    :param thread_clock: the CPU time of the thread whose event loop runs the batch, which
        tells a round trip stretched by that loop's own backlog from one stretched by the server's.
    """

    def __init__(
        self,
        concurrency: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        thread_clock: Callable[[], float] = time.thread_time,
    ) -> None:
        self.max_limit = DEFAULT_MAX_CONCURRENCY if concurrency is None else concurrency
        """The most requests in flight, ever."""
        self.limit = min(self.max_limit, _SLOW_START_LIMIT)
        """The most requests in flight now (and the number of a batch's workers)."""
        self.rate: float | None = None
        """Sends per second once the API has been overloaded; None while sends are not paced."""
        self._clock = clock
        self._sleep = sleep
        self._thread_clock = thread_clock
        self._slow_start = True
        self._active = 0  # attempts sent and not answered
        self._queued = 0  # attempts given a slot, waiting for their turn to send
        self._slot_freed: asyncio.Event | None = None
        self._resume_at = 0.0
        self._next_send_at = 0.0
        # The rate's cubic climb: the rate it was cut from, when, and how long back to it.
        self._cut_at = -math.inf
        self._climb_from = 0.0  # the cut, plus the rounds in which the rate held nothing back
        self._peak_rate = 0.0
        self._climb_time = 0.0
        # Round trips: the lowest of this period and of the one before (a path may change).
        self._min_rtt = math.inf
        self._min_rtt_before = math.inf
        self._min_rtt_since = clock()
        self._srtt = 0.0
        self._round = _Round()
        self._rounds = 0
        self._before = (0, 0)  # attempts and 429s of the last round, unless a cut followed it
        self._accepted_before = 0.0  # attempts per second not refused, in the last round
        self._overloaded_for: tuple[int, float] | None = None  # attempts accepted, seconds
        self._rounds_since_cut = 0

    def busy(self, items: int) -> None:
        """The batch has ``items`` items in progress (sending, or waiting to retry one).

        Retries wait without a ticket, so only the batch can tell that every one of its
        workers is busy: then more of them would send more.
        """
        if items > self._round.busiest:
            self._round.busiest = items

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
                self._round.paced = True
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
        current = self._round
        if current.started == math.inf:
            # The first answer after a cut opens the next round.
            current.started, current.cpu_started = now, self._thread_clock()
            return
        current.attempts += 1
        if status == 429:
            current.throttled += 1
        elif not 200 <= status < 300:
            return  # no answer, or an error: its round trip says nothing about load
        rtt = now - ticket
        current.timed += 1
        current.rtt_sum += rtt
        if rtt < current.min_rtt:
            current.min_rtt = rtt
        self._end_round_if_due(now)

    def _end_round_if_due(self, now: float) -> None:
        done = self._round
        elapsed = now - done.started
        if elapsed < self._srtt:
            return
        if done.attempts < _MIN_ROUND_ANSWERS and elapsed < _MAX_ROUND_SECONDS:
            return
        # An overload is acted on at once; anything else waits for a tenth of a second.
        overloaded = self._overloaded(done)
        if not overloaded and elapsed < _MIN_ROUND_SECONDS:
            return
        cpu_now = self._thread_clock()
        self._round = _Round(now, busiest=self._active, cpu_started=cpu_now)
        self._rounds += 1
        if done.timed:
            self._srtt = done.rtt_sum / done.timed
        self._note_min_rtt(done.min_rtt, now)
        sent = done.attempts / elapsed
        accepted_before, self._accepted_before = self._accepted_before, (done.attempts - done.throttled) / elapsed
        self._before = (done.attempts, done.throttled)
        if done.throttled:
            self._slow_start = False  # TCP's rule: slow start ends at the first sign of a limit
        if overloaded:
            self._cut_rate(self._accepted_rate(done, elapsed, accepted_before), sent, now)
            return
        self._overloaded_for = None
        self._rounds_since_cut += 1
        # Held back by the rate: attempts waited for their turn, and the batch sent close to
        # the rate (turns also line up when workers come back from retries all at once).
        rate_bound = self.rate is not None and done.paced and sent >= _RATE_BOUND * self.rate
        if self.rate is not None:
            self._climb_rate(rate_bound, sent, elapsed, now)
        loop_saturated = cpu_now - done.cpu_started >= _LOOP_SATURATED * elapsed
        self._steer_limit(done, rate_bound, loop_saturated)

    def _overloaded(self, done: _Round) -> bool:
        """Whether more than 5% of the round's attempts were 429s: of the round alone, or of
        the round and the one before it (at a low rate a round sees one 429 at a time)."""
        if self._rounds == 0:
            # The first round answers sends made all at once: its 429s measure the depth
            # of the API's bucket, not its rate.
            return False
        threshold = _OVERLOADED
        if self._rounds_since_cut == 0 and self.rate is not None:
            # The first round after a cut still meets the API's bucket emptied by the
            # overload: only a heavy overload cuts again.
            threshold += _OVERLOADED
        if _too_many(done.throttled, done.attempts, threshold):
            return True
        attempts_before, throttled_before = self._before
        return _too_many(done.throttled + throttled_before, done.attempts + attempts_before, threshold)

    def _note_min_rtt(self, rtt: float, now: float) -> None:
        if now - self._min_rtt_since > _MIN_RTT_PERIOD:
            self._min_rtt_before, self._min_rtt, self._min_rtt_since = self._min_rtt, math.inf, now
        self._min_rtt = min(self._min_rtt, rtt)

    def _accepted_rate(self, done: _Round, elapsed: float, accepted_before: float) -> float:
        """What the API accepts, judged from an overloaded round and what came before it."""
        accepted = done.attempts - done.throttled
        if self._overloaded_for is None:
            # The first overloaded round: its 429s' pauses make it accept less than the API
            # would, so the round before it, sent just below the limit, may tell better.
            self._overloaded_for = (accepted, elapsed)
            return max(accepted / elapsed, accepted_before)
        # Overloaded round after round (a slow start's overshoot, newcomers): the API
        # accepts its rate exactly once its bucket is empty, so count over all of them
        # rather than trust one short round's few answers.
        accepted_so_far, seconds = self._overloaded_for
        self._overloaded_for = (accepted_so_far + accepted, seconds + elapsed)
        return (accepted_so_far + accepted) / (seconds + elapsed)

    def _cut_rate(self, accepted: float, sent: float, now: float) -> None:
        """Overloaded: send at a little less than the API accepted, and plan the climb back."""
        # Never below half the rate sent (TCP's own decrease): a batch that finds the
        # limit taken by others keeps a foothold from which to claim its share.
        accepted = max(accepted, sent / 2 / _BETA, _MIN_RATE)
        # CUBIC's fast convergence: a batch whose share shrinks lets go of a little more
        # (not within one overload, whose successive rounds only measure it better).
        cascade = self._rounds_since_cut == 0 and self.rate is not None
        shrinking = accepted < self._peak_rate and not cascade
        self._peak_rate = accepted * (1 + _BETA) / 2 if shrinking else accepted
        self.rate = _BETA * accepted
        self._climb_time = math.cbrt(max(self._peak_rate - self.rate, 0.0) / self._cubic_scale())
        self._cut_at = self._climb_from = now
        self._round.started = math.inf
        self._rounds_since_cut = 0
        self._before = (0, 0)
        self._slow_start = False
        logger.info("rate limited: %.1f requests/s, %d in flight at most", self.rate, self.limit)

    def _climb_rate(self, rate_bound: bool, sent: float, elapsed: float, now: float) -> None:
        if not rate_bound:
            # The rate held nothing back: a batch slowed by its input, its retries or its
            # concurrency must not bank a rate it would then burst at (TCP's window
            # validation), so the climb stands still for the round.
            self._climb_from += elapsed
            return
        cubic = self._peak_rate + self._cubic_scale() * (now - self._climb_from - self._climb_time) ** 3
        ahead = _AHEAD * sent
        if cubic > ahead:
            # At most a tenth above what the round sent, so that an overshoot grows by steps
            # the next round can see; and the climb waits for the batch to catch up.
            self._climb_from += elapsed
            cubic = ahead
        self.rate = max(_MIN_RATE, cubic)

    def _cubic_scale(self) -> float:
        """CUBIC's C for this batch: growing with the square root of its peak rate.

        A constant C (0.4, as TCP and the AWS SDKs have it) takes 5 s back to 500/s and
        8 s to 2,000/s, and far longer to find a limit underestimated at a cut. With the
        square root, the climb back takes 2 to 3 s from 200/s to 2,000/s, while a larger
        batch still grows slower relative to its rate than a smaller one (any power below
        one keeps that), so shares still converge. Below 200/s the scale stays that of
        200/s, so that a batch cut low (by a burst of 429s, or stray ones) is not slow to
        find its way back.
        """
        return _CUBIC_C * math.sqrt(max(self._peak_rate, _CUBIC_FLOOR))

    def _steer_limit(self, done: _Round, rate_bound: bool, loop_saturated: bool) -> None:
        lowest = min(self._min_rtt, self._min_rtt_before)
        if done.min_rtt > _RTT_TOLERANCE * lowest and done.min_rtt > lowest + _RTT_SLACK:
            # Answers queue somewhere: more in flight would only wait longer, so the limit
            # stops growing. With the loop that runs the batch busy all round, the queue is
            # the client's own (answers wait for the loop to read them), and fewer in flight
            # would only read fewer answers per turn of the loop: it keeps its limit.
            if not loop_saturated:
                # Requests queue in the server: fewer in flight would be answered as fast.
                self._slow_start = False
                self.limit = max(1, int(self.limit * max(0.5, _RTT_TOLERANCE * lowest / done.min_rtt)))
        elif done.busiest >= self.limit and not rate_bound and self.limit < self.max_limit:
            # Every worker was busy and the rate held them back little: more would send more.
            step = self.limit if self._slow_start else max(1, math.isqrt(self.limit))
            self.limit = min(self.limit + step, self.max_limit)


def _too_many(throttled: int, attempts: int, share: float) -> bool:
    """More than ``share`` of the attempts were answered 429, and more than one: one alone is noise."""
    return throttled >= 2 and throttled > share * attempts


class _Round:
    """The attempts of one round: at least a round trip's worth, judged together."""

    __slots__ = ("attempts", "busiest", "cpu_started", "min_rtt", "paced", "rtt_sum", "started", "throttled", "timed")

    def __init__(self, started: float = math.inf, *, busiest: int = 0, cpu_started: float = 0.0) -> None:
        self.started = started
        """When the round began; infinite until its first answer, after a cut."""
        self.cpu_started = cpu_started
        """The loop thread's CPU time when the round began."""
        self.attempts = 0  # every attempt that ended, answered or not
        self.throttled = 0  # answered 429
        self.timed = 0  # answered 2xx or 429: round-trip samples
        self.rtt_sum = 0.0
        self.min_rtt = math.inf
        self.busiest = busiest  # the most attempts in flight, or items in progress
        self.paced = False  # an attempt waited for its turn to send


_SLOW_START_LIMIT = 8
_MIN_ROUND_ANSWERS = 16  # fewer make the share of 429s too noisy to act on
_MIN_ROUND_SECONDS = 0.1  # on a fast link, a round trip holds too few answers to judge
_MAX_ROUND_SECONDS = 1.0  # unless a round trip is longer: a slow batch is judged on fewer answers
_OVERLOADED = 0.05  # share of 429s in a round above which the batch is too fast
_BETA = 0.9  # the rate after an overload, as a share of the rate the API accepted
_CUBIC_C = 0.14  # the climb's scale: C = 0.14 √peak requests/s per s³ (see _cubic_scale)
_CUBIC_FLOOR = 200.0  # requests/s: below it the climb keeps the pace it has at this rate
_AHEAD = 1.1  # the most the rate may climb above the rate sent in the last round
_RATE_BOUND = 0.8  # a round that sent at least this share of the rate was held back by it
_MIN_RATE = 0.5  # requests/s: the floor of a cut, so that a batch always gets through
_RTT_TOLERANCE = 2.0  # the gradient limiter's: round trips up to twice the lowest are not queueing
_RTT_SLACK = 0.01  # seconds: on a fast link the client's own event loop moves round trips by this much
# Share of a round the loop's thread spent on the CPU from which its own backlog is the
# queue. Not 1: a loop that is never idle still loses the CPU to other processes now and then.
_LOOP_SATURATED = 0.75
_MIN_RTT_PERIOD = 10.0  # seconds: the lowest round trip is forgotten after one to two of these
