"""Fragment: the blocking facade over :class:`~fragment.AsyncFragment`. The only module that touches anyio's portal.

No operation is written here. A ``Fragment`` carries the async client's own resource classes in
blocking mode (``Invoices[Blocking]``, see :mod:`fragment._operation`): each of their methods
hands the async client's coroutine to the client's runner, which runs it on an anyio
:class:`~anyio.from_thread.BlockingPortal` and blocks until it is done.

Lifetimes. A client and its ``with_options`` copies (a family) share one portal, started by
:func:`anyio.from_thread.start_blocking_portal` (a daemon thread named ``fragment-portal``) on
their first call and kept until :meth:`Fragment.close`. Its shutdown steps are registered on an
:class:`contextlib.ExitStack` as they are set up, and the stack is kept only once the setup has
fully succeeded. A family that is never closed is closed by a :func:`weakref.finalize` on its
runner (at garbage collection or interpreter exit), never by ``__del__``. After :func:`os.fork`
an at-fork hook makes the child drop the parent's portal and connections without touching them;
its next call starts its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from concurrent.futures import CancelledError as FutureCancelledError
from concurrent.futures import Future, wait
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, Concatenate, Final, Generic, ParamSpec, TypeVar

import anyio
import anyio.abc
from anyio.from_thread import BlockingPortal, start_blocking_portal

from ._client import AsyncFragment
from ._errors import ClientClosedError
from ._raw import BlockingRawClient
from .resources import RESOURCES

if TYPE_CHECKING:
    from ._operation import Blocking
    from .resources.external_accounts import ExternalAccounts
    from .resources.invoices import Invoices
    from .resources.products import Products
    from .resources.roles import Roles
    from .resources.transactions import Transactions
    from .resources.users import Users

__all__ = ["Fragment"]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
S = TypeVar("S")

PORTAL_THREAD_NAME: Final = "fragment-portal"
"""The name of every client's portal thread (in thread dumps and debuggers)."""

_CANCEL_CHECK_SECONDS: Final = 0.1
"""How often a call made inside a running event loop looks whether its task was cancelled."""


class _Portal:
    """A started portal: its thread, and the family's tasks running in it.

    The shutdown cancels those tasks and waits for them to end before it closes the
    connections, and stops the portal last. Stopping it first would let a batch's workers
    (plain asyncio tasks, cancelled by the batch's own clean-up) send once more on a session
    opened after the close, that nobody closes ("Unclosed client session" at exit).
    """

    def __init__(self, portal: BlockingPortal, thread: int) -> None:
        self.portal = portal
        self.thread = thread
        """The ident of the portal's thread."""
        self._tasks: set[_Task[Any]] = set()
        self._closing = False
        self._idle: anyio.Event | None = None

    def start(self, function: Callable[[], Awaitable[R]]) -> tuple[Future[R], _Task[R]]:
        """Start ``function()`` as a task of the portal: its future, and the task (to cancel it)."""
        task = _Task(function)
        try:
            return self.portal.start_task_soon(self._run, task), task
        except RuntimeError:  # the portal has stopped since the caller got it
            raise _closed_error() from None

    def call(self, function: Callable[[], Awaitable[R]]) -> R:
        """Run ``function()`` as a task of the portal and wait for its outcome."""
        return _outcome(self.start(function)[0])

    def start_pump(self, open_iterator: Callable[[], AsyncIterator[T]]) -> tuple[Future[None], _Pump[T]]:
        """Start a :class:`_Pump` over the async iterator made by ``open_iterator``: its future, and the pump."""
        try:
            finished, pump = self.portal.start_task(self._run_pump, open_iterator)
        except RuntimeError:  # the portal has stopped since the caller got it
            raise _closed_error() from None
        return finished, pump

    async def _run_pump(
        self, open_iterator: Callable[[], AsyncIterator[T]], *, task_status: anyio.abc.TaskStatus[_Pump[T]]
    ) -> None:
        if self._closing:  # raised by start_task(), like a refusal of start_task_soon()
            raise _closed_error()
        pump = _Pump(open_iterator)  # made here: its cancel scope and event belong to this loop
        task_status.started(pump)
        await self._run(_Task(pump.run))

    async def _run(self, task: _Task[R]) -> R:
        if self._closing:
            raise _closed_error()
        self._tasks.add(task)
        try:
            return await task.run()
        finally:
            self._tasks.discard(task)
            if not self._tasks and self._idle is not None:
                self._idle.set()

    async def shut_down(self, client: AsyncFragment) -> None:
        """Cancel the family's tasks, wait for them to end, close the client's connections, stop the portal."""
        self._closing = True
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            self._idle = anyio.Event()
            await self._idle.wait()
        try:
            await client.close()
        finally:
            await self.portal.stop(cancel_remaining=True)


