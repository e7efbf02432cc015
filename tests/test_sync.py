"""The blocking facade: ``Fragment`` on one portal, from scripts, threads, loops and forks.

Integration tests run against the emulator (the ``fragment_emulator`` fixture) or a small
holding API of this module over real sockets; lifetimes and the portal mechanism use the mock
transport (``transport=``) and coroutines of the tests' own, run with ``Fragment.run`` and
``Fragment.iterate``. Fork and Ctrl-C run in child processes.
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
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiohttp
import anyio
import pytest
from aiohttp import web

from fragment import AsyncFragment, ClientClosedError, ConflictError, FieldError, Fragment, ValidationError
from fragment.resources import RESOURCES
from fragment.testing import ClientOptions, Emulator, Faults, MockTransport

SEED_EXAMPLE = """\
from fragment import Fragment
client = Fragment()
invoice = client.invoices.create(invoice_id="invoice_2024_001", line_items=[{"amount": "1000", "currency_code": "USD", "description": "Professional services for January 2026", "product_id": "prod_1234567890", "type": "payout", "user_id": "user_ext_456"}])
print(invoice.data)
"""  # noqa: E501 - the seed's example, verbatim

PORTAL_THREAD = "fragment-portal"


def portal_threads() -> set[threading.Thread]:
    return {thread for thread in threading.enumerate() if thread.name == PORTAL_THREAD}


async def current_thread() -> threading.Thread:
    """Run with ``client.run``: the thread of the client's event loop."""
    return threading.current_thread()


@pytest.fixture
def client(fragment_emulator: Emulator) -> Iterator[Fragment]:
    with Fragment(**fragment_emulator.client_options(), max_retries=0) as client:
        yield client


@pytest.fixture
def mock_client(client_options: dict[str, Any], transport: MockTransport) -> Iterator[Fragment]:
    """A client on the mock transport: no network."""
    with Fragment(**client_options, transport=transport) as client:
        yield client


def script(code: str, line_item: dict[str, Any]) -> str:
    return textwrap.dedent(code).replace("LINE_ITEM", repr(line_item))


def child_environment(env: dict[str, str]) -> dict[str, str]:
    inherited = {key: value for key, value in os.environ.items() if not key.startswith("FRAGMENT_")}
    return {**inherited, **env}


