"""The API's 18 operations: each route's method, path template and handler.

A handler gets an authenticated :class:`Call`, reads it with the SDK's own validator
(:mod:`._requests`), applies the store's rules under the store's lock and answers with the
SDK's own response models (:mod:`._render`). Refusals are raised as :class:`ApiError`.
Most handlers are one of four shapes (create, retrieve, update, list) given the operation's
parts; the three that are not are written out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, TypeVar
from urllib.parse import unquote

import attrs
from multidict import MultiMapping

from ..types import (
    ExternalAccountCreateParams,
    InvoiceCreateParams,
    InvoiceUpdateParams,
    ProductCreateParams,
    RoleCreateParams,
    TransactionCreateAllocationsParams,
    TransactionCreateParams,
    TransactionListParams,
    UserCreateParams,
)
from . import _catalog, _invoices, _render, _requests, _transactions
from ._answers import Answer, ApiError, data_answer
from ._balances import invoice_balances
from ._store import Store
from ._workspace import Outcome, Workspace

__all__ = ["ROUTES", "Call", "Route"]


@attrs.frozen
class Call:
    """One authenticated request, as a handler sees it."""

    store: Store
    workspace_id: str
    """The workspace of the client whose token came with the request."""
    path: Mapping[str, str]
    """The path parameters, each decoded from exactly one percent-encoded segment."""
    query: MultiMapping[str]
    body: bytes


Handler = Callable[[Call], Answer]


@attrs.frozen
class Route:
    """One operation of the API."""

    method: str
    path: str
    """The path template, as API.md writes it: ``/invoices/{id}``; also the key of its stats."""
    operation: str
    """The SDK's name of the operation: ``invoices.create``."""
    handler: Handler
    takes_query: bool = False
    """Only ``GET /transactions`` has query parameters; elsewhere any is refused."""

    def respond(self, store: Store, workspace_id: str, raw_path: str, query: MultiMapping[str], body: bytes) -> Answer:
        """Run the handler for an authenticated request; a refusal becomes its error answer."""
        try:
            if not self.takes_query:
                _requests.no_query(query)
            return self.handler(Call(store, workspace_id, self._path_values(raw_path), query, body))
        except ApiError as refusal:
            return refusal.answer()

    def _path_values(self, raw_path: str) -> dict[str, str]:
        """Decode each parameter from its own raw segment: ``inv%201%2F%C3%A9`` is ``inv 1/é``.

        The router matched the path, so the raw segments line up with the template's.
        Decoding is strict: a segment that is not percent-encoded UTF-8 is a 400.
        """
        segments = raw_path.partition("?")[0].split("/")
        values: dict[str, str] = {}
        for part, segment in zip(self.path.split("/"), segments, strict=False):
            if part.startswith("{"):
                try:
                    values[part[1:-1]] = unquote(segment, errors="strict")
                except UnicodeDecodeError:
                    message = f"the path segment {segment!r} is not percent-encoded UTF-8"
                    raise ApiError(400, "invalid_request_error", message) from None
        return values


P = TypeVar("P")
N = TypeVar("N")
Op = TypeVar("Op")
R = TypeVar("R")


class _Versioned(Protocol):
    """A request that names the version it applies to."""

    @property
    def version(self) -> int: ...


V = TypeVar("V", bound=_Versioned)

# --- the shapes most operations share ------------------------------------------------------
# The body is read and checked before the store's lock is taken, and the answer rendered after
# it is released: a record read once is a consistent snapshot.


def _create(
    params_cls: type[P],
    new: Callable[[P], N],
    create: Callable[[Workspace, N], tuple[Outcome, R]],
    render: Callable[[R], object],
) -> Handler:
    """``POST /<resources>``: 201 with the new record, or 200 with the stored one on a replay."""

    def handler(call: Call) -> Answer:
        wanted = new(_requests.body(params_cls, call.body))
        with call.store.open(call.workspace_id) as workspace:
            outcome, record = create(workspace, wanted)
        return data_answer(outcome.value, render(record))

    return handler


def _retrieve(get: Callable[[Workspace, str], R], render: Callable[[R], object], *, key: str = "id") -> Handler:
    """``GET /<resources>/{key}``: the record, or the 404 that ``get`` raises."""

    def handler(call: Call) -> Answer:
        with call.store.open(call.workspace_id) as workspace:
            record = get(workspace, call.path[key])
        return data_answer(200, render(record))

    return handler