class _Runtime:
    """The portal of one client family in this process, and the root async client it closes.

    It holds no reference to the family's :class:`_Runner`, so the finalizer attached to the
    runner can close it.
    """

    def __init__(self, client: AsyncFragment) -> None:
        self.client = client
        """The root client: closing it closes the connections its copies share."""
        self._lock = threading.Lock()
        self._portal: _Portal | None = None
        self._stack: ExitStack | None = None
        self._closed = False
        _RUNTIMES.add(self)

    @property
    def closed(self) -> bool:
        """Whether the family was closed (explicitly, or by its finalizer)."""
        return self._closed

    def portal(self) -> _Portal:
        """The portal for a call from this thread; the first call starts it."""
        portal = self._portal
        if portal is None:
            with self._lock:
                if self._closed:
                    raise _closed_error()
                if self._portal is None:
                    self._portal = self._start()
                return self._portal
        if portal.thread == threading.get_ident():
            raise RuntimeError(
                "a blocking Fragment method was called from the client's own portal thread "
                "(from a coroutine or callback running in its event loop), which would deadlock; "
                "await the AsyncFragment method there instead"
            )
        return portal

    def is_current(self, portal: _Portal) -> bool:
        """Whether ``portal`` still serves this family (not closed since, nor left behind by a fork)."""
        return portal is self._portal

    def on_portal_thread(self) -> bool:
        """Whether the calling thread is the thread of the family's running portal."""
        portal = self._portal
        return portal is not None and portal.thread == threading.get_ident()

    def _start(self) -> _Portal:
        with ExitStack() as stack:
            blocking_portal = stack.enter_context(start_blocking_portal(name=PORTAL_THREAD_NAME))
            portal = _Portal(blocking_portal, blocking_portal.call(threading.get_ident))
            # Runs before the portal's own exit (last in, first out), inside its loop.
            stack.callback(blocking_portal.call, portal.shut_down, self.client)
            self._stack = stack.pop_all()
        return portal

    def close(self) -> None:
        """Cancel the calls in flight, close the connections, stop the portal and join its thread. Idempotent."""
        if self.on_portal_thread():
            raise RuntimeError(
                "a Fragment cannot be closed from its own portal thread (this would deadlock); "
                "close it from a thread that uses it"
            )
        # Held throughout, so that a first call racing with close() waits, then sees it closed.
        with self._lock:
            self._closed = True
            stack, self._stack, self._portal = self._stack, None, None
            if stack is not None:
                stack.close()

    def finalize(self) -> None:
        """Close a family that nothing references any more: at garbage collection or interpreter exit."""
        if not self.on_portal_thread():
            self.close()
            return
        # Collected on the portal thread itself (the garbage collector runs wherever memory is
        # allocated): joining that thread here would deadlock. The shutdown runs as a task of
        # the loop instead, which then ends with the portal.
        portal, stack = self._portal, self._stack
        self._closed = True
        self._portal, self._stack = None, None
        if portal is None or stack is None:
            return
        _NEVER_CLOSED.append(stack)  # its exit joins the portal thread: never from that thread
        shutdown = asyncio.get_running_loop().create_task(portal.shut_down(self.client))
        _BACKGROUND.add(shutdown)  # the loop keeps only a weak reference to its tasks
        shutdown.add_done_callback(_BACKGROUND.discard)

    def after_fork(self) -> None:
        """In a forked child (its only thread): forget the parent's portal and connections.

        Neither the portal thread nor its loop exists in the child, and the sockets are shared
        with the parent: closing them here would unregister the parent's sockets from the epoll
        both processes share. The portal's exit stack stays referenced, so that nothing ever
        runs its shutdown in the child; the next call starts a fresh portal and session.
        """
        if self._stack is not None:
            _NEVER_CLOSED.append(self._stack)
        self._lock = threading.Lock()  # a parent thread may have held it at the fork
        self._portal, self._stack = None, None
        self.client._after_fork()


_RUNTIMES: Final[weakref.WeakSet[_Runtime]] = weakref.WeakSet()
_NEVER_CLOSED: Final[list[ExitStack]] = []
_BACKGROUND: Final[set[asyncio.Task[None]]] = set()


