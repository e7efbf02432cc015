"""The blocking facade: ``Fragment`` on one portal, from scripts, threads, loops and forks.

Integration tests run against the emulator (the ``fragment_emulator`` fixture) over real
sockets; the generic mechanism (``blocking`` / ``blocking_iter``) is also tested on a small
async resource of the test's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import inspect
import json
import os
import select
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import anyio
import pytest
from aiohttp import web

from fragment import (
    AsyncFragment,
    ConflictError,
    FieldError,
    Fragment,
    ValidationError,
)
from fragment._sync import SyncInvoices, _SyncResource, blocking, blocking_iter
from fragment.resources.invoices import AsyncInvoices
from fragment.testing import ClientOptions, Emulator, Faults

LINE_ITEM: dict[str, Any] = {
    "amount": "1000",
    "currency_code": "USD",
    "description": "Professional services for January 2026",
    "product_id": "prod_1234567890",
    "type": "payout",
    "user_id": "user_ext_456",
}

SEED_EXAMPLE = """\
from fragment import Fragment
client = Fragment()
invoice = client.invoices.create(invoice_id="invoice_2024_001", line_items=[{"amount": "1000", "currency_code": "USD", "description": "Professional services for January 2026", "product_id": "prod_1234567890", "type": "payout", "user_id": "user_ext_456"}])
print(invoice.data)
"""  # noqa: E501 - the seed's example, verbatim

PORTAL_THREAD = "fragment-portal"


def portal_threads() -> set[threading.Thread]:
    return {thread for thread in threading.enumerate() if thread.name == PORTAL_THREAD}


@pytest.fixture
def client(fragment_emulator: Emulator) -> Iterator[Fragment]:
    with Fragment(**fragment_emulator.client_options(), max_retries=0) as client:
        yield client


def run_python(code: str, env: dict[str, str], timeout: float = 20) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter that shows resource warnings."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("FRAGMENT_")}
    return subprocess.run(
        [sys.executable, "-W", "default::ResourceWarning", "-c", code],
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# -- a script --------------------------------------------------------------------------------


def test_create_returns_what_the_async_client_returns(client: Fragment, fragment_emulator: Emulator) -> None:
    invoice = client.invoices.create(invoice_id="inv_script", line_items=[LINE_ITEM])

    async def the_async_way() -> Any:
        async with AsyncFragment(**fragment_emulator.client_options()) as async_client:
            return await async_client.invoices.create(invoice_id="inv_script", line_items=[LINE_ITEM])

    assert invoice == asyncio.run(the_async_way())
    assert invoice.data.id == "inv_script"
    assert [stored["id"] for stored in fragment_emulator.invoices()] == ["inv_script"]


def test_the_seed_example_runs_unchanged_with_settings_from_the_environment(fragment_emulator: Emulator) -> None:
    result = run_python(SEED_EXAMPLE, fragment_emulator.env())

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "id='invoice_2024_001'" in result.stdout
    assert [stored["id"] for stored in fragment_emulator.invoices()] == ["invoice_2024_001"]


def test_a_client_never_closed_lets_the_interpreter_exit_promptly_and_quietly(fragment_emulator: Emulator) -> None:
    script = textwrap.dedent(
        """
        import time
        from fragment import Fragment
        used = Fragment()
        used.invoices.create(invoice_id="inv_unclosed", line_items=[LINE_ITEM])
        unused = Fragment()
        print(time.time())
        """
    ).replace("LINE_ITEM", repr(LINE_ITEM))

    result = run_python(script, fragment_emulator.env())
    exited = time.time()

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no "Unclosed client session", no ResourceWarning, no traceback
    assert exited - float(result.stdout) < 2.0  # the daemon portal thread did not hold the exit
    assert len(fragment_emulator.invoices()) == 1


def test_repr_names_the_client_but_never_its_secret(fragment_emulator: Emulator) -> None:
    client = Fragment(**fragment_emulator.client_options())

    assert repr(client) == f"Fragment(base_url={fragment_emulator.base_url!r}, client_id='test-client')"
    assert fragment_emulator.client_secret not in repr(client)


# -- the same signatures ---------------------------------------------------------------------


def test_the_constructor_takes_exactly_the_async_clients_arguments() -> None:
    assert inspect.signature(Fragment).parameters == inspect.signature(AsyncFragment).parameters


def test_every_public_async_invoice_method_is_offered_with_the_same_parameters(client: Fragment) -> None:
    async_methods = {name for name, _ in inspect.getmembers(AsyncInvoices, inspect.isfunction) if name[0] != "_"}
    sync_methods = {name for name in vars(SyncInvoices) if name[0] != "_"}

    assert sync_methods == async_methods
    for name in async_methods:
        async_parameters = inspect.signature(getattr(AsyncInvoices(client._async), name)).parameters
        assert inspect.signature(getattr(client.invoices, name)).parameters == async_parameters


def test_an_aiohttp_session_from_another_loop_is_refused(fragment_emulator: Emulator) -> None:
    async def make_session() -> aiohttp.ClientSession:
        return aiohttp.ClientSession()

    session = asyncio.run(make_session())
    try:
        with pytest.raises(ValueError, match=r"cannot use an aiohttp\.ClientSession"):
            Fragment(**fragment_emulator.client_options(), http_session=session)
    finally:
        asyncio.run(session.close())


# -- exceptions ------------------------------------------------------------------------------


def async_error(emulator: Emulator, **create: Any) -> Exception:
    """What ``AsyncFragment.invoices.create(**create)`` raises against ``emulator``."""

    async def create_with_the_async_client() -> Exception:
        async with AsyncFragment(**emulator.client_options(), max_retries=0) as async_client:
            try:
                await async_client.invoices.create(**create)
            except Exception as error:
                return error
        raise AssertionError("the async client did not raise")

    return asyncio.run(create_with_the_async_client())


def test_a_validation_error_crosses_unchanged(client: Fragment, fragment_emulator: Emulator) -> None:
    bad: dict[str, Any] = {"invoice_id": "inv_bad", "line_items": [{**LINE_ITEM, "currency_code": "USDX"}]}
    expected = async_error(fragment_emulator, **bad)
    assert isinstance(expected, ValidationError)

    with pytest.raises(ValidationError) as raised:
        client.invoices.create(**bad)

    assert type(raised.value) is type(expected)
    assert str(raised.value) == str(expected)
    assert raised.value.errors == expected.errors
    assert fragment_emulator.stats.requests.get("/invoices", 0) == 0


def test_an_api_status_error_crosses_unchanged_with_its_status_and_body(
    client: Fragment, fragment_emulator: Emulator
) -> None:
    client.invoices.create(invoice_id="inv_taken", line_items=[LINE_ITEM])
    other: dict[str, Any] = {"invoice_id": "inv_taken", "line_items": [{**LINE_ITEM, "amount": "2000"}]}
    expected = async_error(fragment_emulator, **other)
    assert isinstance(expected, ConflictError)

    with pytest.raises(ConflictError) as raised:
        client.invoices.create(**other)

    assert type(raised.value) is type(expected)
    assert str(raised.value) == str(expected)
    assert raised.value.status_code == 409
    assert (raised.value.headers.get("content-type"), raised.value.body) == (
        expected.headers.get("content-type"),
        expected.body,
    )


# -- many threads ----------------------------------------------------------------------------


class RendezvousAPI:
    """A minimal API whose invoice answers wait until ``expected`` requests are in flight at once.

    If the facade ran calls one after another, the first request would wait for company that
    never comes (until ``patience`` runs out) and the peak would stay at 1.
    """

    def __init__(self, expected: int, patience: float = 5.0) -> None:
        self.expected = expected
        self.patience = patience
        self.in_flight = 0
        self.peak = 0
        self.base_url = ""

    async def token(self, request: web.Request) -> web.Response:
        return web.json_response({"access_token": "token", "expires_in": 3600})

    async def invoice(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        if self.in_flight == self.expected:
            self.everyone_in.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.everyone_in.wait(), self.patience)
        self.in_flight -= 1
        created = "2026-01-15T10:30:00Z"
        data = {"id": body["invoiceId"], "created": created, "status": "active", "version": 1, "workspaceId": "ws"}
        return web.json_response({"data": data})

    async def serve(self, ready: threading.Event, stop: asyncio.Event) -> None:
        self.everyone_in = asyncio.Event()
        app = web.Application()
        app.router.add_post("/oauth2/token", self.token)
        app.router.add_post("/invoices", self.invoice)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
            ready.set()
            await stop.wait()
        finally:
            await runner.cleanup()

    def client_options(self) -> ClientOptions:
        token_url = self.base_url + "/oauth2/token"
        return ClientOptions(base_url=self.base_url, token_url=token_url, client_id="id", client_secret="secret")


@pytest.fixture
def rendezvous() -> Iterator[RendezvousAPI]:
    api = RendezvousAPI(expected=16)
    ready = threading.Event()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    thread = threading.Thread(target=loop.run_until_complete, args=(api.serve(ready, stop),), daemon=True)
    thread.start()
    assert ready.wait(5)
    try:
        yield api
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join()
        loop.close()


def test_16_threads_share_one_client_and_their_requests_really_overlap(rendezvous: RendezvousAPI) -> None:
    client = Fragment(**rendezvous.client_options(), max_retries=0)
    before = portal_threads()
    start = threading.Barrier(16)
    results: dict[int, str] = {}

    def create(number: int) -> None:
        start.wait()  # all 16 call at once, also racing to start the portal
        results[number] = client.invoices.create(invoice_id=f"inv_{number}", line_items=[LINE_ITEM]).data.id

    threads = [threading.Thread(target=create, args=(number,)) for number in range(16)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began

    assert results == {number: f"inv_{number}" for number in range(16)}
    assert rendezvous.peak == 16  # every request was in flight at the same moment
    assert elapsed < rendezvous.patience  # so nobody waited for the rendezvous to give up
    assert portal_threads() - before == {client._runtime.thread}  # exactly one portal was started
    client.close()


@pytest.mark.fragment_emulator(faults=Faults(slow=1.0, slow_seconds=0.3, seed=1))
def test_16_threads_with_slow_answers_finish_together(client: Fragment, fragment_emulator: Emulator) -> None:
    ids: list[str] = []

    def create(number: int) -> None:
        ids.append(client.invoices.create(invoice_id=f"inv_{number}", line_items=[LINE_ITEM]).data.id)

    threads = [threading.Thread(target=create, args=(number,)) for number in range(16)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began

    assert sorted(ids) == sorted(f"inv_{number}" for number in range(16))
    assert len(fragment_emulator.invoices()) == 16
    assert fragment_emulator.stats.faults["slow"] == 16
    assert elapsed < 16 * 0.3 / 4  # one after another would take 4.8 s


# -- a thread that runs an event loop (a notebook cell) ---------------------------------------


async def test_it_works_from_a_thread_whose_event_loop_is_running(
    client: Fragment, fragment_emulator: Emulator
) -> None:
    asyncio.get_running_loop()  # like a notebook cell: this thread's loop is running

    invoice = client.invoices.create(invoice_id="inv_notebook", line_items=[LINE_ITEM])

    assert invoice.data.id == "inv_notebook"
    assert client._runtime.thread is not threading.current_thread()


def test_a_client_made_and_used_inside_asyncio_run_works_again_outside(fragment_emulator: Emulator) -> None:
    async def cell() -> Fragment:
        client = Fragment(**fragment_emulator.client_options())
        client.invoices.create(invoice_id="inv_cell_1", line_items=[LINE_ITEM])
        return client

    client = asyncio.run(cell())  # the cell's loop is gone; the client's own loop is not
    client.invoices.create(invoice_id="inv_cell_2", line_items=[LINE_ITEM])
    client.close()

    assert [stored["id"] for stored in fragment_emulator.invoices()] == ["inv_cell_1", "inv_cell_2"]


# -- the portal's own thread -----------------------------------------------------------------


def test_a_call_from_the_portal_thread_raises_a_clear_error_instead_of_deadlocking(client: Fragment) -> None:
    errors: list[BaseException] = []

    def on_result(_: object) -> None:
        # on_result runs in the client's event loop, that is on the portal thread.
        try:
            client.invoices.create(invoice_id="inv_nested", line_items=[LINE_ITEM])
        except RuntimeError as error:
            errors.append(error)

    results = client.invoices.create_many([{"invoice_id": "inv_outer", "line_items": [LINE_ITEM]}], on_result=on_result)

    assert [result.ok for result in results] == [True]
    assert len(errors) == 1
    assert "called from the client's own portal thread" in str(errors[0])
    assert "await the AsyncFragment method" in str(errors[0])


# -- fork ------------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_gets_its_own_portal_and_session_and_the_parent_keeps_working(
    fragment_emulator: Emulator,
) -> None:
    client = Fragment(**fragment_emulator.client_options(), timeout=5, max_retries=0)
    client.invoices.create(invoice_id="inv_parent_1", line_items=[LINE_ITEM])
    parent_thread = client._runtime.thread
    parent_state = client._runtime.client._connection._state
    assert parent_thread is not None and parent_state is not None

    reading, writing = os.pipe()
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(os.close, reading)
        with warnings.catch_warnings():  # Python 3.12+ warns about forking with threads running
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the child: report through the pipe, never return into pytest
            try:
                invoice = client.invoices.create(invoice_id="inv_child", line_items=[LINE_ITEM])
                child_state = client._runtime.client._connection._state
                report = {
                    "id": invoice.data.id,
                    "fresh_portal": client._runtime.thread is not parent_thread,
                    "fresh_session": child_state is not None and child_state.session is not parent_state.session,
                }
                client.close()
                gc.collect()  # the parent's abandoned portal and session must survive this untouched
            except BaseException as error:
                report = {"error": repr(error)}
            finally:
                os.write(writing, json.dumps(report).encode())
                os._exit(0)
        os.close(writing)
        ready, _, _ = select.select([reading], [], [], 20)
        if not ready:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        assert ready, "the child did not answer in time"
        report = json.loads(os.read(reading, 65536))

    assert report == {"id": "inv_child", "fresh_portal": True, "fresh_session": True}
    for number in (2, 3, 4):  # the parent's pooled connection and portal still work
        client.invoices.create(invoice_id=f"inv_parent_{number}", line_items=[LINE_ITEM])
    assert client._runtime.thread is parent_thread
    assert client._runtime.client._connection._state is parent_state
    assert {stored["id"] for stored in fragment_emulator.invoices()} == {
        "inv_parent_1",
        "inv_child",
        "inv_parent_2",
        "inv_parent_3",
        "inv_parent_4",
    }
    client.close()


# -- lifetimes -------------------------------------------------------------------------------


def test_close_closes_the_session_then_stops_the_portal_and_joins_its_thread(fragment_emulator: Emulator) -> None:
    client = Fragment(**fragment_emulator.client_options())
    client.invoices.create(invoice_id="inv_close", line_items=[LINE_ITEM])
    session = client._async._connection._state.session  # type: ignore[union-attr]
    thread = client._runtime.thread
    assert thread is not None and thread.is_alive()

    client.close()

    assert session.closed
    assert not thread.is_alive()
    client.close()  # idempotent
    with pytest.raises(RuntimeError, match="this Fragment is closed"):
        client.invoices.create(invoice_id="inv_after_close", line_items=[LINE_ITEM])


def test_leaving_the_with_block_closes_the_client(fragment_emulator: Emulator) -> None:
    with Fragment(**fragment_emulator.client_options()) as client:
        client.invoices.create(invoice_id="inv_with", line_items=[LINE_ITEM])
        thread = client._runtime.thread

    assert thread is not None and not thread.is_alive()


def test_no_portal_is_started_before_the_first_call(fragment_emulator: Emulator) -> None:
    before = portal_threads()

    client = Fragment(**fragment_emulator.client_options())
    client.close()

    assert client._runtime.thread is None
    assert portal_threads() == before


def test_a_with_options_copy_shares_the_portal_and_the_connection(client: Fragment) -> None:
    patient = client.with_options(timeout=30, max_retries=5)
    patient.invoices.create(invoice_id="inv_copy", line_items=[LINE_ITEM])
    client.invoices.create(invoice_id="inv_original", line_items=[LINE_ITEM])

    assert (patient.max_retries, patient.timeout.total) == (5, 30)
    assert (client.max_retries, client.timeout.total) == (0, 60)
    assert patient._runtime is client._runtime
    assert len(portal_threads() & {client._runtime.thread}) == 1


def test_a_garbage_collected_client_closes_its_session_and_portal(fragment_emulator: Emulator) -> None:
    client = Fragment(**fragment_emulator.client_options())
    client.invoices.create(invoice_id="inv_gc", line_items=[LINE_ITEM])
    session = client._async._connection._state.session  # type: ignore[union-attr]
    thread = client._runtime.thread
    assert thread is not None

    del client  # the last reference: no cycle keeps it for a later pass of the garbage collector

    assert session.closed
    assert not thread.is_alive()


def test_a_bound_method_or_an_iterator_keeps_its_client_open(fragment_emulator: Emulator) -> None:
    create = Fragment(**fragment_emulator.client_options()).invoices.create
    results = Fragment(**fragment_emulator.client_options()).invoices.create_many_iter(
        [{"invoice_id": "inv_kept_2", "line_items": [LINE_ITEM]}]
    )

    assert create(invoice_id="inv_kept_1", line_items=[LINE_ITEM]).data.id == "inv_kept_1"
    assert [result.invoice_id for result in results] == ["inv_kept_2"]


def test_a_client_collected_on_its_own_portal_thread_stops_without_deadlock(fragment_emulator: Emulator) -> None:
    client = Fragment(**fragment_emulator.client_options())
    client.invoices.create(invoice_id="inv_gc_portal", line_items=[LINE_ITEM])
    runtime = client._runtime
    thread = runtime.thread
    assert thread is not None

    async def collected_here() -> None:
        runtime.finalize()  # what the garbage collector would run on this thread

    runtime.run(collected_here)
    thread.join(5)

    assert not thread.is_alive()
    with pytest.raises(RuntimeError, match="closed"):
        client.invoices.create(invoice_id="inv_after", line_items=[LINE_ITEM])


# -- the mechanism, on a resource of our own -------------------------------------------------


class Numbers:
    """An async resource to exercise ``blocking`` and ``blocking_iter`` precisely."""

    def __init__(self) -> None:
        self.closed = threading.Event()
        self.started = threading.Event()
        self.cancelled = threading.Event()

    async def add(self, a: int, *, b: int) -> int:
        return a + b

    async def fail(self, message: str) -> None:
        raise ConflictError(message, status_code=409, headers={}, body={"error": message})

    async def hang(self) -> None:
        self.started.set()
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            self.cancelled.set()
            raise

    async def count(self, *, up_to: int, fail_at: int | None = None) -> AsyncIterator[int]:
        try:
            # A cancel scope around the yields: anyio refuses to leave it in another task than
            # the one that entered it, so this only works if one portal task runs the iteration.
            with anyio.CancelScope():
                for number in range(up_to):
                    if number == fail_at:
                        raise ValidationError([FieldError(f"count[{number}]", "refused")])
                    yield number
        finally:
            self.closed.set()


class SyncNumbers(_SyncResource[Numbers]):
    add = blocking(Numbers.add)
    fail = blocking(Numbers.fail)
    hang = blocking(Numbers.hang)
    count = blocking_iter(Numbers.count)


@pytest.fixture
def numbers() -> Iterator[tuple[SyncNumbers, Numbers]]:
    with Fragment(client_id="id", client_secret="secret") as client:
        resource = Numbers()
        yield SyncNumbers(client._lifetime, client._runtime, resource), resource


def test_blocking_passes_positional_and_keyword_arguments(numbers: tuple[SyncNumbers, Numbers]) -> None:
    sync, _ = numbers

    assert sync.add(1, b=2) == 3


def test_blocking_raises_the_very_exception_object(numbers: tuple[SyncNumbers, Numbers]) -> None:
    sync, _ = numbers

    with pytest.raises(ConflictError) as raised:
        sync.fail("taken")

    assert (str(raised.value), raised.value.status_code, raised.value.body) == ("taken", 409, {"error": "taken"})


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs signal.pthread_kill")
@pytest.mark.usefixtures("sigint_raises_keyboard_interrupt")
def test_ctrl_c_while_waiting_cancels_the_call_in_the_portal(numbers: tuple[SyncNumbers, Numbers]) -> None:
    sync, resource = numbers
    main = threading.get_ident()

    def interrupt() -> None:
        resource.started.wait(5)
        signal.pthread_kill(main, signal.SIGINT)

    interrupter = threading.Thread(target=interrupt)
    interrupter.start()
    with pytest.raises(KeyboardInterrupt):
        sync.hang()
    interrupter.join()

    assert resource.cancelled.wait(5)


def test_blocking_iter_yields_every_item_in_one_portal_task(numbers: tuple[SyncNumbers, Numbers]) -> None:
    sync, resource = numbers

    assert list(sync.count(up_to=5)) == [0, 1, 2, 3, 4]
    assert resource.closed.is_set()


def test_closing_the_iterator_closes_the_async_iterator_in_the_portal(numbers: tuple[SyncNumbers, Numbers]) -> None:
    sync, resource = numbers
    iterator = sync.count(up_to=1_000_000)

    assert [next(iterator), next(iterator)] == [0, 1]
    iterator.close()

    assert resource.closed.is_set()  # already: close() waited for aclose()


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, ValueError])
def test_an_exception_in_the_loop_body_closes_the_async_iterator(
    numbers: tuple[SyncNumbers, Numbers], interruption: type[BaseException]
) -> None:
    sync, resource = numbers

    with pytest.raises(interruption):
        for number in sync.count(up_to=1_000_000):
            if number == 3:
                raise interruption

    assert resource.closed.is_set()


def test_the_async_iterators_exception_crosses_unchanged(numbers: tuple[SyncNumbers, Numbers]) -> None:
    sync, resource = numbers
    seen: list[int] = []

    with pytest.raises(ValidationError, match=r"count\[2\]: refused"):
        seen.extend(sync.count(up_to=5, fail_at=2))

    assert resource.closed.is_set()


# -- batches on the facade -------------------------------------------------------------------


def test_create_many_runs_the_batch_and_returns_results_in_input_order(
    client: Fragment, fragment_emulator: Emulator
) -> None:
    invoices = [{"invoice_id": f"inv_batch_{number}", "line_items": [LINE_ITEM]} for number in range(40)]

    results = client.invoices.create_many(invoices, concurrency=8)

    assert [result.invoice_id for result in results] == [invoice["invoice_id"] for invoice in invoices]
    assert all(result.ok for result in results)
    assert len(fragment_emulator.invoices()) == 40


def test_create_many_iter_is_a_plain_iterator_that_stops_the_batch_when_closed(
    client: Fragment, fragment_emulator: Emulator
) -> None:
    pulled = 0

    def invoices() -> Iterator[dict[str, Any]]:
        nonlocal pulled
        for number in range(10_000):
            pulled += 1
            yield {"invoice_id": f"inv_stream_{number}", "line_items": [LINE_ITEM]}

    with contextlib.closing(client.invoices.create_many_iter(invoices(), concurrency=4)) as results:
        first = [next(results) for _ in range(3)]
    pulled_at_close = pulled

    assert all(result.ok for result in first)
    # Read at most: the 3 taken, 4 results waiting for the consumer, 4 in flight.
    assert pulled_at_close <= 3 + 4 + 4
    client.invoices.create(invoice_id="inv_after_stream", line_items=[LINE_ITEM])
    assert pulled == pulled_at_close  # the rest of the input was never read
    assert len(fragment_emulator.invoices()) <= pulled_at_close + 1
