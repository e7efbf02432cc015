"""The batch's adaptive controller, on virtual time.

The first part drives one controller by hand with a fake clock: slow start, the cut of the
rate, pauses, pacing, latency. The second runs whole batches (the real batch runner and
controller) against a simulated API, a token bucket and a latency, on an event loop whose
clock jumps from one timer to the next: minutes of traffic take a fraction of a second, and
every run is the same.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import selectors
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

import attrs
import pytest

from fragment._batch import BatchSpec, collect_batch
from fragment._pacing import DEFAULT_MAX_CONCURRENCY, Pacer, RateController
from fragment.testing import RateLimit
from fragment.testing._faults import TokenBucket

Clock = Callable[[], float]
Advance = Callable[[float], None]
Sleep = Callable[[float], Awaitable[None]]


def idle_loop() -> float:
    """The CPU time of a loop thread that waits for answers all the time: it never advances."""
    return 0.0


@pytest.fixture
def controller(clock: Clock, sleep: Sleep) -> RateController:
    """A controller for a batch of concurrency 64, on virtual time, its loop mostly idle."""
    return RateController(64, clock=clock, sleep=sleep, thread_clock=idle_loop)


def round_trips(
    controller: RateController, advance_clock: Advance, statuses: list[int], *, rtt: float = 0.05, count: int = 1
) -> None:
    """``count`` round trips with every slot busy: all tickets out, ``rtt`` later all answered.

    The answers' statuses repeat ``statuses`` in order.
    """
    answers = itertools.cycle(statuses)
    for _ in range(count):
        tickets = []
        while (ticket := controller.try_acquire()) is not None:
            tickets.append(ticket)
        advance_clock(rtt)
        for ticket in tickets:
            controller.release(ticket, next(answers), None)


def grow_to(controller: RateController, advance_clock: Advance, limit: int) -> None:
    for _ in range(20):
        if controller.limit >= limit:
            return
        round_trips(controller, advance_clock, [201])
    raise AssertionError(f"the limit never reached {limit}: {controller.limit}")


def overload(controller: RateController, advance_clock: Advance) -> None:
    """Round trips where one answer in five is a 429, until the rate is cut."""
    for _ in range(10):
        round_trips(controller, advance_clock, [201, 201, 201, 201, 429])
        if controller.rate is not None:
            return
    raise AssertionError("an overload never cut the rate")


# --- the concurrency -----------------------------------------------------------------------------


def test_a_batch_opens_in_slow_start_and_doubles_each_round_up_to_its_concurrency(
    controller: RateController, advance_clock: Advance
) -> None:
    limits = [controller.limit]
    for _ in range(20):
        round_trips(controller, advance_clock, [201])
        if controller.limit != limits[-1]:
            limits.append(controller.limit)

    assert limits == [8, 16, 32, 64]


def test_an_adaptive_batch_grows_up_to_the_default_maximum(clock: Clock, advance_clock: Advance) -> None:
    controller = RateController(None, clock=clock)

    round_trips(controller, advance_clock, [201], count=40)

    assert controller.limit == controller.max_limit == DEFAULT_MAX_CONCURRENCY


def test_a_small_batch_opens_at_its_own_concurrency(clock: Clock) -> None:
    assert RateController(3, clock=clock).limit == 3


def test_the_limit_holds_back_attempts_until_one_is_released(controller: RateController) -> None:
    tickets = [controller.try_acquire() for _ in range(8)]

    assert None not in tickets
    assert controller.try_acquire() is None
    controller.release(tickets[0], 201, None)  # type: ignore[arg-type]
    assert controller.try_acquire() is not None


def test_the_limit_grows_only_while_every_slot_is_busy(controller: RateController, advance_clock: Advance) -> None:
    for _ in range(40):  # one attempt at a time, for four seconds
        ticket = controller.try_acquire()
        assert ticket is not None
        advance_clock(0.1)
        controller.release(ticket, 201, None)

    assert controller.limit == 8


def test_round_trips_that_double_and_grow_by_more_than_10_ms_shrink_the_limit(
    controller: RateController, advance_clock: Advance
) -> None:
    grow_to(controller, advance_clock, 64)

    round_trips(controller, advance_clock, [201], rtt=0.2, count=2)  # four times the lowest

    assert controller.limit == 32  # by the ratio, at most by half


def test_round_trips_stretched_while_the_loop_was_busy_all_round_keep_the_limit(
    clock: Clock, advance_clock: Advance
) -> None:
    # The loop's thread on the CPU as long as the wall clock ran: answers waited for the
    # client to read them, not for the server.
    controller = RateController(64, clock=clock, thread_clock=clock)
    grow_to(controller, advance_clock, 64)

    round_trips(controller, advance_clock, [201], rtt=0.2, count=4)

    assert controller.limit == 64


def test_round_trips_stretched_while_the_loop_was_busy_stop_the_growth(clock: Clock, advance_clock: Advance) -> None:
    controller = RateController(None, clock=clock, thread_clock=clock)
    grow_to(controller, advance_clock, 64)
    round_trips(controller, advance_clock, [201], rtt=0.2)  # ends the round begun at the old round trip
    limit = controller.limit

    round_trips(controller, advance_clock, [201], rtt=0.2, count=4)

    assert controller.limit == limit < controller.max_limit


def test_slower_round_trips_within_10_ms_are_not_taken_for_queueing(clock: Clock, advance_clock: Advance) -> None:
    controller = RateController(64, clock=clock, thread_clock=idle_loop)

    round_trips(controller, advance_clock, [201], rtt=0.002, count=60)
    round_trips(controller, advance_clock, [201], rtt=0.008, count=60)  # the client's own loop, busier

    assert controller.limit == 64


# --- the rate ------------------------------------------------------------------------------------


def test_sends_are_not_paced_until_the_api_is_overloaded(controller: RateController, advance_clock: Advance) -> None:
    grow_to(controller, advance_clock, 64)

    assert controller.rate is None


def test_an_overloaded_round_paces_sends_below_the_rate_the_api_accepted(
    controller: RateController, advance_clock: Advance
) -> None:
    grow_to(controller, advance_clock, 32)  # 32 in flight every 50 ms: 640/s

    round_trips(controller, advance_clock, [201, 201, 201, 429], count=3)  # at most 480/s accepted

    assert controller.rate is not None and 0.6 * 480 < controller.rate <= 0.9 * 480
    assert controller.try_acquire() is not None
    assert controller.try_acquire() is None  # the next one's turn comes 1/rate s later


def test_one_429_in_a_round_is_noise(controller: RateController, advance_clock: Advance) -> None:
    grow_to(controller, advance_clock, 64)

    round_trips(controller, advance_clock, [429] + [201] * 63, count=2)

    assert controller.rate is None


def test_answers_to_attempts_sent_before_the_cut_are_not_judged_again(
    controller: RateController, advance_clock: Advance
) -> None:
    grow_to(controller, advance_clock, 64)
    in_flight = [controller.try_acquire() for _ in range(10)]
    overload(controller, advance_clock)
    rate = controller.rate

    advance_clock(0.05)
    for ticket in in_flight:
        controller.release(ticket, 429, None)  # type: ignore[arg-type]

    assert controller.rate == rate


async def test_paced_sends_wait_their_turn(
    controller: RateController, advance_clock: Advance, sleeps: list[float]
) -> None:
    grow_to(controller, advance_clock, 32)
    overload(controller, advance_clock)
    assert controller.rate is not None
    sleeps.clear()

    tickets = [await controller.acquire() for _ in range(3)]

    assert sleeps == [pytest.approx(1 / controller.rate)] * 2
    assert tickets == sorted(tickets)


def test_the_rate_stands_still_while_the_batch_does_not_use_it(
    controller: RateController, advance_clock: Advance
) -> None:
    grow_to(controller, advance_clock, 32)
    overload(controller, advance_clock)
    rate = controller.rate

    for _ in range(50):  # ten seconds of one attempt at a time: far below the rate
        ticket = controller.try_acquire() or 0.0
        advance_clock(0.2)
        controller.release(ticket, 201, None)

    assert controller.rate == rate


# --- pauses --------------------------------------------------------------------------------------


def test_a_429_with_retry_after_pauses_every_new_attempt(controller: RateController, advance_clock: Advance) -> None:
    ticket = controller.try_acquire()
    controller.release(ticket, 429, {"retry-after-ms": "500"})  # type: ignore[arg-type]

    assert controller.try_acquire() is None
    advance_clock(0.49)
    assert controller.try_acquire() is None
    advance_clock(0.02)
    assert controller.try_acquire() is not None


@pytest.mark.parametrize(
    "headers", [None, {}, {"retry-after": "0"}, {"retry-after": "120"}, {"retry-after": "soon"}], ids=str
)
def test_a_429_without_a_usable_retry_after_does_not_pause(
    controller: RateController, headers: dict[str, str] | None
) -> None:
    ticket = controller.try_acquire()
    controller.release(ticket, 429, headers)  # type: ignore[arg-type]

    assert controller.try_acquire() is not None


async def test_acquire_waits_out_the_pause(controller: RateController, sleeps: list[float]) -> None:
    ticket = controller.try_acquire()
    controller.release(ticket, 429, {"retry-after-ms": "500"})  # type: ignore[arg-type]

    await controller.acquire()

    assert sleeps == [pytest.approx(0.5)]


@pytest.mark.parametrize("asked", [["1", "0.2"], ["0.2", "1"]], ids=["longer-first", "shorter-first"])
async def test_the_longest_pause_asked_for_wins(
    controller: RateController, sleeps: list[float], asked: list[str]
) -> None:
    in_flight = [controller.try_acquire() for _ in asked]
    for ticket, seconds in zip(in_flight, asked, strict=True):
        controller.release(ticket, 429, {"retry-after": seconds})  # type: ignore[arg-type]

    await controller.acquire()

    assert sum(sleeps) == pytest.approx(1.0)


async def test_acquire_waits_for_a_free_slot(clock: Clock, sleep: Sleep) -> None:
    controller = RateController(1, clock=clock, sleep=sleep)
    first = controller.try_acquire()
    assert first is not None
    waiter = asyncio.create_task(controller.acquire())
    for _ in range(5):
        await asyncio.sleep(0)
    assert not waiter.done()

    controller.release(first, 201, None)

    assert await asyncio.wait_for(waiter, 1) == first


# --- whole batches against a simulated API, on virtual time --------------------------------------


class _NoSockets(selectors.BaseSelector):
    """A selector with nothing to watch: waiting for the next timer moves the clock to it."""

    def __init__(self, loop_clock: list[float]) -> None:
        self._clock = loop_clock
        self._keys: dict[Any, selectors.SelectorKey] = {}

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        key = selectors.SelectorKey(fileobj, 0, events, data)
        self._keys[fileobj] = key
        return key

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._keys.pop(fileobj)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is None:
            raise RuntimeError("nothing is scheduled: the simulation would wait forever")
        self._clock[0] += max(timeout, 0.0)
        return []

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._keys


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock jumps to the next timer instead of waiting for it."""

    def __init__(self) -> None:
        self._now = [0.0]
        super().__init__(_NoSockets(self._now))

    def time(self) -> float:
        return self._now[0]