def _forget_portals_in_child() -> None:
    # Runs in the child before any other code, in its only thread: no lock can race with it.
    for runtime in list(_RUNTIMES):
        runtime.after_fork()


if hasattr(os, "register_at_fork"):  # every platform that has os.fork
    os.register_at_fork(after_in_child=_forget_portals_in_child)


def _closed_error(detail: str = "this Fragment is closed; create a new one") -> ClientClosedError:
    return ClientClosedError(detail)


def _left_behind_error(runtime: _Runtime) -> RuntimeError:
    """The error of an iterator whose portal no longer serves its client."""
    if runtime.closed:
        return _closed_error()
    return RuntimeError(
        "this iterator was started in the parent process, before os.fork(); start a new one in this process"
    )


def _outcome(future: Future[R]) -> R:
    """Wait for a task handed to the portal; return its result or raise its very exception.

    In a thread whose event loop is running (``asyncio.run``, a notebook), the first Ctrl-C
    does not raise :class:`KeyboardInterrupt`: asyncio's handler cancels the running task
    instead, which could only notice it once this wait is over. So the wait looks at that
    task now and then, and raises :class:`asyncio.CancelledError` in it once it is cancelled
    (``asyncio.run`` then ends with the KeyboardInterrupt).
    """
    task = _calling_task()
    if task is not None:
        cancel_requests = task.cancelling()
        while not wait((future,), timeout=_CANCEL_CHECK_SECONDS).done:
            if task.cancelling() > cancel_requests:
                raise asyncio.CancelledError("cancelled while waiting for a blocking Fragment call")
    try:
        return future.result()
    except FutureCancelledError:
        if future.cancelled():  # the portal cancelled it: a close() in another thread
            raise _closed_error("this Fragment was closed while the call was running") from None
        raise


def _calling_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no event loop runs in this thread
        return None


class _Task(Generic[R]):
    """One task of a family in its portal, which its caller or the shutdown can cancel at any moment.

    Cancelling the task's future would only reach a task whose future the caller already
    holds; this also stops one interrupted while it was being handed to the portal.
    """

    def __init__(self, function: Callable[[], Awaitable[R]]) -> None:
        self._function = function
        self._scope: anyio.CancelScope | None = None
        self._cancelled = False

    async def run(self) -> R:
        """Run the function; raise a clear error if the task is cancelled."""
        with anyio.CancelScope() as self._scope:
            if self._cancelled:
                self._scope.cancel()
            return await self._function()
        # Read by a caller whose call was cancelled by close(); one interrupted by Ctrl-C has left.
        raise _closed_error("this Fragment was closed while the call was running")

    def cancel(self) -> None:
        """Cancel the task; runs in the portal."""
        self._cancelled = True
        if self._scope is not None:
            self._scope.cancel()


class _End:
    """Marks the end of an iteration pulled through the portal."""


_END: Final = _End()


class _Pump(Generic[T]):
    """Drives one async iterator from start to end in ONE portal task, one item per pull.

    Each pull is a separate portal task. Advancing the iterator directly from each of them
    would enter a task group or cancel scope inside it in one task and leave it in another,
    which anyio and asyncio refuse. The iterator only advances when the consumer asks, as
    with ``async for``, so it is suspended at a ``yield`` whenever the consumer stops between
    items, and ``aclose()`` then runs as it would in async code.
    """

    def __init__(self, open_iterator: Callable[[], AsyncIterator[T]]) -> None:
        self._open = open_iterator
        self._scope = anyio.CancelScope()
        self._pulls_in, self._pulls = anyio.create_memory_object_stream[None](1)
        self._items_in, self._items = anyio.create_memory_object_stream[T](1)
        self._pulling = False
        self._done = anyio.Event()

    async def run(self) -> None:
        """Run the async iterator to its end, one item per pull, then close it."""
        try:
            with self._scope:
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
                except anyio.BrokenResourceError:  # the consumer left between its pull and the item
                    pass
                finally:
                    aclose = getattr(iterator, "aclose", None)
                    if aclose is not None:
                        await aclose()
        finally:
            for stream in (self._pulls_in, self._pulls, self._items_in, self._items):
                stream.close()
            self._done.set()

    async def next(self) -> T | _End:
        """The next item, or ``_END`` once the iterator is exhausted, failed or stopped."""
        try:
            await self._pulls_in.send(None)
            return await self._items.receive()
        except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
            return _END

    async def stop(self) -> None:
        """Close the async iterator (``aclose()``) and wait until it is closed."""
        self.abandon()
        await self._done.wait()

    def abandon(self) -> None:
        """Make the pump close the async iterator, without waiting for it; runs in the portal."""
        if self._pulling:
            # The consumer gave up while the iterator was producing an item (Ctrl-C):
            # cancel it there, as cancelling the task that runs ``async for`` would.
            self._scope.cancel()
        self._pulls_in.close()
        self._items.close()


