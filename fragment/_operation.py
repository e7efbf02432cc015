"""How an operation is declared once and offered by both clients.

An operation is a declaration: its HTTP method, path template, the params model of its body or
query, and its response model. The resource method that carries it has a signature (for users
and type checkers) and a docstring, and no body::

    class Invoices(Resource[ModeT]):
        @operation("GET", "/invoices/{id}", response=InvoiceRetrieveResponse)
        def retrieve(self, id: str, /, **options: Unpack[RequestOptions]) -> None:
            \"\"\"Get an invoice by ID, with its balances.\"\"\"

The same resource class serves both clients: ``Invoices[Async]`` (on :class:`~fragment.AsyncFragment`)
returns coroutines, ``Invoices[Blocking]`` (on :class:`~fragment.Fragment`) runs those very
coroutines on the blocking client's portal. :class:`Endpoint` is a descriptor whose ``__get__``
is overloaded on the resource's mode, so type checkers see the exact parameters with either
return type; a ``functools.partial`` or a ``__getattr__`` proxy would lose them.
"""

from __future__ import annotations

import abc
import functools
import inspect
import re
import typing
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Coroutine, Generator, Iterable, Mapping
from typing import (
    TYPE_CHECKING,
    Any,
    Concatenate,
    Generic,
    ParamSpec,
    Protocol,
    Self,
    TypedDict,
    TypeVar,
    Unpack,
    overload,
)
from urllib.parse import quote

import attrs

from ._batch import BatchResult, BatchSpec, check_concurrency, collect_batch, run_batch
from ._errors import FieldError, ValidationError
from ._modify import DEFAULT_MODIFY_ATTEMPTS, read_modify_write
from ._raw import RawResponse

if TYPE_CHECKING:
    import aiohttp

    from ._client import AsyncFragment
    from ._pacing import Pacer

__all__ = [
    "Async",
    "AsyncRaw",
    "BatchCall",
    "Blocking",
    "BlockingRaw",
    "CreateMany",
    "CreateManyIter",
    "Endpoint",
    "ModeT",
    "ModifyCall",
    "Operation",
    "RawView",
    "ReadModifyWrite",
    "RequestOptions",
    "Resource",
    "Runner",
    "batches",
    "operation",
]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
ParamsT_contra = TypeVar("ParamsT_contra", contravariant=True)


class Async:
    """The mode of a resource on :class:`~fragment.AsyncFragment`: methods return coroutines."""


class Blocking:
    """The mode of a resource on :class:`~fragment.Fragment`: methods block and return the result."""


class AsyncRaw:
    """The mode of ``AsyncFragment``'s ``with_raw_response`` views: coroutines of :class:`~fragment.RawResponse`."""


class BlockingRaw:
    """The mode of ``Fragment``'s ``with_raw_response`` views: blocking, returning :class:`~fragment.RawResponse`."""


ModeT = TypeVar("ModeT", Async, Blocking, AsyncRaw, BlockingRaw)


class RequestOptions(TypedDict, total=False):
    """Keyword arguments every operation takes, for this one request only.

    .. versionadded:: 0.2.0
    """

    extra_headers: Mapping[str, str] | None
    """Headers added to (or replacing) the client's."""
    extra_query: Mapping[str, object] | None
    """Query parameters merged last: they override a same-named parameter of the operation."""
    extra_body: Mapping[str, object] | None
    """Top-level JSON body fields merged last (never sent on a GET); not validated."""
    timeout: float | aiohttp.ClientTimeout | None
    """This request's timeout, overriding the client's."""


OPTION_NAMES = frozenset(RequestOptions.__annotations__)


class Runner(Protocol):
    """What the blocking client gives its resources: a way to run a coroutine to its result."""

    def run(self, open_call: Callable[[], Awaitable[R]]) -> R:
        """Run the awaitable made by ``open_call`` and return its result (or raise its exception)."""
        ...

    def iterate(self, open_iterator: Callable[[], AsyncIterator[T]]) -> Generator[T, None, None]:
        """Pull the items of the async iterator made by ``open_iterator``, one per ``next()``."""
        ...


class Resource(Generic[ModeT]):
    """A group of operations (``client.invoices``): bound to one client, in one mode."""

    def __init__(self, client: AsyncFragment, runner: Runner | None = None, *, raw: bool = False) -> None:
        self._client = client
        self._runner = runner
        self._raw = raw

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"


