"""Fragment: the blocking facade over :class:`~fragment.AsyncFragment`. The only module that touches anyio's portal.

No operation is written here. Each ``Fragment`` owns one :class:`anyio.from_thread.BlockingPortal`
running in a daemon thread, and every blocking method runs the async client's own coroutine on
it. A method reaches the facade through one declarative line in a ``Sync*`` resource class::

    create = blocking(AsyncInvoices.create)

:class:`blocking` and :class:`blocking_iter` are ParamSpec-typed descriptors, so type checkers see
the async method's exact parameters with a plain return type (a ``functools.partial`` or a
``__getattr__`` proxy would lose the signature).

Lifetimes: the portal thread is started on first use, under a lock, and kept until ``close()``;
it is built on an :class:`contextlib.ExitStack` so that a half-started portal is undone. A client
that is never closed is closed through its portal by a :func:`weakref.finalize` (at garbage
collection or at interpreter exit), so it neither hangs the interpreter nor leaves an unclosed
aiohttp session behind. After :func:`os.fork` the child drops the parent's portal and session
without touching them and starts its own on its next call.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from concurrent.futures import Future
from contextlib import ExitStack
from typing import Any, Concatenate, Final, Generic, ParamSpec, TypeVar, overload

import aiohttp
import anyio
from anyio.from_thread import BlockingPortal

from ._client import AsyncFragment
from .resources.invoices import AsyncInvoices

__all__ = ["Fragment", "SyncInvoices", "blocking", "blocking_iter"]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
S = TypeVar("S")
AsyncResourceT = TypeVar("AsyncResourceT")


class _Runtime:
    """The portal thread and the root async client shared by a :class:`Fragment` and its copies.

    One per client family and process: ``with_options`` copies share it, a forked child resets
    it. It holds no reference to any :class:`Fragment` (nor to their :class:`_Lifetime`), so
    the finalizer that closes it runs when the last of them goes.
    """

    def __init__(self, client: AsyncFragment) -> None:
        self.client = client
        """The root client: closing it closes the connection pool its copies share."""
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._portal: BlockingPortal | None = None
        self._thread: threading.Thread | None = None
        self._stack: ExitStack | None = None
        self._closed = False
        _RUNTIMES.add(self)

    @property
    def thread(self) -> threading.Thread | None:
        """The portal's thread while it runs."""
        return self._thread

    def run(self, open_call: Callable[[], Awaitable[R]]) -> R:
        """Run the awaitable made by ``open_call`` on the portal and return its result.

        Its exception is re-raised as is: the very object the coroutine raised.
        """
        portal = self._portal_for_call()
        call = _Call(open_call)
        try:
            return portal.start_task_soon(call.run).result()
        except BaseException as exc:
            if not isinstance(exc, Exception):
                # Ctrl-C (or SystemExit) in this thread: stop the call in the portal too rather
                # than leaving it running unseen. Not an Exception: those are the call's own.
                with contextlib.suppress(RuntimeError):  # the portal was closed meanwhile
                    portal.call(call.cancel)
            raise

    def iterate(self, open_iterator: Callable[[], AsyncIterator[T]], keepalive: object) -> Generator[T, None, None]:
        """Pull the items of the async iterator made by ``open_iterator`` through the portal.

        The generator holds ``keepalive`` (the client's lifetime) until it is closed.
        """
        portal = self._portal_for_call()
        pump: _Pump[T] = portal.call(_Pump, open_iterator)
        finished = portal.start_task_soon(pump.run)
        try:
            while True:
                item = portal.call(pump.next)
                if isinstance(item, _End):
                    break
                yield item
            finished.result()  # the async iterator's own exception, unchanged
        finally:
            if self._on_portal_thread():  # the garbage collector closed the iterator on the portal thread
                pump.abandon()
            else:
                with contextlib.suppress(RuntimeError):  # the portal was closed meanwhile
                    portal.call(pump.stop)

    def _portal_for_call(self) -> BlockingPortal:
        if self._pid != os.getpid():
            self.after_fork()
        portal = self._portal
        if portal is not None:
            if self._on_portal_thread():
                raise RuntimeError(
                    "a blocking Fragment method was called from the client's own portal thread "
                    "(from a coroutine or callback running in its event loop), which would deadlock; "
                    "await the AsyncFragment method there instead"
                )
            return portal
        with self._lock:
            if self._closed:
                raise RuntimeError("this Fragment is closed; create a new one")
            if self._portal is None:
                self._portal = self._start()
            return self._portal

    def _on_portal_thread(self) -> bool:
        thread = self._thread
        return thread is not None and thread.ident == threading.get_ident()

    def _start(self) -> BlockingPortal:
        """Start the portal thread; what is started is undone if a later step fails."""
        with ExitStack() as stack:
            started: Future[BlockingPortal] = Future()
            thread = threading.Thread(target=_serve_portal, args=(started,), name="fragment-portal", daemon=True)
            thread.start()
            stack.callback(_stop_portal, started, thread)
            portal = started.result()
            # The session is opened by the first request, inside the portal's loop; closing it
            # must happen there too, before the loop stops (the callbacks run last in, first out).
            stack.callback(portal.call, self.client.close)
            self._thread = thread
            self._stack = stack.pop_all()
        return portal

    def close(self) -> None:
        """Close the async client in the portal, stop the portal and join its thread. Idempotent."""
        if self._pid != os.getpid():
            self.after_fork()
        if self._on_portal_thread():
            raise RuntimeError(
                "a Fragment cannot be closed from its own portal thread (this would deadlock); "
                "close it from a thread that uses it"
            )
        # Held throughout, so that a call racing with close() waits and then sees it closed.
        with self._lock:
            self._closed = True
            self._portal = None
            stack, self._stack = self._stack, None
            if stack is not None:
                stack.close()
            self._thread = None

    def finalize(self) -> None:
        """Close a client that was never closed: at garbage collection or at interpreter exit."""
        if self._pid != os.getpid():
            self.after_fork()
        if not self._on_portal_thread():
            self.close()
            return
        # Collected on the portal thread itself (the garbage collector runs wherever memory is
        # allocated): waiting for the portal here would deadlock, so the close is scheduled in
        # the running loop, and the daemon thread ends on its own when the portal stops.
        portal = self._portal
        self._closed = True
        self._portal = None
        self._stack = None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # the portal's loop has ended already: there is nothing left to schedule on
            return
        if portal is not None:
            task = loop.create_task(_close_then_stop(self.client, portal))
            _BACKGROUND.add(task)
            task.add_done_callback(_BACKGROUND.discard)

    def after_fork(self) -> None:
        """In a forked child: forget the parent's portal and session without touching them.

        Neither the portal thread nor its event loop exists in the child, and the sockets are
        shared with the parent: closing them here would unregister the parent's sockets from
        the epoll both processes share. They stay referenced so that no finalizer ever runs
        on them; the next call starts a fresh portal and session.
        """
        if self._portal is not None:
            _ABANDONED.append((self._portal, self._thread, self._stack))
        self._lock = threading.Lock()  # a parent thread may have held it at the fork
        self._pid = os.getpid()
        self._portal = None
        self._thread = None
        self._stack = None
        self.client._connection.forget()