class _Runner:
    """Runs a client family's coroutines on its portal: the ``Runner`` of its blocking resources.

    Everything of the family holds it (the clients and their copies, their resources, bound
    methods and iterators), and nothing in the portal does. The family's finalizer is attached
    to it, so the last of them to go (not a later pass of the cycle collector) closes the portal.
    """

    __slots__ = ("__weakref__", "runtime")

    def __init__(self, runtime: _Runtime) -> None:
        self.runtime = runtime

    def run(self, open_call: Callable[[], Awaitable[R]]) -> R:
        """Run the awaitable made by ``open_call`` on the portal; return its result or raise its very exception."""
        portal = self.runtime.portal()
        future, task = portal.start(open_call)
        try:
            return _outcome(future)
        except BaseException as exc:
            if not isinstance(exc, Exception):
                # Ctrl-C (or the calling task's cancellation): stop the call in the portal too,
                # rather than leaving it running unseen. Not an Exception: those are the call's own.
                with contextlib.suppress(RuntimeError):  # the portal was closed meanwhile
                    portal.portal.call(task.cancel)
            raise

    def iterate(self, open_iterator: Callable[[], AsyncIterator[T]]) -> Generator[T, None, None]:
        """Pull the items of the async iterator made by ``open_iterator`` through the portal.

        Returns a generator; closing it (or its garbage collection) closes the async iterator.
        """
        self.runtime.portal()  # a closed client, or a call from the portal thread, fails here, at the call
        return self._pull(open_iterator)

    def _pull(self, open_iterator: Callable[[], AsyncIterator[T]]) -> Generator[T, None, None]:
        # Every step reaches the portal through ``self.runtime``: the generator holds the runner,
        # and so keeps its client open, until it is closed (as a bound method does).
        portal = self.runtime.portal()
        finished, pump = portal.start_pump(open_iterator)
        try:
            while True:
                if not self.runtime.is_current(portal):
                    raise _left_behind_error(self.runtime)
                item = portal.call(pump.next)
                if isinstance(item, _End):
                    break
                yield item
            _outcome(finished)  # the async iterator's own exception, unchanged
        finally:
            if self.runtime.on_portal_thread():  # the garbage collector closed it on the portal thread
                pump.abandon()
            elif self.runtime.is_current(portal):  # else closed already, or the parent's portal after a fork
                with contextlib.suppress(RuntimeError):  # closed meanwhile, by another thread
                    portal.call(pump.stop)


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


def _async_client(client: Fragment) -> AsyncFragment:
    """The async client a blocking one runs its calls on (where its settings are read)."""
    return client._async