def run_python(code: str, env: dict[str, str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter that shows resource warnings."""
    return subprocess.run(
        [sys.executable, "-W", "default::ResourceWarning", "-c", code],
        env=child_environment(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# -- a small API whose answers wait --------------------------------------------------------------


class HoldingAPI:
    """A minimal API on loopback whose invoice answers wait until ``release_at`` requests are in flight at once.

    With ``release_at=None`` they wait until the client goes away. ``arrived`` is set when the
    first invoice request comes in, ``abandoned`` when a waiting one is given up by its client.
    If the facade ran calls one after another, a rendezvous would wait for company that never
    comes (until ``patience`` runs out) and the peak would stay at 1.
    """

    def __init__(self, release_at: int | None, patience: float = 5.0) -> None:
        self.release_at = release_at
        self.patience = patience
        self.in_flight = 0
        self.peak = 0
        self.arrived = threading.Event()
        self.abandoned = threading.Event()
        self.base_url = ""

    async def token(self, request: web.Request) -> web.Response:
        return web.json_response({"access_token": "token", "expires_in": 3600})

    async def invoice(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        self.arrived.set()
        if self.in_flight == self.release_at:
            self.everyone_in.set()
        try:
            if self.release_at is None:
                await asyncio.Event().wait()  # until the client goes away
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.everyone_in.wait(), self.patience)
        except asyncio.CancelledError:  # the client went away
            self.abandoned.set()
            raise
        finally:
            self.in_flight -= 1
        created = "2026-01-15T10:30:00Z"
        data = {"id": body["invoiceId"], "created": created, "status": "active", "version": 1, "workspaceId": "ws"}
        return web.json_response({"data": data})

    async def serve(self, ready: threading.Event, stop: asyncio.Event) -> None:
        self.everyone_in = asyncio.Event()
        app = web.Application()
        app.router.add_post("/oauth2/token", self.token)
        app.router.add_post("/invoices", self.invoice)
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=0.1)
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

    def env(self) -> dict[str, str]:
        options = self.client_options()
        return {
            "FRAGMENT_BASE_URL": options["base_url"],
            "FRAGMENT_TOKEN_URL": options["token_url"],
            "FRAGMENT_CLIENT_ID": options["client_id"],
            "FRAGMENT_CLIENT_SECRET": options["client_secret"],
        }


@contextlib.contextmanager
def serving(api: HoldingAPI) -> Iterator[HoldingAPI]:
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


@pytest.fixture
def rendezvous() -> Iterator[HoldingAPI]:
    with serving(HoldingAPI(release_at=16)) as api:
        yield api


@pytest.fixture
def holding_api() -> Iterator[HoldingAPI]:
    with serving(HoldingAPI(release_at=None)) as api:
        yield api


# -- a script --------------------------------------------------------------------------------


def test_import_fragment_leaves_anyio_until_the_blocking_client_is_first_used() -> None:
    code = textwrap.dedent(
        """
        import sys, fragment
        assert "anyio" not in sys.modules and "fragment._sync" not in sys.modules, "loaded at import"
        assert "Fragment" in dir(fragment), "not listed"
        from fragment import Fragment
        assert "anyio" in sys.modules and fragment.Fragment is Fragment is sys.modules["fragment._sync"].Fragment
        """
    )

    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def test_create_returns_what_the_async_client_returns(
    client: Fragment, fragment_emulator: Emulator, seed_line_item: dict[str, Any]
) -> None:
    invoice = client.invoices.create(invoice_id="inv_script", line_items=[seed_line_item])

    async def the_async_way() -> Any:
        async with AsyncFragment(**fragment_emulator.client_options()) as async_client:
            return await async_client.invoices.create(invoice_id="inv_script", line_items=[seed_line_item])

    assert invoice == asyncio.run(the_async_way())
    assert invoice.data.id == "inv_script"
    assert [stored["id"] for stored in fragment_emulator.invoices()] == ["inv_script"]


def test_the_seed_example_runs_unchanged_with_settings_from_the_environment(fragment_emulator: Emulator) -> None:
    result = run_python(SEED_EXAMPLE, fragment_emulator.env())

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "id='invoice_2024_001'" in result.stdout
    assert [stored["id"] for stored in fragment_emulator.invoices()] == ["invoice_2024_001"]


def test_a_client_never_closed_lets_the_interpreter_exit_promptly_and_quietly(
    fragment_emulator: Emulator, seed_line_item: dict[str, Any]
) -> None:
    code = """
        import time
        from fragment import Fragment
        used = Fragment()
        used.invoices.create(invoice_id="inv_unclosed", line_items=[LINE_ITEM])
        unused = Fragment()
        print(time.time())
    """

    result = run_python(script(code, seed_line_item), fragment_emulator.env())
    exited = time.time()

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no "Unclosed client session", no ResourceWarning, no traceback
    assert exited - float(result.stdout) < 2.0  # the daemon portal thread did not hold the exit
    assert len(fragment_emulator.invoices()) == 1


@pytest.mark.fragment_emulator(faults=Faults(slow=1.0, slow_seconds=1.0))
def test_an_unclosed_client_with_an_abandoned_batch_iterator_exits_quietly(
    fragment_emulator: Emulator, seed_line_item: dict[str, Any]
) -> None:
    code = """
        from fragment import Fragment
        client = Fragment()
        invoices = ({"invoice_id": f"inv_{number}", "line_items": [LINE_ITEM]} for number in range(1000))
        results = client.invoices.create_many_iter(invoices, concurrency=16)
        assert next(results).ok
        # exits here: the client unclosed, the iterator abandoned, 15 requests in flight
    """

    result = run_python(script(code, seed_line_item), fragment_emulator.env())

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no "Unclosed client session", no unclosed stream, no traceback


def test_repr_names_the_client_but_never_its_secret(fragment_emulator: Emulator) -> None:
    client = Fragment(**fragment_emulator.client_options())

    assert repr(client) == f"Fragment(base_url={fragment_emulator.base_url!r}, client_id='test-client')"
    assert fragment_emulator.client_secret not in repr(client)


# -- the same signatures ---------------------------------------------------------------------


def test_the_constructor_and_with_options_take_exactly_the_async_clients_arguments() -> None:
    assert inspect.signature(Fragment).parameters == inspect.signature(AsyncFragment).parameters
    assert (
        inspect.signature(Fragment.with_options).parameters == inspect.signature(AsyncFragment.with_options).parameters
    )


def test_every_resource_is_typed_on_both_clients() -> None:
    assert set(Fragment.__annotations__) == set(AsyncFragment.__annotations__) == set(RESOURCES)


def test_every_method_of_every_async_resource_is_offered_with_the_same_parameters(
    mock_client: Fragment, client_options: dict[str, Any], transport: MockTransport
) -> None:
    async_client = AsyncFragment(**client_options, transport=transport)

    for name, resource in RESOURCES.items():
        # with_raw_response is a view of the resource, not a method: its own methods are checked the same way.
        methods = [method for method in dir(resource) if not method.startswith("_") and method != "with_raw_response"]
        assert methods, name
        for method in methods:
            async_method = getattr(getattr(async_client, name), method)
            blocking_method = getattr(getattr(mock_client, name), method)
            expected = inspect.signature(async_method).parameters
            assert inspect.signature(blocking_method).parameters == expected, f"{name}.{method}"
            if method in ("create", "list"):
                raw_async = getattr(getattr(async_client, name).with_raw_response, method)
                raw_blocking = getattr(getattr(mock_client, name).with_raw_response, method)
                assert inspect.signature(raw_blocking).parameters == expected == inspect.signature(raw_async).parameters


def test_an_aiohttp_session_is_refused(fragment_emulator: Emulator) -> None:
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


@pytest.mark.parametrize(
    ("stored_first", "change", "error_type"),
    [(False, {"currency_code": "USDX"}, ValidationError), (True, {"amount": "2000"}, ConflictError)],
    ids=["validation-error", "conflict"],
)
def test_the_async_clients_exception_crosses_unchanged(
    client: Fragment,
    fragment_emulator: Emulator,
    seed_line_item: dict[str, Any],
    stored_first: bool,
    change: dict[str, str],
    error_type: type[Exception],
) -> None:
    if stored_first:
        client.invoices.create(invoice_id="inv_taken", line_items=[seed_line_item])
    invoice: dict[str, Any] = {"invoice_id": "inv_taken", "line_items": [{**seed_line_item, **change}]}
    expected = async_error(fragment_emulator, **invoice)
    assert type(expected) is error_type

    with pytest.raises(error_type) as raised:
        client.invoices.create(**invoice)

    assert type(raised.value) is type(expected)
    assert str(raised.value) == str(expected)
    for detail in ("errors", "status_code", "body"):  # those that the error type has
        assert getattr(raised.value, detail, None) == getattr(expected, detail, None)


def test_run_returns_the_result_and_raises_the_very_exception_object(mock_client: Fragment) -> None:
    conflict = ConflictError("taken", status_code=409, headers={}, body={"error": "taken"})

    async def add(a: int, b: int) -> int:
        return a + b

    async def fail() -> None:
        raise conflict

    assert mock_client.run(lambda: add(1, 2)) == 3
    with pytest.raises(ConflictError) as raised:
        mock_client.run(fail)
    assert raised.value is conflict


# -- many threads ----------------------------------------------------------------------------


def in_16_threads(call: Callable[[int], None]) -> float:
    """Run ``call(0)`` to ``call(15)``, each in a thread of its own, all at once; how long they took."""
    threads = [threading.Thread(target=call, args=(number,)) for number in range(16)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began


def test_16_threads_share_one_client_and_their_requests_really_overlap(
    rendezvous: HoldingAPI, seed_line_item: dict[str, Any]
) -> None:
    client = Fragment(**rendezvous.client_options(), max_retries=0)
    before = portal_threads()
    start = threading.Barrier(16)
    results: dict[int, str] = {}

    def create(number: int) -> None:
        start.wait()  # all 16 call at once, also racing to start the portal
        results[number] = client.invoices.create(invoice_id=f"inv_{number}", line_items=[seed_line_item]).data.id

    elapsed = in_16_threads(create)

    assert results == {number: f"inv_{number}" for number in range(16)}
    assert rendezvous.peak == 16  # every request was in flight at the same moment
    assert elapsed < rendezvous.patience  # so nobody waited for the rendezvous to give up
    assert len(portal_threads() - before) == 1  # exactly one portal was started
    client.close()


@pytest.mark.fragment_emulator(faults=Faults(slow=1.0, slow_seconds=0.3, seed=1))
def test_16_threads_with_slow_answers_finish_together(
    client: Fragment, fragment_emulator: Emulator, seed_line_item: dict[str, Any]
) -> None:
    ids: list[str] = []

    def create(number: int) -> None:
        ids.append(client.invoices.create(invoice_id=f"inv_{number}", line_items=[seed_line_item]).data.id)

    elapsed = in_16_threads(create)

    assert sorted(ids) == sorted(f"inv_{number}" for number in range(16))
    assert len(fragment_emulator.invoices()) == 16
    assert fragment_emulator.stats.faults["slow"] == 16
    assert elapsed < 16 * 0.3 / 4  # one after another would take 4.8 s


# -- a thread that runs an event loop (a notebook cell) ---------------------------------------


async def test_it_works_from_a_thread_whose_event_loop_is_running(
    client: Fragment, seed_line_item: dict[str, Any]
) -> None:
    asyncio.get_running_loop()  # like a notebook cell: this thread's loop is running

    invoice = client.invoices.create(invoice_id="inv_notebook", line_items=[seed_line_item])

    assert invoice.data.id == "inv_notebook"
    assert client.run(current_thread) is not threading.current_thread()


def test_a_client_made_and_used_inside_asyncio_run_works_again_outside(
    fragment_emulator: Emulator, seed_line_item: dict[str, Any]
) -> None:
    async def cell() -> Fragment:
        client = Fragment(**fragment_emulator.client_options())
        client.invoices.create(invoice_id="inv_cell_1", line_items=[seed_line_item])
        return client

    client = asyncio.run(cell())  # the cell's loop is gone; the client's own loop is not
    client.invoices.create(invoice_id="inv_cell_2", line_items=[seed_line_item])
    client.close()

    assert [stored["id"] for stored in fragment_emulator.invoices()] == ["inv_cell_1", "inv_cell_2"]


# -- Ctrl-C ------------------------------------------------------------------------------------

CTRL_C_SCRIPT = """
    import asyncio, sys
    from fragment import Fragment

    client = Fragment(timeout=20, max_retries=0)

    def create():
        client.invoices.create(invoice_id="inv_held", line_items=[LINE_ITEM])

    async def cell():  # like a notebook cell: this thread's event loop is running
        create()

    try:
        asyncio.run(cell()) if IN_A_RUNNING_LOOP else create()
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    sys.stdin.readline()  # still running while the test looks at the server
    client.close()
"""


@pytest.mark.parametrize("in_a_running_loop", [False, True], ids=["in-a-script", "in-a-running-event-loop"])
def test_ctrl_c_interrupts_a_waiting_call_promptly_and_cancels_it_in_the_portal(
    holding_api: HoldingAPI,
    ctrl_c_able: Callable[[], None],
    seed_line_item: dict[str, Any],
    in_a_running_loop: bool,
) -> None:
    code = script(CTRL_C_SCRIPT, seed_line_item).replace("IN_A_RUNNING_LOOP", repr(in_a_running_loop))
    with subprocess.Popen(
        [sys.executable, "-c", code],
        env=child_environment(holding_api.env()),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ctrl_c_able,
    ) as child:
        assert child.stdin is not None and child.stdout is not None
        try:
            assert holding_api.arrived.wait(10), "the request never reached the server"
            interrupted = time.monotonic()
            child.send_signal(signal.SIGINT)
            answered, _, _ = select.select([child.stdout], [], [], 10)
            took = time.monotonic() - interrupted
            said = child.stdout.readline() if answered else ""
            abandoned = holding_api.abandoned.wait(5)  # the child still runs: it did not just exit
            _, errors = child.communicate("\n", timeout=10)
        finally:
            if child.poll() is None:
                child.kill()

    assert said == "interrupted\n"
    assert took < 5  # in a running event loop this took the call's whole timeout
    assert abandoned  # the request was cancelled in the portal
    assert errors == ""
    assert child.returncode == 0


# -- the portal's own thread -----------------------------------------------------------------


def test_a_call_from_the_portal_thread_raises_a_clear_error_instead_of_deadlocking(
    client: Fragment, seed_line_item: dict[str, Any]
) -> None:
    errors: list[BaseException] = []

    def on_result(_: object) -> None:
        # on_result runs in the client's event loop, that is on the portal thread.
        try:
            client.invoices.create(invoice_id="inv_nested", line_items=[seed_line_item])
        except RuntimeError as error:
            errors.append(error)

    results = client.invoices.create_many(
        [{"invoice_id": "inv_outer", "line_items": [seed_line_item]}], on_result=on_result
    )

    assert [result.ok for result in results] == [True]
    assert len(errors) == 1
    assert "called from the client's own portal thread" in str(errors[0])
    assert "await the AsyncFragment method" in str(errors[0])


def test_closing_from_the_portal_thread_raises_a_clear_error_instead_of_deadlocking(mock_client: Fragment) -> None:
    async def close_here() -> None:
        mock_client.close()

    with pytest.raises(RuntimeError, match="cannot be closed from its own portal thread"):
        mock_client.run(close_here)
    assert not mock_client.closed


# -- fork ------------------------------------------------------------------------------------

FORK_SCRIPT = """
    import gc, json, os, threading, warnings
    from fragment import Fragment

    async def portal_thread():
        return threading.get_ident()

    async def count():
        for number in range(10):
            yield number

    client = Fragment(timeout=5, max_retries=0)
    client.invoices.create(invoice_id="inv_parent_1", line_items=[LINE_ITEM])
    parent_portal = client.run(portal_thread)
    numbers = client.iterate(count)
    next(numbers)
    reading, writing = os.pipe()
    with warnings.catch_warnings():  # Python 3.12+ warns about forking with threads running
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child
        try:
            invoice = client.invoices.create(invoice_id="inv_child", line_items=[LINE_ITEM])
            child_portal = client.run(portal_thread)
            try:
                next(numbers)  # its pump is in the parent's portal
            except RuntimeError as error:
                iterator_error = str(error)
            del numbers
            report = {
                "id": invoice.data.id,
                "own_portal_thread": child_portal in {thread.ident for thread in threading.enumerate()},
                "iterator_error": iterator_error,
            }
            client.close()
            gc.collect()  # the parent's abandoned portal and session must survive this untouched
        except BaseException as error:
            report = {"error": repr(error)}
        os.write(writing, json.dumps(report).encode())
        os._exit(0)
    os.close(writing)
    os.waitpid(pid, 0)
    child = json.loads(os.read(reading, 65536))
    for number in (2, 3, 4):  # the parent's pooled connection and portal still work
        client.invoices.create(invoice_id=f"inv_parent_{number}", line_items=[LINE_ITEM])
    parent = {"same_portal": client.run(portal_thread) == parent_portal, "numbers": list(numbers)}
    print(json.dumps({"child": child, "parent": parent}))
    client.close()
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_gets_its_own_portal_and_session_and_the_parent_keeps_working(
    fragment_emulator: Emulator, seed_line_item: dict[str, Any]
) -> None:
    result = run_python(script(FORK_SCRIPT, seed_line_item), fragment_emulator.env())

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert json.loads(result.stdout) == {
        "child": {
            "id": "inv_child",
            "own_portal_thread": True,
            "iterator_error": "this iterator was started in the parent process, before os.fork(); "
            "start a new one in this process",
        },
        "parent": {"same_portal": True, "numbers": list(range(1, 10))},
    }
    assert {stored["id"] for stored in fragment_emulator.invoices()} == {
        "inv_parent_1",
        "inv_child",
        "inv_parent_2",
        "inv_parent_3",
        "inv_parent_4",
    }


# -- lifetimes -------------------------------------------------------------------------------


def used_client(
    options: dict[str, Any], transport: MockTransport, invoice: dict[str, Any]
) -> tuple[Fragment, threading.Thread]:
    """A client on the mock transport that has created ``invoice``, and its portal's thread."""
    client = Fragment(**options, transport=transport)
    client.invoices.create(**invoice)
    return client, client.run(current_thread)


def test_close_closes_the_connections_then_stops_the_portal_and_joins_its_thread(
    client_options: dict[str, Any], transport: MockTransport, seed_invoice: dict[str, Any]
) -> None:
    client, portal = used_client(client_options, transport, seed_invoice)

    client.close()

    assert transport.closed
    assert not portal.is_alive()
    assert client.closed
    client.close()  # idempotent
    with pytest.raises(ClientClosedError, match="this Fragment is closed"):
        client.invoices.create(**seed_invoice)


def test_close_cancels_the_calls_other_threads_wait_for_with_a_clear_error(mock_client: Fragment) -> None:
    started, cancelled = threading.Event(), threading.Event()
    raised: list[BaseException] = []

    async def hang() -> None:
        started.set()
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.set()

    def wait_in_another_thread() -> None:
        try:
            mock_client.run(hang)
        except BaseException as error:
            raised.append(error)

    waiter = threading.Thread(target=wait_in_another_thread)
    waiter.start()
    assert started.wait(5)
    mock_client.close()
    waiter.join(5)

    assert cancelled.is_set()
    assert [type(error) for error in raised] == [ClientClosedError]
    assert "closed while the call was running" in str(raised[0])


def test_leaving_the_with_block_closes_the_client(mock_client: Fragment, seed_invoice: dict[str, Any]) -> None:
    with mock_client as client:
        client.invoices.create(**seed_invoice)
        portal = client.run(current_thread)

    assert client.closed
    assert not portal.is_alive()


def test_no_portal_is_started_before_the_first_call(client_options: dict[str, Any]) -> None:
    before = portal_threads()

    client = Fragment(**client_options)
    client.close()

    assert portal_threads() == before


def test_a_with_options_copy_shares_the_portal_and_the_connection(
    mock_client: Fragment, transport: MockTransport, seed_invoice: dict[str, Any]
) -> None:
    patient = mock_client.with_options(timeout=30, max_retries=5)
    patient.invoices.create(**seed_invoice)
    mock_client.invoices.create(**seed_invoice)

    assert (patient.max_retries, patient.timeout.total) == (5, 30)
    assert (mock_client.max_retries, mock_client.timeout.total) == (2, 60)
    assert patient.run(current_thread) is mock_client.run(current_thread)
    patient.close()
    assert mock_client.closed and transport.closed


def test_a_garbage_collected_client_closes_its_connections_and_portal(
    client_options: dict[str, Any], transport: MockTransport, seed_invoice: dict[str, Any]
) -> None:
    client, portal = used_client(client_options, transport, seed_invoice)

    del client  # the last reference: no cycle keeps it for a later pass of the garbage collector

    assert transport.closed
    assert not portal.is_alive()


def test_a_bound_method_or_an_iterator_keeps_its_client_open(
    client_options: dict[str, Any], transport: MockTransport, seed_invoice: dict[str, Any]
) -> None:
    create = Fragment(**client_options, transport=transport).invoices.create
    results = Fragment(**client_options, transport=transport).invoices.create_many_iter([seed_invoice])
    gc.collect()

    # A closed client would raise instead.
    assert create(**seed_invoice).data.id == seed_invoice["invoice_id"]
    assert [result.invoice_id for result in results] == [seed_invoice["invoice_id"]]


def test_a_client_whose_last_reference_goes_on_its_portal_thread_stops_without_deadlock(
    client_options: dict[str, Any], transport: MockTransport
) -> None:
    told, collected = threading.Event(), threading.Event()
    portal: list[threading.Thread] = []

    async def numbers() -> AsyncIterator[int]:
        portal.append(threading.current_thread())

        async def collect_when_told() -> None:
            await anyio.to_thread.run_sync(told.wait)
            gc.collect()  # on the portal thread, where the cycle below holds the client's last reference
            collected.set()

        background = asyncio.get_running_loop().create_task(collect_when_told())
        yield 1
        await background  # never reached: the consumer takes one item

    gc.disable()  # only the collection on the portal thread may find the cycle
    try:
        client = Fragment(**client_options, transport=transport)
        iterator = client.iterate(numbers)
        assert next(iterator) == 1
        cycle: list[object] = [iterator]
        cycle.append(cycle)
        del client, iterator, cycle
        told.set()
        portal[0].join(5)
    finally:
        gc.enable()

    assert collected.is_set()
    assert not portal[0].is_alive()
    assert transport.closed


# -- iterators -------------------------------------------------------------------------------


class Counter:
    """An async iterator factory that records how it ended."""

    def __init__(self) -> None:
        self.closed = threading.Event()

    async def count(self, up_to: int, fail_at: int | None = None) -> AsyncIterator[int]:
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


def test_iterate_yields_every_item_from_one_portal_task(mock_client: Fragment) -> None:
    counter = Counter()

    assert list(mock_client.iterate(lambda: counter.count(5))) == [0, 1, 2, 3, 4]
    assert counter.closed.is_set()


def test_closing_the_iterator_closes_the_async_iterator_in_the_portal(mock_client: Fragment) -> None:
    counter = Counter()
    iterator = mock_client.iterate(lambda: counter.count(1_000_000))

    assert [next(iterator), next(iterator)] == [0, 1]
    iterator.close()

    assert counter.closed.is_set()  # already: close() waited for aclose()


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, ValueError])
def test_an_exception_in_the_loop_body_closes_the_async_iterator(
    mock_client: Fragment, interruption: type[BaseException]
) -> None:
    counter = Counter()

    with pytest.raises(interruption):
        for number in mock_client.iterate(lambda: counter.count(1_000_000)):
            if number == 3:
                raise interruption

    assert counter.closed.is_set()


