"""The batch's rate controller on virtual time: slow start, backing off from 429s, pauses, spacing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from fragment._pacing import RateController

Clock = Callable[[], float]
Advance = Callable[[float], None]
Sleep = Callable[[float], Awaitable[None]]


@pytest.fixture
def controller(clock: Clock, sleep: Sleep) -> RateController:
    """A controller for a batch of concurrency 64, on virtual time."""
    return RateController(64, clock=clock, sleep=sleep)


def answer(controller: RateController, status: int, count: int = 1, headers: dict[str, str] | None = None) -> None:
    """Run ``count`` attempts through the controller, one after the other, each answered ``status``."""
    for _ in range(count):
        ticket = controller.try_acquire()
        assert ticket is not None, "the controller held back an attempt"
        controller.release(ticket, status, headers)


async def answer_spaced(controller: RateController, status: int, count: int) -> None:
    """Run ``count`` attempts through ``acquire`` (the only way in while sends are spaced)."""
    for _ in range(count):
        controller.release(await controller.acquire(), status, None)


def overload(controller: RateController) -> None:
    """One window of answers, all of them 429s."""
    answer(controller, 429, count=max(controller.limit, 20))


def clean_window(controller: RateController) -> None:
    """One window of answers, all of them successes."""
    answer(controller, 201, count=max(controller.limit, 20))


def halved_once(controller: RateController) -> None:
    """Grow out of slow start to the full 64, then overload once: down to 32."""
    while controller.limit < controller.max_limit:
        clean_window(controller)
    overload(controller)
    assert controller.limit == 32


def spacing_sends(controller: RateController, advance_clock: Advance) -> None:
    """Overload down to one request in flight, then once more with 10 successes 2 ms apart."""
    while controller.limit > 1:
        overload(controller)
    for _ in range(10):
        advance_clock(0.002)
        answer(controller, 201)
    answer(controller, 429, count=10)
    assert controller.interval == pytest.approx(0.002 * 1.25)


# --- the concurrency limit -----------------------------------------------------------------------


def test_a_batch_opens_in_slow_start_and_doubles_on_clean_windows_up_to_its_concurrency(
    controller: RateController,
) -> None:
    limits = [controller.limit]
    for _ in range(4):
        clean_window(controller)
        limits.append(controller.limit)

    assert limits == [8, 16, 32, 64, 64]


def test_a_small_batch_opens_at_its_own_concurrency(clock: Clock) -> None:
    assert RateController(3, clock=clock).limit == 3


def test_the_limit_holds_back_attempts_until_one_is_released(controller: RateController) -> None:
    tickets = [controller.try_acquire() for _ in range(8)]

    assert None not in tickets
    assert controller.try_acquire() is None
    controller.release(tickets[0], 201, None)  # type: ignore[arg-type]
    assert controller.try_acquire() is not None


def test_a_window_with_many_429s_halves_the_limit_once(controller: RateController) -> None:
    while controller.limit < 64:
        clean_window(controller)

    answer(controller, 429, count=30)
    answer(controller, 201, count=34)

    assert controller.limit == 32


def test_answers_to_attempts_sent_before_the_limit_moved_are_not_judged_again(controller: RateController) -> None:
    while controller.limit < 64:
        clean_window(controller)
    in_flight = [controller.try_acquire() for _ in range(10)]
    overload(controller)  # 64 -> 32 while those 10 were in flight

    for ticket in in_flight:
        controller.release(ticket, 429, None)  # type: ignore[arg-type]
    clean_window(controller)

    # Counted again, those ten 429s would have made this window an overload (down to 16).
    assert controller.limit == 40


def test_a_few_stray_429s_do_not_slow_a_healthy_batch(controller: RateController) -> None:
    halved_once(controller)

    answer(controller, 429, count=3)
    answer(controller, 201, count=29)

    assert controller.limit == 32


def test_after_an_overload_the_limit_recovers_a_quarter_per_clean_window(controller: RateController) -> None:
    halved_once(controller)

    limits = []
    for _ in range(5):
        clean_window(controller)
        limits.append(controller.limit)

    assert limits == [40, 50, 62, 64, 64]


@pytest.mark.parametrize("status", [0, 400, 500, 503])
def test_answers_other_than_success_and_429_free_their_slot_but_are_not_judged(
    controller: RateController, status: int
) -> None:
    answer(controller, status, count=100)
    assert controller.limit == 8

    clean_window(controller)
    assert controller.limit == 16


# --- pauses --------------------------------------------------------------------------------------


def test_a_429_with_retry_after_pauses_every_new_attempt(controller: RateController, advance_clock: Advance) -> None:
    answer(controller, 429, headers={"retry-after-ms": "500"})

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
    answer(controller, 429, headers=headers)

    assert controller.try_acquire() is not None


async def test_acquire_waits_out_the_pause(controller: RateController, sleeps: list[float]) -> None:
    answer(controller, 429, headers={"retry-after-ms": "500"})

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


# --- spacing sends -------------------------------------------------------------------------------


def test_at_one_request_in_flight_further_overload_spaces_the_sends_below_the_accepted_rate(
    controller: RateController, advance_clock: Advance
) -> None:
    spacing_sends(controller, advance_clock)

    assert controller.limit == 1
    assert controller.try_acquire() is None  # spaced sends go through acquire()


async def test_spaced_sends_wait_their_turn(
    controller: RateController, advance_clock: Advance, sleeps: list[float]
) -> None:
    spacing_sends(controller, advance_clock)

    for _ in range(3):
        ticket = await controller.acquire()
        controller.release(ticket, 201, None)

    assert sleeps == [pytest.approx(0.0025)] * 2


@pytest.mark.parametrize(
    ("share_of_429s", "next_interval"),
    [pytest.param(2, 0.0025 * 1.25, id="10%-spaces-further"), pytest.param(1, 0.0025 * 0.9, id="5%-speeds-up")],
)
async def test_while_spacing_more_than_5_percent_of_429s_is_too_many(
    controller: RateController, advance_clock: Advance, share_of_429s: int, next_interval: float
) -> None:
    spacing_sends(controller, advance_clock)

    await answer_spaced(controller, 429, share_of_429s)
    await answer_spaced(controller, 201, 20 - share_of_429s)

    assert controller.interval == pytest.approx(next_interval)


async def test_clean_windows_shorten_the_spacing_by_a_tenth_until_it_is_gone_then_raise_the_limit(
    controller: RateController, advance_clock: Advance
) -> None:
    spacing_sends(controller, advance_clock)
    intervals = []
    while controller.interval:
        await answer_spaced(controller, 201, 20)
        intervals.append(controller.interval)

    assert intervals[:2] == [pytest.approx(0.0025 * 0.9), pytest.approx(0.0025 * 0.81)]
    assert intervals[-1] == 0.0
    assert controller.limit == 1
    await answer_spaced(controller, 201, 20)
    assert controller.limit == 2
