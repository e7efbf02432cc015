"""The transport seam: AiohttpTransport against a real loopback server, and the public MockTransport."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import gzip
import logging
import platform
import socket
import subprocess
import sys
import textwrap
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import attrs
import pytest
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from fragment import (
    AiohttpTransport,
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    AsyncFragment,
    Request,
    Response,
)
from fragment.testing import Emulator, MockTransport, answer

TIMEOUT = aiohttp.ClientTimeout(total=5)
TOKEN = "Bearer s3cret-t0ken"
BASIC = aiohttp.encode_basic_auth("client_id_0123", "sEcReT-d0-n0t-l0g-9f8e7d")


@attrs.frozen
class Seen:
    """One request as the server received it."""

    method: str
    raw_path: str
    headers: CIMultiDictProxy[str]
    body: bytes
    client_port: int


class LoopbackServer:
    """An HTTP server on 127.0.0.1, in a thread of its own, that records what it receives.

    It answers ``/hang`` never, ``/drop`` by closing the connection, ``/status/N`` with status
    N, ``/slow/MS`` after MS milliseconds, ``/redirect`` with a 302 to ``/widgets``, ``/big/N``
    with N bytes, ``/gzip/N`` with N bytes gzipped, and anything else with 200 and ``{"ok": true}``.
    """

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.most_in_flight = 0
        self._in_flight = 0
        self.base_url = ""

    def url(self, path: str) -> str:
        return self.base_url + path

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        peer = request.transport.get_extra_info("peername") if request.transport else ("", 0)
        self.seen.append(Seen(request.method, request.raw_path, request.headers, await request.read(), peer[1]))
        self._in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self._in_flight)
        try:
            return await self._answer(request)
        finally:
            self._in_flight -= 1

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        first, _, rest = request.path.strip("/").partition("/")
        if first == "hang":
            await asyncio.Event().wait()  # cancelled when the client gives up
        if first == "drop" and request.transport is not None:
            request.transport.close()
        if first == "slow":
            await asyncio.sleep(int(rest) / 1000)
        if first == "redirect":
            return web.Response(status=302, headers={"Location": "/widgets?from=redirect"})
        if first == "big":
            return web.Response(body=b"x" * int(rest))
        if first == "gzip":
            return web.Response(body=gzip.compress(b"0" * int(rest)), headers={"Content-Encoding": "gzip"})
        status = int(rest) if first == "status" else 200
        return web.json_response({"ok": status < 300}, status=status, headers={"X-Answer": "yes"})

    @contextlib.contextmanager
    def running(self) -> Iterator[LoopbackServer]:
        ready, stop = threading.Event(), asyncio.Event()
        loop = asyncio.new_event_loop()

        async def serve() -> None:
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", self._handle)
            runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            self.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
            ready.set()
            await stop.wait()
            await runner.cleanup()

        thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
        thread.start()
        assert ready.wait(10), "the loopback server did not start"
        try:
            yield self
        finally:
            loop.call_soon_threadsafe(stop.set)
            thread.join(10)
            loop.close()


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer().running() as running:
        yield running


@pytest.fixture
def refused_url() -> str:
    """A loopback URL where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/invoices?query=private"


def request(url: str, **changes: Any) -> Request:
    return attrs.evolve(Request("POST", url, {}, b"", TIMEOUT, authorization=TOKEN), **changes)


async def send_once(sent: Request, **transport_options: Any) -> Response:
    transport = AiohttpTransport(**transport_options)
    try:
        return await transport.send(sent)
    finally:
        await transport.aclose()


# --- what goes out and what comes back ---------------------------------------------------------------


async def test_a_request_is_sent_exactly_as_given_with_its_path_left_encoded(server: LoopbackServer) -> None:
    path = "/widgets/inv%201%2F%C3%A9?x=1&tags=a%2Cb"
    headers = {"X-Custom": "v", "Content-Type": "application/json"}

    await send_once(request(server.url(path), method="PUT", headers=headers, body=b'{"a":1}'))

    (seen,) = server.seen
    assert (seen.method, seen.raw_path, seen.body) == ("PUT", path, b'{"a":1}')
    assert (seen.headers["X-Custom"], seen.headers["Content-Type"]) == ("v", "application/json")
    assert seen.headers.getall("Authorization") == [TOKEN]