_RUNTIMES: Final[weakref.WeakSet[_Runtime]] = weakref.WeakSet()
_ABANDONED: Final[list[object]] = []
_BACKGROUND: Final[set[asyncio.Task[None]]] = set()


def _after_fork_in_child() -> None:
    # Runs in the child before any other code, in its only thread: no lock can race with it.
    for runtime in list(_RUNTIMES):
        runtime.after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _serve_portal(started: Future[BlockingPortal]) -> None:
    """The portal thread: run an event loop with a portal in it until the portal is stopped."""
    if not started.set_running_or_notify_cancel():
        return

    async def serve() -> None:
        async with BlockingPortal() as portal:
            started.set_result(portal)
            await portal.sleep_until_stopped()

    try:
        anyio.run(serve)
    except BaseException as exc:
        if started.done():
            raise
        started.set_exception(exc)


def _stop_portal(started: Future[BlockingPortal], thread: threading.Thread) -> None:
    """Stop the portal (cancelling calls still running) and join its thread."""
    if not started.cancel():
        try:
            portal = started.result()
        except BaseException:
            pass  # the loop never started: the thread has ended already
        else:
            with contextlib.suppress(RuntimeError):  # it is not running any more: nothing to stop
                portal.call(portal.stop, True)
    thread.join()