def test_the_async_iterators_exception_crosses_unchanged(mock_client: Fragment) -> None:
    counter = Counter()
    seen: list[int] = []

    with pytest.raises(ValidationError, match=r"count\[2\]: refused"):
        seen.extend(mock_client.iterate(lambda: counter.count(5, fail_at=2)))

    assert counter.closed.is_set()


def test_an_iterator_of_a_closed_client_fails_at_the_call(mock_client: Fragment) -> None:
    counter = Counter()
    mock_client.close()

    with pytest.raises(ClientClosedError, match="this Fragment is closed"):
        mock_client.iterate(lambda: counter.count(5))


# -- batches on the facade -------------------------------------------------------------------


def test_create_many_runs_the_batch_and_returns_results_in_input_order(
    client: Fragment, fragment_emulator: Emulator, seed_line_item: dict[str, Any]
) -> None:
    invoices = [{"invoice_id": f"inv_batch_{number}", "line_items": [seed_line_item]} for number in range(40)]

    results = client.invoices.create_many(invoices, concurrency=8)

    assert [result.invoice_id for result in results] == [invoice["invoice_id"] for invoice in invoices]
    assert all(result.ok for result in results)
    assert len(fragment_emulator.invoices()) == 40


def test_create_many_iter_is_a_plain_iterator_that_stops_the_batch_when_closed(
    client: Fragment, fragment_emulator: Emulator, seed_line_item: dict[str, Any]
) -> None:
    pulled = 0

    def invoices() -> Iterator[dict[str, Any]]:
        nonlocal pulled
        for number in range(10_000):
            pulled += 1
            yield {"invoice_id": f"inv_stream_{number}", "line_items": [seed_line_item]}

    with contextlib.closing(client.invoices.create_many_iter(invoices(), concurrency=4)) as results:  # type: ignore[type-var]
        first = [next(results) for _ in range(3)]
    pulled_at_close = pulled

    assert all(result.ok for result in first)
    # Read at most: the 3 taken, 4 results waiting for the consumer, 4 in flight.
    assert pulled_at_close <= 3 + 4 + 4
    client.invoices.create(invoice_id="inv_after_stream", line_items=[seed_line_item])
    assert pulled == pulled_at_close  # the rest of the input was never read
    assert len(fragment_emulator.invoices()) <= pulled_at_close + 1