async def test_a_request_without_a_body_or_authorization_sends_neither(server: LoopbackServer) -> None:
    await send_once(request(server.url("/widgets"), method="GET", body=None, authorization=None))

    (seen,) = server.seen
    assert seen.body == b""
    assert "Authorization" not in seen.headers


@pytest.mark.parametrize("name", ["Authorization", "authorization"])
async def test_the_authorization_given_apart_wins_over_one_in_the_headers(server: LoopbackServer, name: str) -> None:
    await send_once(request(server.url("/widgets"), headers={name: "Bearer forged"}))

    assert server.seen[0].headers.getall("Authorization") == [TOKEN]


@pytest.mark.parametrize("status", [200, 201, 404, 429, 503])
async def test_every_answer_is_returned_whatever_its_status(server: LoopbackServer, status: int) -> None:
    response = await send_once(request(server.url(f"/status/{status}")))

    assert response.status == status
    assert response.headers["x-answer"] == "yes"  # case-insensitive
    assert response.body == (b'{"ok": true}' if status < 300 else b'{"ok": false}')


async def test_a_redirect_is_returned_as_it_is_and_never_followed(server: LoopbackServer) -> None:
    response = await send_once(request(server.url("/redirect")))

    assert response.status == 302
    assert response.headers["Location"] == "/widgets?from=redirect"
    assert [seen.raw_path for seen in server.seen] == ["/redirect"]


@pytest.mark.parametrize("path", ["/big/1000", "/gzip/1000"], ids=["plain", "gzip"])
async def test_a_body_up_to_max_response_size_is_read_whole(server: LoopbackServer, path: str) -> None:
    response = await send_once(request(server.url(path)), max_response_size=1000)

    assert len(response.body) == 1000


@pytest.mark.parametrize("path", ["/big/200000", "/gzip/200000"], ids=["plain", "gzip-bomb"])
async def test_a_body_over_max_response_size_is_refused_while_it_is_read(server: LoopbackServer, path: str) -> None:
    with pytest.raises(APIResponseValidationError, match="body larger than 1,000 bytes") as caught:
        await send_once(request(server.url(path)), max_response_size=1000)

    assert caught.value.status_code == 200
    assert len(caught.value.body) <= 1024


async def test_the_debug_log_names_method_path_and_status_but_not_the_query(
    server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="fragment")

    await send_once(request(server.url("/widgets/w1?private=yes")))

    assert caplog.messages == ["POST /widgets/w1 -> 200 (12 bytes)"]


# --- no answer -------------------------------------------------------------------------------------

NO_ANSWER = [
    pytest.param("refused", APIConnectionError, "Cannot connect to", id="connection-refused"),
    pytest.param("/drop", APIConnectionError, "Connection error talking to", id="server-disconnected"),
    pytest.param("/hang", APITimeoutError, "timed out", id="timeout"),
]


def failing_request(where: str, server: LoopbackServer, refused_url: str, authorization: str) -> Request:
    url = refused_url if where == "refused" else server.url(f"{where}?query=private")
    return request(url, timeout=aiohttp.ClientTimeout(total=0.2), authorization=authorization)


@pytest.mark.parametrize(("where", "error_class", "message"), NO_ANSWER)
async def test_no_answer_raises_api_connection_error_naming_the_url_without_its_query(
    server: LoopbackServer, refused_url: str, where: str, error_class: type[APIConnectionError], message: str
) -> None:
    with pytest.raises(APIConnectionError) as caught:
        await send_once(failing_request(where, server, refused_url, TOKEN))

    assert type(caught.value) is error_class
    assert message in str(caught.value)
    assert "http://127.0.0.1:" in str(caught.value)
    assert "private" not in str(caught.value)
    assert caught.value.connect_failed is (where == "refused")  # only then is the host unreachable


async def test_a_read_timeout_is_a_timeout_too(server: LoopbackServer) -> None:
    with pytest.raises(APITimeoutError):
        await send_once(request(server.url("/hang"), timeout=aiohttp.ClientTimeout(sock_read=0.1)))