async def _close_then_stop(client: AsyncFragment, portal: BlockingPortal) -> None:
    try:
        await client.close()
    finally:
        await portal.stop(cancel_remaining=True)


class _Call(Generic[R]):
    """One blocking call in the portal, which its caller can cancel at any moment.

    ``Future.cancel()`` would only reach a call whose future the caller already holds;
    this also stops a call interrupted while it was being handed to the portal.
    """

    def __init__(self, open_call: Callable[[], Awaitable[R]]) -> None:
        self._open = open_call
        self._scope: anyio.CancelScope | None = None
        self._cancelled = False

    async def run(self) -> R:
        with anyio.CancelScope() as self._scope:
            if self._cancelled:
                self._scope.cancel()
            return await self._open()
        raise RuntimeError("the call was cancelled by its caller")  # nobody waits for this result

    def cancel(self) -> None:
        """Cancel the call; runs in the portal."""
        self._cancelled = True
        if self._scope is not None:
            self._scope.cancel()


class _End:
    """Marks the end of an iteration pulled through the portal."""


_END: Final = _End()


class _Pump(Generic[T]):
    """Drives one async iterator from start to end in ONE portal task, one item per pull.

    Each ``next`` is a separate portal call, and so a separate task. Advancing the iterator
    directly from each of them would enter a task group or cancel scope inside it in one task
    and leave it in another, which anyio and asyncio refuse. The iterator only advances when
    the consumer asks, as with ``async for``, so it is suspended at a ``yield`` whenever the
    consumer stops between items, and ``aclose()`` then runs as it would in async code.
    """

    def __init__(self, open_iterator: Callable[[], AsyncIterator[T]]) -> None:
        self._open = open_iterator
        self._scope = anyio.CancelScope()
        self._pulls_in, self._pulls = anyio.create_memory_object_stream[None](1)
        self._items_in, self._items = anyio.create_memory_object_stream[T](1)
        self._pulling = False
        self._done = anyio.Event()

    async def run(self) -> None:
        try:
            with self._scope, self._pulls, self._items_in:
                iterator = self._open()
                try:
                    async for _ in self._pulls:
                        self._pulling = True
                        try:
                            item = await anext(iterator)
                        except StopAsyncIteration:
                            break
                        finally:
                            self._pulling = False
                        await self._items_in.send(item)
                finally:
                    aclose = getattr(iterator, "aclose", None)
                    if aclose is not None:
                        await aclose()
        finally:
            self._done.set()

    async def next(self) -> T | _End:
        """The next item, or ``_END`` once the iterator is exhausted, failed or stopped."""
        try:
            await self._pulls_in.send(None)
            return await self._items.receive()
        except (anyio.EndOfStream, anyio.BrokenResourceError):
            return _END

    async def stop(self) -> None:
        """Close the async iterator (``aclose()``) and wait until it is closed."""
        self.abandon()
        await self._done.wait()

    def abandon(self) -> None:
        """Make the pump close the async iterator, without waiting for it."""
        if self._pulling:
            # The consumer gave up while the iterator was producing an item (Ctrl-C):
            # cancel it there, as cancelling the task that runs ``async for`` would.
            self._scope.cancel()
        self._pulls_in.close()
        self._items.close()


class _Lifetime:
    """Alive while anything of one client family is: its finalizer closes their runtime.

    Clients, their ``with_options`` copies, their resources, bound methods and iterators all
    hold it; none of them holds another one back, so the last reference to go (not a later
    pass of the cycle collector) closes the client.
    """

    __slots__ = ("__weakref__",)


class _SyncResource(Generic[AsyncResourceT]):
    """A resource of the blocking client: its methods run the async resource's on the portal."""

    def __init__(self, lifetime: _Lifetime, runtime: _Runtime, resource: AsyncResourceT) -> None:
        self._lifetime = lifetime
        self._runtime = runtime
        self._async = resource