class SimulatedApi:
    """A token bucket in front of the API, then a latency with seeded jitter: what the emulator models."""

    def __init__(
        self, loop: VirtualTimeLoop, latency: float, limit: RateLimit | None = None, *, jitter: float = 0.0
    ) -> None:
        self.loop = loop
        self.latency = latency
        self.jitter = jitter
        self.statuses: list[int] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self._bucket = TokenBucket(limit, clock=loop.time) if limit is not None else None
        self._rng = random.Random(1)

    async def create(self) -> tuple[int, dict[str, str]]:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        status, headers = 201, {}
        if self._bucket is not None and (wait := self._bucket.take()) > 0:
            status, headers = 429, {"retry-after-ms": str(max(1, round(wait * 1000 + 0.5)))}
        await asyncio.sleep(self.latency + self._rng.uniform(-self.jitter, self.jitter))
        self.in_flight -= 1
        self.statuses.append(status)
        return status, headers

    def share_of_429s(self) -> float:
        return self.statuses.count(429) / len(self.statuses)


@attrs.frozen
class Item:
    key: str


def simulated_spec(api: SimulatedApi) -> BatchSpec[Item, int]:
    """A create whose send drives the pacer as the client's request driver does, retrying 429s."""

    async def send(item: Item, pacer: Pacer) -> int:
        while True:
            ticket = pacer.try_acquire()
            if ticket is None:
                ticket = await pacer.acquire()
            status, headers = await api.create()
            pacer.release(ticket, status, headers)
            if status != 429:
                return status
            await asyncio.sleep(int(headers["retry-after-ms"]) / 1000)

    return BatchSpec(lambda item: Item(str(item)), "key", send)