@pytest.mark.parametrize(("where", "error_class", "message"), NO_ANSWER)
@pytest.mark.parametrize("authorization", [TOKEN, BASIC], ids=["bearer", "basic"])
async def test_no_secret_is_in_the_error_nor_in_its_chain(
    server: LoopbackServer, refused_url: str, where: str, error_class: type, message: str, authorization: str
) -> None:
    with pytest.raises(APIConnectionError) as caught:
        await send_once(failing_request(where, server, refused_url, authorization))

    error = caught.value
    assert error.__cause__ is None
    assert error.__context__ is None
    shown = [str(error), repr(error), "".join(traceback.format_exception(error))]
    for secret in (authorization, authorization.split()[1]):
        assert all(secret not in text for text in shown)


# --- sessions, loops and the pool ---------------------------------------------------------------------


def test_a_second_asyncio_run_reuses_the_transport_with_a_fresh_session(server: LoopbackServer) -> None:
    transport = AiohttpTransport()

    first = asyncio.run(transport.send(request(server.url("/widgets"))))
    second = asyncio.run(transport.send(request(server.url("/widgets"))))
    asyncio.run(transport.aclose())

    assert (first.status, second.status) == (200, 200)
    assert server.seen[0].client_port != server.seen[1].client_port  # a new connection, of a new session