class blocking(Generic[P, R]):
    """Declare a blocking method that runs the async resource's method of the same name on the portal.

    ``create = blocking(AsyncInvoices.create)`` in a ``Sync*`` resource class gives a method with
    the exact parameters of ``AsyncInvoices.create`` that returns its awaited result.

    .. versionadded:: 0.1.0
    """

    def __init__(self, method: Callable[Concatenate[Any, P], Awaitable[R]]) -> None:
        self._name = method.__name__
        self._method = method
        self._signature = _without_self(method)

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> blocking[P, R]: ...
    @overload
    def __get__(self, instance: _SyncResource[Any], owner: type[Any]) -> Callable[P, R]: ...
    def __get__(self, instance: _SyncResource[Any] | None, owner: type[Any]) -> blocking[P, R] | Callable[P, R]:
        if instance is None:
            return self
        method: Callable[P, Awaitable[R]] = getattr(instance._async, self._name)
        resource = instance  # a bound method keeps its client alive, as a method should

        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            # BlockingPortal calls forward positional arguments only: the keyword arguments
            # travel in this closure instead.
            async def run() -> R:
                return await method(*args, **kwargs)

            return resource._runtime.run(run)

        return _describe(call, self._method, self._signature)


class blocking_iter(Generic[P, T]):
    """Declare a blocking method that turns an async-iterator method into a plain iterator.

    The items are pulled through the portal as the caller iterates. Closing the iterator
    (``close()``, or the garbage collector after a ``break``, an exception or Ctrl-C in the
    loop's body) closes the async iterator in the portal; ``contextlib.closing`` makes
    that deterministic.

    .. versionadded:: 0.1.0
    """

    def __init__(self, method: Callable[Concatenate[Any, P], AsyncIterator[T]]) -> None:
        self._name = method.__name__
        self._method = method
        self._signature = _without_self(method, returns="Generator[...]")

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> blocking_iter[P, T]: ...
    @overload
    def __get__(self, instance: _SyncResource[Any], owner: type[Any]) -> Callable[P, Generator[T, None, None]]: ...
    def __get__(
        self, instance: _SyncResource[Any] | None, owner: type[Any]
    ) -> blocking_iter[P, T] | Callable[P, Generator[T, None, None]]:
        if instance is None:
            return self
        method: Callable[P, AsyncIterator[T]] = getattr(instance._async, self._name)
        resource = instance

        def call(*args: P.args, **kwargs: P.kwargs) -> Generator[T, None, None]:
            return resource._runtime.iterate(lambda: method(*args, **kwargs), keepalive=resource._lifetime)

        return _describe(call, self._method, self._signature)


def _without_self(method: Callable[..., Any], returns: str | None = None) -> inspect.Signature:
    signature = inspect.signature(method)
    parameters = list(signature.parameters.values())[1:]
    if returns is None:
        return signature.replace(parameters=parameters)
    return signature.replace(parameters=parameters, return_annotation=returns)


def _describe(call: Callable[P, R], method: Callable[..., Any], signature: inspect.Signature) -> Callable[P, R]:
    """Give ``call`` the async method's name, docstring and signature (for help() and IDEs)."""
    call.__name__ = method.__name__
    call.__qualname__ = method.__qualname__
    call.__doc__ = method.__doc__
    call.__signature__ = signature  # type: ignore[attr-defined]
    return call


def _same_parameters_as(
    model: Callable[Concatenate[Any, P], object],
) -> Callable[[Callable[Concatenate[S, ...], R]], Callable[Concatenate[S, P], R]]:
    """Type a ``(self, **kwargs)`` method as taking exactly the parameters of the method ``model``.

    The facade forwards its arguments untouched, so writing them out a second time would only
    let the two lists drift apart.
    """

    def decorate(function: Callable[Concatenate[S, ...], R]) -> Callable[Concatenate[S, P], R]:
        function.__signature__ = inspect.signature(model).replace(  # type: ignore[attr-defined]
            return_annotation=inspect.signature(function).return_annotation
        )
        return function

    return decorate