class Fragment:
    """The blocking Fragment client, for scripts, notebooks and threads.

    It takes the same arguments as :class:`~fragment.AsyncFragment` (credentials, base URL,
    timeout, retries, pool settings; each falls back to the same environment variables) and
    offers the same resources and methods as plain calls with the same parameters and return
    types::

        client = Fragment()
        invoice = client.invoices.create(invoice_id="invoice_2024_001", line_items=[...])

    The calls run the async client's own coroutines on one event loop in a background daemon
    thread, started by the first call and kept until :meth:`close` (or the end of a ``with``
    block). One client may be shared by many threads: their calls run concurrently on that
    loop. It also works from a thread that already runs an event loop (a notebook cell) and
    in a child process after :func:`os.fork`, where it opens its own loop and connections.
    Exceptions are the async client's, unchanged. ``create_many_iter`` returns a plain
    iterator (a generator: close it, or use :func:`contextlib.closing`, to stop a batch early);
    a batch reads its input, and calls its ``on_result``, in the background thread.

    ``http_session`` is refused: an :class:`aiohttp.ClientSession` belongs to the loop it was
    created in, and this client runs its own; pass ``max_connections``, ``trust_env`` or
    ``ssl`` instead.

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.2.0 every resource of :class:`~fragment.AsyncFragment`; :attr:`closed`,
       :attr:`max_connections`, :attr:`check_currency_codes`, :meth:`run` and :meth:`iterate`.
    """

    invoices: Invoices[Blocking]
    """Invoices: ``create``, ``retrieve``, ``update``, ``list``, ``list_history``, batches and ``modify``."""
    products: Products[Blocking]
    """Products: ``create``, ``retrieve``, ``list``."""
    roles: Roles[Blocking]
    """Roles: ``create``, ``list``."""
    users: Users[Blocking]
    """Users: ``create``, ``list``."""
    external_accounts: ExternalAccounts[Blocking]
    """External accounts: ``create``, ``list``."""
    transactions: Transactions[Blocking]
    """Transactions: ``create``, ``retrieve``, ``list``, ``create_allocations``, batches."""

    @_same_parameters_as(AsyncFragment.__init__)
    def __init__(self, **options: Any) -> None:
        if options.get("http_session") is not None:
            raise ValueError(
                "Fragment runs its own event loop in a background thread and cannot use an "
                "aiohttp.ClientSession made in another loop; pass max_connections=, trust_env= "
                "or ssl= instead, or use AsyncFragment with your session"
            )
        client = AsyncFragment(**options)
        runtime = _Runtime(client)
        runner = _Runner(runtime)
        # Not __del__: the finalizer holds no reference to the client, and it also runs at
        # interpreter exit, while the daemon portal thread is still alive to close the session.
        weakref.finalize(runner, runtime.finalize)
        self._setup(client, runner)

    def _setup(self, client: AsyncFragment, runner: _Runner) -> None:
        self._async = client
        self._runner = runner
        for name, resource in RESOURCES.items():
            setattr(self, name, resource(client, runner))

    @_same_parameters_as(AsyncFragment.with_options)
    def with_options(self, **changes: Any) -> Fragment:
        """Return a client with other defaults that shares this one's portal, connection pool and token.

        Closing either closes what they share.
        """
        clone = object.__new__(Fragment)
        clone._setup(self._async.with_options(**changes), self._runner)
        return clone

    base_url = AsyncFragment.base_url.via(_async_client)
    max_retries = AsyncFragment.max_retries.via(_async_client)
    timeout = AsyncFragment.timeout.via(_async_client)
    max_connections = AsyncFragment.max_connections.via(_async_client)
    check_currency_codes = AsyncFragment.check_currency_codes.via(_async_client)

    @property
    def with_raw_response(self) -> BlockingRawClient:
        """Every resource, with operations that return a :class:`~fragment.RawResponse` (status, headers, timing).

        The same as ``client.<resource>.with_raw_response``.

        .. versionadded:: 0.2.0
        """
        return BlockingRawClient(self._async, self._runner)

    @_same_parameters_as(AsyncFragment.request)
    def request(self, *args: Any, **kwargs: Any) -> Any:
        """Call an endpoint this SDK does not model yet: :meth:`AsyncFragment.request`, blocking.

        .. versionadded:: 0.2.0
        """
        return self._runner.run(lambda: self._async.request(*args, **kwargs))

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called, on this client or on a copy sharing its portal.

        .. versionadded:: 0.2.0
        """
        return self._runner.runtime.closed

    def run(self, open_call: Callable[[], Awaitable[R]]) -> R:
        """Run the coroutine made by ``open_call()`` on this client's event loop and return its result.

        This is how every blocking method runs its async twin; it also runs a coroutine of
        your own in the client's loop. The exception it raises is re-raised as is. Ctrl-C
        while it waits cancels it in the loop too.

        .. versionadded:: 0.2.0
        """
        return self._runner.run(open_call)

    def iterate(self, open_iterator: Callable[[], AsyncIterator[T]]) -> Generator[T, None, None]:
        """Iterate, as a plain generator, over the async iterator made by ``open_iterator()`` in this client's loop.

        Items are pulled one at a time, as the caller iterates. Closing the generator
        (``close()``, :func:`contextlib.closing`, or its garbage collection after a ``break``)
        closes the async iterator in the loop.

        .. versionadded:: 0.2.0
        """
        return self._runner.iterate(open_iterator)

    def close(self) -> None:
        """Close the client: cancel its calls in flight, close its connections, stop its loop and thread.

        Calls still running in other threads raise :class:`RuntimeError`; so do later calls.
        Calling it again does nothing.
        """
        self._runner.runtime.close()

    def __enter__(self) -> Fragment:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        described = repr(self._async)  # the async client's repr already leaves the secret out
        return type(self).__name__ + described[described.index("(") :]