def test_a_call_from_another_live_event_loop_is_refused(server: LoopbackServer) -> None:
    transport = AiohttpTransport()
    other_loop = asyncio.new_event_loop()
    thread = threading.Thread(target=other_loop.run_forever, daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(transport.send(request(server.url("/widgets"))), other_loop).result(5)

        with pytest.raises(RuntimeError) as caught:
            asyncio.run(transport.send(request(server.url("/widgets"))))
    finally:
        asyncio.run_coroutine_threadsafe(transport.aclose(), other_loop).result(5)
        other_loop.call_soon_threadsafe(other_loop.stop)
        thread.join(5)
        other_loop.close()

    assert "another event loop" in str(caught.value)  # SPEC section 3: a clear RuntimeError
    assert len(server.seen) == 1


def test_closing_the_transport_leaves_no_unclosed_session_behind(server: LoopbackServer) -> None:
    async def use_and_close() -> None:
        transport = AiohttpTransport()
        await transport.send(request(server.url("/widgets")))
        await transport.aclose()

    gc.collect()  # what earlier tests left behind is not this test's business
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(use_and_close())
        gc.collect()

    assert [str(warning.message) for warning in caught if warning.category is ResourceWarning] == []


async def test_a_session_passed_in_is_used_and_left_open(server: LoopbackServer) -> None:
    async with aiohttp.ClientSession(headers={"X-Session-Marker": "the caller's"}) as session:
        await send_once(request(server.url("/widgets")), session=session)

        assert not session.closed
    assert server.seen[0].headers["X-Session-Marker"] == "the caller's"


async def test_requests_beyond_the_pool_wait_for_a_connection_and_that_wait_is_not_their_timeout(
    server: LoopbackServer,
) -> None:
    transport = AiohttpTransport(max_connections=1)
    slow = request(server.url("/slow/150"), timeout=aiohttp.ClientTimeout(total=0.25))
    try:
        responses = await asyncio.gather(*(transport.send(slow) for _ in range(3)))
    finally:
        await transport.aclose()

    assert [response.status for response in responses] == [200] * 3
    assert server.most_in_flight == 1


async def test_widening_the_pool_lets_more_requests_out_at_once_even_while_it_is_open(
    server: LoopbackServer,
) -> None:
    transport = AiohttpTransport(max_connections=1)
    slow = request(server.url("/slow/150"))
    try:
        await transport.send(request(server.url("/first")))  # the pool is open, with its one slot
        transport.widen(3)
        transport.widen(2)  # never narrower than before
        responses = await asyncio.gather(*(transport.send(slow) for _ in range(3)))
    finally:
        await transport.aclose()

    assert [response.status for response in responses] == [200] * 3
    assert server.most_in_flight == 3
    assert transport.max_connections == 3


# --- through the client, against the emulator ----------------------------------------------------------


async def test_a_create_uses_no_deprecated_aiohttp_api(
    fragment_emulator: Emulator, seed_invoice: dict[str, Any]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        async with AsyncFragment(**fragment_emulator.client_options()) as client:
            await client.invoices.create(**seed_invoice)

    assert len(fragment_emulator.invoices()) == 1


@pytest.mark.parametrize("name", ["Authorization", "authorization"])
async def test_an_authorization_in_extra_headers_never_replaces_the_bearer_token(
    fragment_emulator: Emulator, seed_invoice: dict[str, Any], name: str
) -> None:
    async with AsyncFragment(**fragment_emulator.client_options(), max_retries=0) as client:
        await client.invoices.create(**seed_invoice, extra_headers={name: "Bearer forged"})

    assert fragment_emulator.stats.status_count("/invoices", 201) == 1


async def test_max_response_size_of_the_client_reaches_its_transport(
    fragment_emulator: Emulator, seed_invoice: dict[str, Any]
) -> None:
    async with AsyncFragment(**fragment_emulator.client_options(), max_response_size=20) as client:
        with pytest.raises(APIResponseValidationError, match="max_response_size"):
            await client.invoices.create(**seed_invoice)


# Run in a process of its own: in this one, some earlier large free may have moved glibc's threshold already.
ONE_THOUSAND_READS = textwrap.dedent(
    """
    import asyncio, resource, aiohttp
    from fragment import AiohttpTransport, Request

    ANSWER = b"HTTP/1.1 201 Created\\r\\nContent-Length: 2\\r\\n\\r\\n{}"

    class Answers(asyncio.Protocol):
        def connection_made(self, transport):
            self.transport = transport
        def data_received(self, data):
            self.transport.write(ANSWER * data.count(b"\\r\\n\\r\\n"))

    async def main():
        server = await asyncio.get_running_loop().create_server(Answers, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        transport = AiohttpTransport()
        request = Request("GET", f"http://127.0.0.1:{port}/", {}, None, aiohttp.ClientTimeout(total=5))
        for _ in range(50):  # the first connection and every lazy import behind us
            await transport.send(request)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(1000):
            await transport.send(request)
        print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
        await transport.aclose()
        server.close()

    asyncio.run(main())
    """
)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the mmap threshold it moves is glibc's")
def test_reading_answers_reuses_memory_instead_of_mapping_a_buffer_for_each() -> None:
    # asyncio reads into a fresh 256 KiB buffer; mapped and unmapped each time, that is page
    # faults on every read (about four a request here, client and server side together).
    faults = subprocess.run(
        [sys.executable, "-c", ONE_THOUSAND_READS], capture_output=True, text=True, check=True, timeout=120
    ).stdout

    assert int(faults) < 500  # per 1,000 requests


def test_constructing_a_client_needs_no_event_loop_and_sends_nothing(fragment_emulator: Emulator) -> None:
    client = AsyncFragment(**fragment_emulator.client_options())
    client.with_options(timeout=5)

    assert fragment_emulator.stats.requests == {}
    asyncio.run(client.close())


# --- the mock transport ---------------------------------------------------------------------------------


def handled_by(handler: Callable[[Request], Any]) -> MockTransport:
    return MockTransport(handler)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["plain-handler", "coroutine-handler"])
async def test_the_mock_transport_answers_from_its_handler_and_records_each_request(asynchronous: bool) -> None:
    def handle(sent: Request) -> Response:
        return answer(202, f"you sent {sent.method}", {"X-Echo": sent.url})

    async def handle_later(sent: Request) -> Response:
        await asyncio.sleep(0)
        return handle(sent)

    transport = MockTransport(handle_later if asynchronous else handle)
    sent = request("https://api.fragment.test/widgets")

    response = await transport.send(sent)

    assert (response.status, response.body) == (202, b"you sent POST")
    assert response.headers["x-echo"] == "https://api.fragment.test/widgets"
    assert transport.requests == [sent]


async def test_a_handler_that_raises_acts_as_a_request_without_an_answer() -> None:
    def unreachable(sent: Request) -> Response:
        raise APITimeoutError("Request to https://api.fragment.test timed out")

    transport = MockTransport(unreachable)

    with pytest.raises(APITimeoutError):
        await transport.send(request("https://api.fragment.test/widgets"))
    assert len(transport.requests) == 1


async def test_the_mock_transport_is_closed_with_its_client(seed_invoice: dict[str, Any]) -> None:
    transport = MockTransport(lambda sent: answer(500))
    async with AsyncFragment(client_id="id", client_secret="secret", transport=transport):
        assert not transport.closed

    assert transport.closed


def test_answer_defaults_to_an_empty_200_with_case_insensitive_headers() -> None:
    response = answer(headers={"Retry-After": "3"})

    assert (response.status, response.body) == (200, b"")
    assert isinstance(response.headers, CIMultiDict)
    assert response.headers["retry-after"] == "3"