AsyncT = TypeVar("AsyncT")
BlockingT = TypeVar("BlockingT")


class _PerMode(Generic[AsyncT, BlockingT], abc.ABC):
    """A resource's attribute that is an ``AsyncT`` on an :class:`Async` resource, a ``BlockingT`` on a blocking one.

    The overloads, written once here, tell type checkers which by the resource's mode. A raw
    resource has none of these; on the class, the attribute is the descriptor itself.
    """

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, instance: Resource[Blocking], owner: type[Any]) -> BlockingT: ...
    @overload
    def __get__(self, instance: Resource[Async], owner: type[Any]) -> AsyncT: ...
    def __get__(self, instance: Resource[Any] | None, owner: type[Any]) -> Any:
        return self if instance is None else self._bind(instance)

    @abc.abstractmethod
    def _bind(self, instance: Resource[Any]) -> Any:
        """The value on ``instance``."""


@attrs.frozen
class Operation(Generic[R]):
    """One endpoint of the API: everything the request pipeline needs to know about it."""

    name: str
    """``resource.method``, for messages and logs."""
    method: str
    path: str
    """The path template, with ``{name}`` for each path parameter, in order."""
    response: type[R]
    body: type | None = None
    """The params model sent as the JSON body."""
    query: type | None = None
    """The params model sent as the query string."""
    version_guarded: bool = False
    """A write guarded by a ``version``: a 409 means the version is stale, and is not retried."""
    path_params: tuple[str, ...] = attrs.field(init=False)

    @path_params.default
    def _path_params(self) -> tuple[str, ...]:
        return tuple(part[1:-1] for part in self.path.split("/") if part.startswith("{"))

    def path_for(self, values: tuple[object, ...]) -> str:
        """The request path, each value percent-encoded as exactly one segment.

        ``quote(safe="")`` and not yarl's ``/``: both of those keep a ``/`` in an ID as a
        separator, so ``inv/1?x`` would reach another resource.
        """
        if not self.path_params and not values:
            return self.path  # nothing to fill in (a create): no need to split and join it
        encoded = iter(_segment(name, value) for name, value in zip(self.path_params, values, strict=True))
        return "/".join(next(encoded) if part.startswith("{") else part for part in self.path.split("/"))