def _update(
    params_cls: type[V],
    operations: Callable[[V], tuple[Op, ...]],
    update: Callable[[Workspace, str, Sequence[Op], float], R],
    render: Callable[[R], object],
) -> Handler:
    """``POST /<resources>/{id}[/...]``: apply the body's operations to the version it names."""

    def handler(call: Call) -> Answer:
        params = _requests.body(params_cls, call.body)
        wanted = operations(params)
        with call.store.open(call.workspace_id) as workspace:
            record = update(workspace, call.path["id"], wanted, params.version)
        return data_answer(200, render(record))

    return handler


def _list(kind: str) -> Handler:
    """``GET /<resources>``: every record of the caller's workspace, as :meth:`Emulator.invoices` lists them."""

    def handler(call: Call) -> Answer:
        return data_answer(200, _render.stored(call.store, kind, call.workspace_id))

    return handler


# --- each operation's handler, where the table below cannot spell it on one line ----------

_update_invoice = _update(InvoiceUpdateParams, _requests.line_item_operations, _invoices.update, _render.invoice)
_create_product = _create(ProductCreateParams, _requests.new_product, _catalog.create_product, _render.product)
_create_role = _create(RoleCreateParams, _requests.new_role, _catalog.create_role, _render.role)
_create_user = _create(UserCreateParams, _requests.new_user, _catalog.create_user, _render.user)
_create_account = _create(ExternalAccountCreateParams, _requests.new_account, _catalog.create_account, _render.account)
_create_transaction = _create(
    TransactionCreateParams, _requests.new_transaction, _transactions.create, _render.transaction
)
_create_allocations = _update(
    TransactionCreateAllocationsParams,
    _requests.allocation_operations,
    _transactions.update_allocations,
    _render.transaction,
)


def _create_invoice(call: Call) -> Answer:
    params = _requests.body(InvoiceCreateParams, call.body)
    with call.store.open(call.workspace_id) as workspace:
        outcome, record = _invoices.create(workspace, params.invoice_id, _requests.new_line_items(params))
    return data_answer(outcome.value, _render.invoice(record))


def _retrieve_invoice(call: Call) -> Answer:
    with call.store.open(call.workspace_id) as workspace:
        record = _invoices.get(workspace, call.path["id"])
        balances = invoice_balances(record, workspace.transactions)
    return data_answer(200, _render.invoice_with_balances(record, balances))


def _list_transactions(call: Call) -> Answer:
    params = _requests.query(TransactionListParams, call.query)
    with call.store.open(call.workspace_id) as workspace:
        records = _transactions.listing(workspace, account=params.account, status=params.reconciliation_status)
    return data_answer(200, [_render.transaction(record) for record in records])


ROUTES: tuple[Route, ...] = (
    Route("POST", "/invoices", "invoices.create", _create_invoice),
    Route("GET", "/invoices/{id}", "invoices.retrieve", _retrieve_invoice),
    Route("POST", "/invoices/{id}", "invoices.update", _update_invoice),
    Route("GET", "/invoices", "invoices.list", _list("invoices")),
    Route("GET", "/invoices/{id}/history", "invoices.list_history", _retrieve(_invoices.get, _render.invoice_history)),
    Route("POST", "/products", "products.create", _create_product),
    Route("GET", "/products/{code}", "products.retrieve", _retrieve(_catalog.get_product, _render.product, key="code")),
    Route("GET", "/products", "products.list", _list("products")),
    Route("POST", "/roles", "roles.create", _create_role),
    Route("GET", "/roles", "roles.list", _list("roles")),
    Route("POST", "/users", "users.create", _create_user),
    Route("GET", "/users", "users.list", _list("users")),
    Route("POST", "/external-accounts", "external_accounts.create", _create_account),
    Route("GET", "/external-accounts", "external_accounts.list", _list("external_accounts")),
    Route("POST", "/transactions", "transactions.create", _create_transaction),
    Route("GET", "/transactions/{id}", "transactions.retrieve", _retrieve(_transactions.get, _render.transaction)),
    Route("GET", "/transactions", "transactions.list", _list_transactions, takes_query=True),
    Route("POST", "/transactions/{id}/allocations", "transactions.create_allocations", _create_allocations),
)
"""Every operation of the API, in the order of API.md's table."""