class SyncInvoices(_SyncResource[AsyncInvoices]):
    """Invoice operations of a :class:`~fragment.Fragment` (``client.invoices``), as blocking calls.

    Each method takes the same arguments as the :class:`~fragment.AsyncFragment` one and
    returns what it returns; ``create_many_iter`` returns a plain iterator (a generator: close
    it, or use :func:`contextlib.closing`, to stop a batch early). A batch reads its input,
    and calls its ``on_result``, in the client's background thread.

    .. versionadded:: 0.1.0
    """

    create = blocking(AsyncInvoices.create)
    create_many = blocking(AsyncInvoices.create_many)
    create_many_iter = blocking_iter(AsyncInvoices.create_many_iter)


class Fragment:
    """The blocking Fragment client, for scripts, notebooks and threads.

    It takes the same arguments as :class:`~fragment.AsyncFragment` (credentials, base URL,
    timeout, retries, pool settings; each falls back to the same environment variables) and
    offers the same methods as plain calls with the same parameters and return types::

        client = Fragment()
        invoice = client.invoices.create(invoice_id="invoice_2024_001", line_items=[...])

    The calls run the async client's own coroutines on one event loop in a background daemon
    thread, started by the first call and kept until :meth:`close` (or the end of a ``with``
    block). One client may be shared by many threads: their calls run concurrently on that
    loop. It also works from a thread that already runs an event loop (a notebook cell) and
    in a child process after :func:`os.fork`, where it opens its own loop and connections.
    Exceptions are the async client's, unchanged.

    ``http_session`` is refused: an :class:`aiohttp.ClientSession` belongs to the loop it was
    created in, and this client runs its own; pass ``max_connections``, ``trust_env`` or
    ``ssl`` instead.

    .. versionadded:: 0.1.0
    """

    invoices: SyncInvoices
    """Invoice operations: ``create``, ``create_many``, ``create_many_iter``."""

    @_same_parameters_as(AsyncFragment.__init__)
    def __init__(self, **options: Any) -> None:
        if isinstance(options.get("http_session"), aiohttp.ClientSession):
            raise ValueError(
                "Fragment runs its own event loop in a background thread and cannot use an "
                "aiohttp.ClientSession made in another loop; pass max_connections=, trust_env= "
                "or ssl= instead, or use AsyncFragment with your session"
            )
        client = AsyncFragment(**options)
        runtime = _Runtime(client)
        lifetime = _Lifetime()
        self._setup(client, runtime, lifetime)
        # Not __del__: the finalizer holds no reference to the client, and it also runs at
        # interpreter exit, while the daemon portal thread is still alive to close the session.
        weakref.finalize(lifetime, runtime.finalize)

    def _setup(self, client: AsyncFragment, runtime: _Runtime, lifetime: _Lifetime) -> None:
        self._async = client
        self._runtime = runtime
        self._lifetime = lifetime
        self.invoices = SyncInvoices(lifetime, runtime, client.invoices)

    @_same_parameters_as(AsyncFragment.with_options)
    def with_options(self, **changes: Any) -> Fragment:
        """Return a client with other defaults that shares this one's portal, connection pool and token.

        Closing either closes what they share.
        """
        clone = object.__new__(Fragment)
        clone._setup(self._async.with_options(**changes), self._runtime, self._lifetime)
        return clone

    @property
    def base_url(self) -> str:
        """The API's base URL, without a trailing slash."""
        return self._async.base_url

    @property
    def max_retries(self) -> int:
        """How many times a failed request is retried."""
        return self._async.max_retries

    @property
    def timeout(self) -> aiohttp.ClientTimeout:
        """The default timeout of each request."""
        return self._async.timeout

    def close(self) -> None:
        """Close the HTTP session, then stop the background event loop and join its thread.

        Calls still running in other threads are cancelled. Calling it again does nothing.
        """
        self._runtime.close()

    def __enter__(self) -> Fragment:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        described = repr(self._async)  # the async client's repr already leaves the secret out
        return type(self).__name__ + described[described.index("(") :]