def _segment(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise ValidationError([FieldError(name, f"expected a non-empty string, got {type(value).__name__} {value!r}")])
    if not value:
        raise ValidationError([FieldError(name, "must not be empty, got ''")])
    if value in (".", ".."):
        # A dot segment is resolved away by URL normalisation: it would address another resource.
        raise ValidationError([FieldError(name, f"{value!r} cannot be sent as an ID: it names a path, not a resource")])
    try:
        return quote(value, safe="")
    except UnicodeEncodeError:  # a lone surrogate has no UTF-8 form
        problem = f"{value!r} is not valid text (it holds a lone surrogate)"
    raise ValidationError([FieldError(name, problem)])


_VERSION_PARAM = ":param version: the ``version`` as last read: the write applies only if it is still current."
_STALE_VERSION = (
    ":raises ConflictError: ``version`` is stale (another write came first); it is not retried: resending"
    " it cannot succeed."
)


def _common_fields(doc: str, operation: Operation[Any]) -> list[str]:
    """The fields that follow from the declaration: options, checked arguments, a version guard, errors."""
    fields = [
        ":param options: :class:`~fragment.RequestOptions` for this request only.",
        *_checked_field(doc, operation),
    ]
    if operation.version_guarded:
        fields = [_VERSION_PARAM, *fields, _STALE_VERSION]
    return [
        *fields,
        ":raises APIStatusError: an error answer (the subclass by status), after retries.",
        ":raises APIConnectionError: no answer, after retries.",
    ]


def _checked_field(doc: str, operation: Operation[Any]) -> list[str]:
    """The ``ValidationError`` of an operation with arguments, unless its docstring says more precisely when."""
    if ":raises ValidationError:" in doc:
        return []
    if operation.body or operation.query:
        return [":raises ValidationError: an argument is invalid; nothing was sent."]
    if operation.path_params:  # checked by _segment
        names = " or ".join(f"``{name}``" for name in operation.path_params)
        return [f":raises ValidationError: {names} is not a string, or is empty, ``.`` or ``..``; nothing was sent."]
    return []


def _with_common_fields(doc: str, operation: Operation[Any]) -> str:
    """The declared docstring, with the fields every operation of its kind shares written once, here."""
    lines = doc.rstrip().splitlines()
    indent = next((line[: len(line) - len(line.lstrip())] for line in lines[1:] if line.strip()), "")
    common = _common_fields(doc, operation)
    at = next((i for i, line in enumerate(lines) if line.strip().startswith(".. version")), len(lines))
    while at > 1 and not lines[at - 1].strip():
        at -= 1
    added = [indent + line for line in common]
    if not any(line.strip().startswith(":") for line in lines[:at]):
        added.insert(0, "")
    rest = lines[at:]
    while rest and not rest[0].strip():
        rest = rest[1:]
    return "\n".join([*lines[:at], *added, *([""] if rest else []), *rest]) + "\n"


def _snake_case(class_name: str) -> str:
    """``ExternalAccounts`` -> ``external_accounts``: the attribute users reach the resource by."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()


def operation(
    method: str, path: str, *, response: type[R], body: type | None = None, query: type | None = None
) -> Callable[[Callable[Concatenate[Any, P], None]], Endpoint[P, R]]:
    """Declare a resource method as one operation of the API (see the module docstring).

    The decorated function gives the operation its name, parameters and docstring: path
    parameters are positional-only, in the order of the path template; every other
    parameter is a field of ``body`` or ``query``, plus :class:`RequestOptions`. A field
    passed as None is left out of the request. An operation that takes a ``version`` is a
    write guarded by it (:attr:`Operation.version_guarded`).
    """

    def declare(signature_only: Callable[Concatenate[Any, P], None]) -> Endpoint[P, R]:
        return Endpoint(signature_only, method, path, response, body, query)

    return declare


class Endpoint(Generic[P, R]):
    """A declared operation on a resource class: a coroutine method or a blocking one, by mode."""

    def __init__(
        self,
        signature_only: Callable[..., None],
        method: str,
        path: str,
        response: type[R],
        body: type | None,
        query: type | None,
    ) -> None:
        self.__name__ = signature_only.__name__
        self.__qualname__ = signature_only.__qualname__
        resource = _snake_case(signature_only.__qualname__.split(".")[0])
        version_guarded = "version" in inspect.signature(signature_only).parameters
        self.operation = Operation(
            f"{resource}.{signature_only.__name__}", method, path, response, body, query, version_guarded
        )
        self.__doc__ = _with_common_fields(signature_only.__doc__ or "", self.operation)
        self._binder = _Binder(signature_only, self.operation)

    @property
    def signature(self) -> inspect.Signature:
        """The operation's parameters as users call it (without ``self``)."""
        return self._binder.signature

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> Endpoint[P, R]: ...
    @overload
    def __get__(self, instance: Resource[Blocking], owner: type[Any]) -> Callable[P, R]: ...
    @overload
    def __get__(self, instance: Resource[Async], owner: type[Any]) -> Callable[P, Coroutine[Any, Any, R]]: ...
    @overload
    def __get__(self, instance: Resource[BlockingRaw], owner: type[Any]) -> Callable[P, RawResponse[R]]: ...
    @overload
    def __get__(
        self, instance: Resource[AsyncRaw], owner: type[Any]
    ) -> Callable[P, Coroutine[Any, Any, RawResponse[R]]]: ...
    def __get__(self, instance: Resource[Any] | None, owner: type[Any]) -> Any:
        if instance is None:
            return self
        client, runner, raw = instance._client, instance._runner, instance._raw
        operation, bind = self.operation, self._binder.bind

        def call(*args: Any, **kwargs: Any) -> Coroutine[Any, Any, Any]:
            # Bound here, not in a coroutine: a wrong call raises TypeError at once, as any
            # function would, rather than when (or if) the coroutine is awaited.
            path_values, fields, options = bind(args, kwargs)
            return client._call(operation, path_values, fields, options, raw=raw)

        if runner is None:
            return self._describe(call, instance)

        def call_blocking(*args: Any, **kwargs: Any) -> Any:
            path_values, fields, options = bind(args, kwargs)
            # The portal forwards positional arguments only: the arguments travel in the closure.
            return runner.run(lambda: client._call(operation, path_values, fields, options, raw=raw))

        return self._describe(call_blocking, instance)

    def _describe(self, function: Callable[..., Any], instance: Resource[Any]) -> Callable[..., Any]:
        """Give the bound function the declaration's name, docstring and signature (for help() and IDEs).

        On an async resource it is kept there, as :func:`functools.cached_property` would keep
        it: this descriptor has no ``__set__``, so the resource's own attribute is found first
        from then on, and a loop of awaited calls binds the operation once, not once a call.
        That resource and its client already refer to each other; a blocking resource is not
        cached, so that a dropped :class:`~fragment.Fragment` is still freed (and closed) at once.
        """
        function.__name__ = self.__name__
        function.__qualname__ = self.__qualname__
        function.__doc__ = self.__doc__
        function.__signature__ = self._binder.signature  # type: ignore[attr-defined]
        function.__self__ = instance  # type: ignore[attr-defined]
        if instance._runner is None:
            instance.__dict__[self.__name__] = function
        return function


class _Binder:
    """Sorts a call's arguments into path values, fields and options, as Python would check them.

    Cheaper than :meth:`inspect.Signature.bind` on every call, which matters for a sequence
    of small requests.
    """

    def __init__(self, signature_only: Callable[..., None], operation: Operation[Any]) -> None:
        signature = inspect.signature(signature_only)
        parameters = list(signature.parameters.values())[1:]  # without self
        self.signature = signature.replace(parameters=parameters, return_annotation=operation.response.__name__)
        self._name = f"{operation.name}()"
        positional = [p.name for p in parameters if p.kind is inspect.Parameter.POSITIONAL_ONLY]
        if tuple(positional) != operation.path_params:
            raise TypeError(f"{self._name}: positional parameters {positional} differ from the path's")
        keywords = [p for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY]
        self._positional_count = len(positional)
        self._fields = frozenset(p.name for p in keywords)
        self._required = frozenset(p.name for p in keywords if p.default is inspect.Parameter.empty)

    def bind(
        self, args: tuple[object, ...], kwargs: dict[str, Any]
    ) -> tuple[tuple[object, ...], dict[str, Any], RequestOptions]:
        """Split a call's arguments; a field passed as None is left out, as if not given."""
        if len(args) != self._positional_count:
            raise TypeError(f"{self._name} takes {self._positional_count} positional argument(s), got {len(args)}")
        options: dict[str, Any] = {}
        fields: dict[str, Any] = {}
        for key, value in kwargs.items():
            if key in self._fields:
                if value is not None:
                    fields[key] = value
            elif key in OPTION_NAMES:
                options[key] = value
            else:
                raise TypeError(f"{self._name} got an unexpected keyword argument {key!r}")
        missing = self._required.difference(kwargs)
        if missing:
            names = ", ".join(repr(name) for name in sorted(missing))
            raise TypeError(f"{self._name} missing required keyword-only argument(s): {names}")
        return args, fields, options  # type: ignore[return-value]


ParamsT = TypeVar("ParamsT")


ResultT_co = TypeVar("ResultT_co", covariant=True)


class BatchCall(Protocol[ParamsT_contra, R, ResultT_co]):
    """A resource's ``create_many`` or ``create_many_iter`` in one mode: a call whose result is a ``ResultT_co``."""

    def __call__(
        self,
        items: Iterable[ParamsT_contra | Mapping[str, Any]] | AsyncIterable[ParamsT_contra | Mapping[str, Any]],
        /,
        *,
        concurrency: int | None = ...,
        on_result: Callable[[BatchResult[R]], object] | None = ...,
    ) -> ResultT_co: ...


class _BatchDescriptor(Generic[ParamsT, R]):
    """What ``create_many`` and ``create_many_iter`` share: the batch spec of one create."""

    _DOC = ""
    _ASYNC_RESULT = ""
    """The result of a call on an async resource, awaited, written as in ``BatchCall`` (for the reference)."""

    def __init__(self, create: Endpoint[Any, R], params: type[ParamsT], *, key: str) -> None:
        self._operation = create.operation
        self._params = params
        self._key = key
        resource = create.operation.name.split(".")[0].replace("_", " ")
        self.__doc__ = self._DOC.format(resource=resource, key=key, params=params.__name__)

    def __set_name__(self, owner: type, name: str) -> None:
        self.__name__ = name

    @property
    def signature(self) -> inspect.Signature:
        """The call's parameters and result on an async resource (for the reference)."""
        return self._signature(self._ASYNC_RESULT)

    def _signature(self, result: str) -> inspect.Signature:
        """:class:`BatchCall`'s parameters, returning ``result``; annotated in terms of ``ParamsT_contra`` and ``R``."""
        call = inspect.signature(BatchCall.__call__)
        return call.replace(parameters=list(call.parameters.values())[1:], return_annotation=result)

    def _describe(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """Give the bound function its name, docstring and signature (for help() and IDEs)."""
        function.__name__ = self.__name__
        function.__doc__ = self.__doc__
        function.__signature__ = self._signature(function.__annotations__["return"])  # type: ignore[attr-defined]
        return function

    def _spec(self, client: AsyncFragment) -> BatchSpec[ParamsT, R]:
        operation = self._operation

        def send(params: ParamsT, pacer: Pacer) -> Awaitable[R]:
            # The coroutine of _send itself, not one more awaiting it: this runs for every item.
            return client._send(operation, operation.path, params, {}, pacer=pacer)

        # A transport without ``widen`` (a custom one) keeps the pool it has.
        widen = getattr(client._shared.transport, "widen", None)
        return BatchSpec(client._checker(self._params), self._key, send, widen=widen)


class CreateMany(
    _BatchDescriptor[ParamsT, R],
    _PerMode[
        BatchCall[ParamsT, R, Coroutine[Any, Any, list[BatchResult[R]]]], BatchCall[ParamsT, R, list[BatchResult[R]]]
    ],
):
    """A resource's ``create_many``: many creates at once, results in input order."""

    _ASYNC_RESULT = "list[BatchResult[R]]"
    _DOC = """Create many {resource} concurrently; return one result per input item, in input order.

        ``items`` is an iterable or async iterable of dicts (the keyword arguments of
        ``create``) or :class:`~fragment.types.{params}`, pulled lazily. A failed item never
        stops the batch: its :class:`~fragment.BatchResult` carries the error. A repeated
        ``{key}`` is not sent again. See ``create_many_iter`` for the guarantees, and to
        stream results without holding them all.
        """

    def _bind(self, instance: Resource[Any]) -> Callable[..., Any]:
        client, runner, spec = instance._client, instance._runner, self._spec(instance._client)

        async def create_many(
            items: Any, /, *, concurrency: int | None = None, on_result: Any = None
        ) -> list[BatchResult[R]]:
            check_concurrency(concurrency)
            return await collect_batch(
                items, spec, concurrency=concurrency, on_result=on_result, sleep=client._shared.sleep
            )

        if runner is None:
            return self._describe(create_many)

        def create_many_blocking(*args: Any, **kwargs: Any) -> list[BatchResult[R]]:
            return runner.run(lambda: create_many(*args, **kwargs))

        return self._describe(create_many_blocking)


class CreateManyIter(
    _BatchDescriptor[ParamsT, R],
    _PerMode[
        BatchCall[ParamsT, R, AsyncIterator[BatchResult[R]]],
        BatchCall[ParamsT, R, Generator[BatchResult[R], None, None]],
    ],
):
    """A resource's ``create_many_iter``: many creates at once, each result as it completes."""

    _ASYNC_RESULT = "AsyncIterator[BatchResult[R]]"
    _DOC = """Create many {resource} concurrently, yielding each result as it completes.

        The batch finds by itself how many requests to have in flight and how fast to send:
        it grows while the API keeps up, and backs off when it answers 429 or slower; several
        batches sharing one rate limit settle on fair shares of it. An item is taken from the
        input only when a request slot is free, and the client's connection pool grows with
        the batch. Guarantees:

        * every input item yields exactly one :class:`~fragment.BatchResult`, or the batch
          raises; it stops at once, raising, on refused credentials or an unreachable host;
        * an invalid item fails alone with a :class:`~fragment.ValidationError` (not sent);
        * a second item with a ``{key}`` already seen in this batch is not sent; its error
          names the first item's index. Remembering the keys costs about 17 bytes each
          (17 MB for a million items); everything else is bounded by the concurrency;
        * creates are idempotent by ``{key}``, so retries are safe;
        * a 429 anywhere pauses the whole batch for the server's ``retry-after``; a round trip
          of answers with more than 5% of 429s paces the sends a little below the rate the
          API accepted, which then climbs back (see :doc:`/performance`);
        * an exception raised by the input ends the batch with that exception once the
          requests in flight have finished and been reported;
        * cancelling stops new sends at once; requests in flight are cancelled and reported
          to ``on_result`` with :class:`asyncio.CancelledError` as their error.

        :param concurrency: the most requests in flight; None (the default) adapts, up to 512.
        :param on_result: called with each result as it is produced (for progress).

        .. versionchanged:: 0.2.0 ``concurrency`` defaults to None: adaptive. A concurrency
           above the client's ``max_connections`` widens its pool instead of being refused.
        """

    def _bind(self, instance: Resource[Any]) -> Callable[..., Any]:
        client, runner, spec = instance._client, instance._runner, self._spec(instance._client)

        def create_many_iter(
            items: Any, /, *, concurrency: int | None = None, on_result: Any = None
        ) -> AsyncIterator[BatchResult[R]]:
            check_concurrency(concurrency)
            return run_batch(items, spec, concurrency=concurrency, on_result=on_result, sleep=client._shared.sleep)

        if runner is None:
            return self._describe(create_many_iter)

        def create_many_iter_blocking(*args: Any, **kwargs: Any) -> Generator[BatchResult[R], None, None]:
            # Checked here, in the caller's thread, so a bad concurrency raises at the call.
            iterator = create_many_iter(*args, **kwargs)
            return runner.iterate(lambda: iterator)

        return self._describe(create_many_iter_blocking)


def batches(
    create: Endpoint[Any, R], params: type[ParamsT], *, key: str
) -> tuple[CreateMany[ParamsT, R], CreateManyIter[ParamsT, R]]:
    """Declare a resource's ``create_many`` and ``create_many_iter``, both sending ``create``.

    Each item is checked as ``params`` (the body of ``create``); ``key`` is the field that
    identifies an item, which creates are idempotent by::

        create_many, create_many_iter = batches(create, RoleCreateParams, key="role")
    """
    return CreateMany(create, params, key=key), CreateManyIter(create, params, key=key)


AsyncRawT = TypeVar("AsyncRawT")
BlockingRawT = TypeVar("BlockingRawT")


class RawView(_PerMode[AsyncRawT, BlockingRawT]):
    """A resource's ``with_raw_response``: the same resource, whose operations return :class:`~fragment.RawResponse`.

    Declared once per resource class with the two views' types, which type checkers cannot
    derive from the class on their own::

        with_raw_response: RawView[Invoices[AsyncRaw], Invoices[BlockingRaw]] = RawView()
    """

    def _bind(self, instance: Resource[Any]) -> Resource[Any]:
        return type(instance)(instance._client, instance._runner, raw=True)


StateT = TypeVar("StateT")
StateT_co = TypeVar("StateT_co", covariant=True)
OpT = TypeVar("OpT")
OpT_contra = TypeVar("OpT_contra", contravariant=True)


class ModifyCall(Protocol[StateT_co, OpT_contra, ResultT_co]):
    """A resource's read-modify-write (``invoices.modify``) in one mode: a call whose result is a ``ResultT_co``."""

    def __call__(
        self,
        id: str,
        /,
        change: Callable[[StateT_co], Iterable[OpT_contra | Mapping[str, Any]]],
        *,
        max_attempts: int = DEFAULT_MODIFY_ATTEMPTS,
        **options: Unpack[RequestOptions],
    ) -> ResultT_co: ...


class ReadModifyWrite(_PerMode[ModifyCall[StateT, OpT, Coroutine[Any, Any, R]], ModifyCall[StateT, OpT, R]]):
    """A resource's read-modify-write: ``retrieve``, compute operations, ``write`` them at the version read.

    Declared once per resource with the types that type checkers cannot read off the two
    operations: the data ``change`` gets, the operations it returns and the write's response::

        modify = ReadModifyWrite[InvoiceWithBalances, LineItemsUpdate, InvoiceUpdateResponse](
            retrieve, update, operations="line_items_update", noun="invoice"
        )

    ``operations`` is the write's parameter that takes the operations; ``noun`` names what
    ``retrieve`` returns, in the docstring. The loop itself is :mod:`fragment._modify`'s. It is
    several requests, so a raw resource has none.
    """

    _DOC = """Read the {noun}, compute operations from it, and write them at its version.

        ``change({noun})`` gets the {noun} as just retrieved and returns the operations for
        :meth:`{write}`. If another writer changes the {noun} in between (a version conflict),
        the {noun} is read again and ``change`` called again on the new state, up to
        ``max_attempts`` reads in all; so no concurrent write is lost. ``change`` may run
        several times: it should only compute, not act. If it returns no operation, nothing is
        sent and the {noun} as read is returned.

        :raises ConflictError: still conflicting after ``max_attempts`` reads.
        """

    def __init__(
        self,
        retrieve: Endpoint[Any, Any],
        write: Endpoint[Any, R],
        *,
        operations: str,
        noun: str,
        versionadded: str | None = None,
    ) -> None:
        self._retrieve = retrieve
        self._write = write
        self._operations = operations
        self.__doc__ = self._DOC.format(noun=noun, write=write.__name__)
        if versionadded:
            self.__doc__ += f"\n        .. versionadded:: {versionadded}\n"

    def __set_name__(self, owner: type, name: str) -> None:
        self.__name__ = name
        self.__qualname__ = f"{owner.__qualname__}.{name}"

    @functools.cached_property
    def signature(self) -> inspect.Signature:
        """:class:`ModifyCall`'s parameters and result, in the two operations' models (for help() and the reference).

        What ``change`` gets is the ``data`` that ``retrieve`` answers; what it returns, the
        items of the write's ``operations`` field.
        """
        body = typing.get_type_hints(self._write.operation.body)
        (operation,) = typing.get_args(body[self._operations])
        concrete = {
            "StateT_co": typing.get_type_hints(self._retrieve.operation.response)["data"],
            "OpT_contra": operation,
            "ResultT_co": self._write.operation.response,
        }
        hints = typing.get_type_hints(ModifyCall.__call__, localns=concrete)
        call = inspect.signature(ModifyCall.__call__)
        parameters = [
            parameter.replace(annotation=hints[parameter.name]) for parameter in [*call.parameters.values()][1:]
        ]
        return call.replace(parameters=parameters, return_annotation=hints["return"])

    def _bind(self, instance: Resource[Any]) -> Callable[..., Any]:
        if instance._raw:
            raise AttributeError(
                f"{self.__name__} has no raw response: it is several requests; call it on the resource"
            )
        runner = instance._runner
        # The loop awaits the resource's operations: it runs on an async view of the resource.
        resource = instance if runner is None else type(instance)(instance._client)
        retrieve: Callable[..., Coroutine[Any, Any, Any]] = self._retrieve.__get__(resource, type(resource))
        write: Callable[..., Coroutine[Any, Any, R]] = self._write.__get__(resource, type(resource))
        field = self._operations
        response: Callable[..., R] = self._write.operation.response

        async def modify(
            id: str,
            /,
            change: Callable[[Any], Iterable[Any]],
            *,
            max_attempts: int = DEFAULT_MODIFY_ATTEMPTS,
            **options: Any,
        ) -> R:
            async def read() -> Any:
                return (await retrieve(id, **options)).data

            async def write_at_its_version(current: Any, operations: list[Any]) -> R:
                version = int(current.version)  # the official invoice model types it as float; the API counts in ints
                return await write(id, **{field: operations}, version=version, **options)

            def unchanged(current: Any) -> R:
                return response(data=current)

            return await read_modify_write(read, change, write_at_its_version, unchanged, max_attempts=max_attempts)

        self._describe(modify, instance)
        if runner is None:
            return modify

        def modify_blocking(*args: Any, **kwargs: Any) -> R:
            # The portal forwards positional arguments only: the arguments travel in the closure.
            return runner.run(lambda: modify(*args, **kwargs))

        return self._describe(modify_blocking, instance)

    def _describe(self, function: Callable[..., Any], instance: Resource[Any]) -> Callable[..., Any]:
        """Give the bound function the declaration's name, docstring and signature (for help() and IDEs)."""
        function.__name__ = self.__name__
        function.__qualname__ = self.__qualname__
        function.__doc__ = self.__doc__
        function.__signature__ = self.signature  # type: ignore[attr-defined]
        function.__self__ = instance  # type: ignore[attr-defined]
        return function