def until(loop: VirtualTimeLoop, deadline: float, name: str) -> Iterator[str]:
    """Items for a batch, until the virtual clock reaches ``deadline``."""
    for number in itertools.count():
        if loop.time() >= deadline:
            return
        yield f"{name}-{number}"


def run_batches(
    api: SimulatedApi, *, seconds: float, batches: int = 1, starts: list[float] | None = None, **options: Any
) -> list[int]:
    """Run ``batches`` batches against ``api`` until ``seconds``; return each one's successes."""
    loop = api.loop

    async def one(number: int) -> int:
        await asyncio.sleep((starts or [0.0] * batches)[number])
        items = until(loop, seconds, f"b{number}")
        results = await collect_batch(items, simulated_spec(api), sleep=asyncio.sleep, **options)
        return sum(result.ok for result in results)

    async def all_of_them() -> list[int]:
        return list(await asyncio.gather(*(one(number) for number in range(batches))))

    try:
        return loop.run_until_complete(all_of_them())
    finally:
        loop.close()


@pytest.mark.parametrize(
    ("latency", "rate", "seconds"),
    [(0.005, 1000.0, 15.0), (0.05, 200.0, 30.0), (0.2, 50.0, 60.0)],
    ids=["5ms-1000/s", "50ms-200/s", "200ms-50/s"],
)
def test_one_batch_finds_a_rate_limit_and_stays_just_under_it(latency: float, rate: float, seconds: float) -> None:
    limit = RateLimit(rate, burst=max(1, int(rate / 10)))
    api = SimulatedApi(VirtualTimeLoop(), latency, limit, jitter=latency / 5)

    [succeeded] = run_batches(api, seconds=seconds, concurrency=None)

    assert succeeded / (rate * seconds + limit.burst) > 0.9
    assert api.share_of_429s() < 0.04


