"""The :class:`Emulator`'s lifecycle: serving on the caller's event loop or on a thread of its own."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import math
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol, TypedDict, overload

from aiohttp import web

from ._app import TOKEN_PATH, make_app
from ._config import EmulatorClient, Faults, RateLimit, as_clients
from ._faults import FaultInjector, Latency, WorkspaceBuckets
from ._render import stored
from ._state import EmulatorState
from ._stats import Stats, StatsRecorder
from ._store import Store
from ._tokens import TokenIssuer

__all__ = ["ClientOptions", "Emulator"]

logger = logging.getLogger("fragment.testing")

# Handlers still running at shutdown get this long to finish; slow answers are woken at once.
_SHUTDOWN_TIMEOUT = 2.0


class ClientOptions(TypedDict):
    """Keyword arguments that point a client at an emulator: ``AsyncFragment(**options)``."""

    base_url: str
    token_url: str
    client_id: str
    client_secret: str


class StoredListing(Protocol):
    """``emulator.invoices(workspace_id=None)``: the stored resources of one kind, as the API shows them."""

    def __call__(self, workspace_id: str | None = None) -> list[dict[str, Any]]: ...


class _Listing:
    """An :class:`Emulator` method that lists one kind of stored resource, for assertions.

    The six listings differ only in the kind and the docstring, so each is one declaration.
    """

    def __init__(self, kind: str, doc: str | None = None, *, added: str | None = None) -> None:
        self._kind = kind
        doc = doc or f"The stored {kind.replace('_', ' ')}, as :meth:`invoices` gives invoices."
        self.__doc__ = doc if added is None else f"{doc}\n\n.. versionadded:: {added}"

    @overload
    def __get__(self, emulator: None, owner: type[Emulator]) -> _Listing: ...
    @overload
    def __get__(self, emulator: Emulator, owner: type[Emulator]) -> StoredListing: ...
    def __get__(self, emulator: Emulator | None, owner: type[Emulator]) -> _Listing | StoredListing:
        if emulator is None:
            return self
        kind = self._kind

        def listing(workspace_id: str | None = None) -> list[dict[str, Any]]:
            return stored(emulator._state.store, kind, workspace_id)

        listing.__doc__ = self.__doc__
        return listing


class Emulator:
    """A local stand-in for Fragment's API, served by aiohttp.web on a real socket.

    Start it with ``async with Emulator() as emu:`` inside a running event loop, or with
    ``with Emulator().in_thread() as emu:`` from synchronous code. While it runs,
    :attr:`base_url`, :attr:`token_url` and the credentials of :attr:`client_id` are valid,
    and ``AsyncFragment(**emu.client_options())`` talks to it.

    :param host: the interface to listen on; the loopback one by default.
    :param port: the port; 0 picks a free one (read it back from :attr:`base_url`).
    :param clients: the accepted clients, as ``{client_id: (client_secret, workspace_id)}``
        or :class:`EmulatorClient` values; by default one, ``test-client`` with secret
        ``test-secret`` in workspace ``ws_test``. The first one is the default client.
    :param token_lifetime: seconds an access token stays valid (fractions allowed, to test
        token refresh).
    :param faults: failures to inject into the API's requests (all 18 operations, not the
        token endpoint); none by default.
    :param rate_limit: a token bucket in front of the API's requests, one per workspace
        (the clients of one workspace share it); none by default.
    :param latency: seconds every API answer takes (not the token endpoint's), as over a
        real network; 0 by default.
    :param latency_jitter: up to this many seconds more or less, per answer, drawn from an
        RNG seeded with ``faults.seed``.

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.2.0 ``latency`` and ``latency_jitter``; the rate limit is per workspace.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clients: Mapping[str, tuple[str, str]] | Iterable[EmulatorClient] | None = None,
        token_lifetime: float = 3600.0,
        faults: Faults = Faults(),  # noqa: B008 - a frozen value, safe to share
        rate_limit: RateLimit | None = None,
        latency: float = 0.0,
        latency_jitter: float = 0.0,
    ) -> None:
        for name, value in (("latency", latency), ("latency_jitter", latency_jitter)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
                raise ValueError(f"{name} must be a non-negative number of seconds, got {value!r}")
        self._host = host
        self._port = port
        self._clients = as_clients(clients)
        self._state = EmulatorState(
            tokens=TokenIssuer(self._clients, token_lifetime),
            store=Store(),
            stats=StatsRecorder(),
            faults=FaultInjector(faults),
            buckets=WorkspaceBuckets(rate_limit) if rate_limit is not None else None,
            latency=Latency(latency, latency_jitter, seed=faults.seed) if latency or latency_jitter else None,
        )
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    def __repr__(self) -> str:
        where = self._base_url or "not running"
        return f"<Emulator {where} client_id={self.client_id!r}>"

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the emulator is serving."""
        return self._base_url is not None

    async def start(self) -> None:
        """Start serving on the running event loop. Prefer ``async with``."""
        if self._runner is not None:
            raise RuntimeError("this Emulator is already running")
        # A fresh event per start: the one of a previous run is set, and bound to its loop.
        self._state.closing = asyncio.Event()
        runner = web.AppRunner(
            make_app(self._state),
            handle_signals=False,
            access_log=None,
            # A client that gives up (a timeout) cancels its handler, as on a real server.
            handler_cancellation=True,
            shutdown_timeout=_SHUTDOWN_TIMEOUT,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._port)
            await site.start()
            port = runner.addresses[0][1]
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._base_url = f"http://{_url_host(self._host)}:{port}"
        logger.info("Fragment emulator listening on %s", self._base_url)

    async def stop(self) -> None:
        """Stop serving; in-flight requests get a moment to finish. Keeps the stored state."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._base_url = None
        await runner.cleanup()
        logger.info("Fragment emulator stopped")

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @contextlib.contextmanager
    def in_thread(self) -> Iterator[Emulator]:
        """Serve from a daemon thread with its own event loop, for synchronous code.

        Yields this emulator, running. :meth:`invoices` (and the other accessors), :attr:`stats`
        and :meth:`reset` are safe to call from the calling thread meanwhile.
        """
        if self._runner is not None:
            raise RuntimeError("this Emulator is already running")
        serving = _ThreadServing(self)
        serving.start()
        try:
            yield self
        finally:
            serving.stop()

    # -- what a client needs ----------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The API's base URL, ``http://127.0.0.1:PORT``."""
        if self._base_url is None:
            raise RuntimeError("the Emulator is not running: use 'async with Emulator()' or 'Emulator().in_thread()'")
        return self._base_url

    @property
    def token_url(self) -> str:
        """The OAuth2 token endpoint, on the same server."""
        return self.base_url + TOKEN_PATH

    @property
    def clients(self) -> tuple[EmulatorClient, ...]:
        """Every accepted client; the first is the default one."""
        return self._clients

    @property
    def client_id(self) -> str:
        """The default client's ID."""
        return self._clients[0].client_id

    @property
    def client_secret(self) -> str:
        """The default client's secret."""
        return self._clients[0].client_secret

    def client_options(self, client_id: str | None = None) -> ClientOptions:
        """Keyword arguments for ``AsyncFragment``/``Fragment`` that point it at this emulator.

        :param client_id: which configured client to use; the default client when omitted.
        """
        client = self._client(client_id)
        return ClientOptions(
            base_url=self.base_url,
            token_url=self.token_url,
            client_id=client.client_id,
            client_secret=client.client_secret,
        )

    def env(self, client_id: str | None = None) -> dict[str, str]:
        """The ``FRAGMENT_*`` environment variables that point a client at this emulator."""
        options = self.client_options(client_id)
        return {
            "FRAGMENT_BASE_URL": options["base_url"],
            "FRAGMENT_TOKEN_URL": options["token_url"],
            "FRAGMENT_CLIENT_ID": options["client_id"],
            "FRAGMENT_CLIENT_SECRET": options["client_secret"],
        }

    def _client(self, client_id: str | None) -> EmulatorClient:
        if client_id is None:
            return self._clients[0]
        for client in self._clients:
            if client.client_id == client_id:
                return client
        known = ", ".join(repr(client.client_id) for client in self._clients)
        raise KeyError(f"no client {client_id!r} is configured (configured: {known})")

    # -- for assertions ---------------------------------------------------------------------

    invoices = _Listing(
        "invoices",
        """The stored invoices as the API shows them (the ``data`` objects, wire keys).

        Each at its current version, in creation order; ``workspace_id=None`` lists every
        workspace.
        """,
    )
    products = _Listing("products", added="0.2.0")
    roles = _Listing("roles", added="0.2.0")
    users = _Listing("users", added="0.2.0")
    external_accounts = _Listing("external_accounts", added="0.2.0")
    transactions = _Listing(
        "transactions",
        "The stored transactions (allocations and ``version`` as they are now), as :meth:`invoices` gives invoices.",
        added="0.2.0",
    )

    @property
    def stats(self) -> Stats:
        """A snapshot of the request, answer, fault and token counts."""
        return self._state.stats.snapshot()

    @property
    def faults(self) -> Faults:
        """The faults being injected; assign new :class:`Faults` to change them while running."""
        return self._state.faults.faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        self._state.faults.configure(faults)

    def reset(self) -> None:
        """Forget every stored resource and count and restart the faults from their seed.

        Issued tokens stay valid, so clients keep working across a reset.
        """
        self._state.reset()


def _url_host(host: str) -> str:
    """The host to put in URLs: a wildcard address is reached through the loopback one."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    return f"[{host}]" if address.version == 6 else host


class _ThreadServing:
    """Runs an emulator on a fresh event loop in a daemon thread, until told to stop."""

    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        # Daemon: a test that forgets to leave the context must not hang interpreter exit.
        self._thread = threading.Thread(target=self._run, name="fragment-emulator", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._started.wait()
        if self._error is not None:
            self._thread.join()
            raise self._error

    def stop(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended on its own
                loop.call_soon_threadsafe(stop.set)
        self._thread.join()

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            await self._emulator.start()
        except BaseException as exc:  # handed to the thread that called start()
            self._error = exc
            return
        finally:
            self._started.set()
        try:
            await self._stop.wait()
        finally:
            await self._emulator.stop()