def test_four_batches_sharing_one_limit_converge_on_fair_shares() -> None:
    limit = RateLimit(400.0, burst=40)
    api = SimulatedApi(VirtualTimeLoop(), 0.05, limit, jitter=0.01)

    succeeded = run_batches(api, seconds=40.0, batches=4, concurrency=None)

    capacity = 400.0 * 40.0 + 40
    assert sum(succeeded) / capacity > 0.9
    assert all(mine > capacity / 4 / 2 for mine in succeeded), succeeded
    assert api.share_of_429s() < 0.05


def test_a_batch_joining_others_takes_its_share_from_them() -> None:
    limit = RateLimit(400.0, burst=40)
    api = SimulatedApi(VirtualTimeLoop(), 0.05, limit, jitter=0.01)

    first, late = run_batches(api, seconds=60.0, batches=2, starts=[0.0, 20.0], concurrency=None)

    assert late / (400.0 * 40.0) > 0.3  # at least 0.6 of its fair half over its 40 s
    assert (first + late) / (400.0 * 60.0 + 40) > 0.9


def test_without_a_limit_an_adaptive_batch_grows_to_fill_the_round_trip() -> None:
    api = SimulatedApi(VirtualTimeLoop(), 0.1)

    [succeeded] = run_batches(api, seconds=10.0, concurrency=None)

    assert api.most_in_flight > 100  # far past the 8 it opens with
    assert api.statuses.count(201) == succeeded


@pytest.mark.parametrize("concurrency", [1, 5, 40])
def test_an_explicit_concurrency_is_never_exceeded(concurrency: int) -> None:
    api = SimulatedApi(VirtualTimeLoop(), 0.01)

    run_batches(api, seconds=3.0, concurrency=concurrency)

    assert api.most_in_flight == concurrency
