"""The API's 18 operations: each route's method, path template and handler.

A handler gets an authenticated :class:`Call`, reads it with the SDK's own validator
(:mod:`._requests`), applies the store's rules under the store's lock and answers with the
SDK's own response models (:mod:`._render`). Refusals are raised as :class:`ApiError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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


@attrs.frozen
class Route:
    """One operation of the API."""

    method: str
    path: str
    """The path template, as API.md writes it: ``/invoices/{id}``; also the key of its stats."""
    operation: str
    """The SDK's name of the operation: ``invoices.create``."""
    handler: Callable[[Call], Answer]
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


# --- invoices ------------------------------------------------------------------------------


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


def _update_invoice(call: Call) -> Answer:
    params = _requests.body(InvoiceUpdateParams, call.body)
    operations = _requests.line_item_operations(params)
    with call.store.open(call.workspace_id) as workspace:
        record = _invoices.update(workspace, call.path["id"], operations, params.version)
    return data_answer(200, _render.invoice(record))


def _list_invoices(call: Call) -> Answer:
    with call.store.open(call.workspace_id) as workspace:
        records = list(workspace.invoices)
    return data_answer(200, [_render.invoice(record) for record in records])


def _list_invoice_history(call: Call) -> Answer:
    with call.store.open(call.workspace_id) as workspace:
        record = _invoices.get(workspace, call.path["id"])
    return data_answer(200, _render.invoice_history(record))


# --- products, roles, users, external accounts ---------------------------------------------


def _create_product(call: Call) -> Answer:
    params = _requests.body(ProductCreateParams, call.body)
    with call.store.open(call.workspace_id) as workspace:
        outcome, record = _catalog.create_product(workspace, _requests.new_product(params))
    return data_answer(outcome.value, _render.product(record))


def _retrieve_product(call: Call) -> Answer:
    with call.store.open(call.workspace_id) as workspace:
        record = _catalog.get_product(workspace, call.path["code"])
    return data_answer(200, _render.product(record))


def _list_products(call: Call) -> Answer:
    with call.store.open(call.workspace_id) as workspace:
        records = list(workspace.products)
    return data_answer(200, [_render.product(record) for record in records])


def _create_role(call: Call) -> Answer:
    params = _requests.body(RoleCreateParams, call.body)
    with call.store.open(call.workspace_id) as workspace:
        outcome, record = _catalog.create_role(workspace, params.role)
    return data_answer(outcome.value, _render.role(record))


def _list_roles(call: Call) -> Answer:
    with call.store.open(call.workspace_id) as workspace:
        records = list(workspace.roles)
    return data_answer(200, [_render.role(record) for record in records])


def _create_user(call: Call) -> Answer:
    params = _requests.body(UserCreateParams, call.body)
    with call.store.open(call.workspace_id) as workspace:
        outcome, record = _catalog.create_user(workspace, _requests.new_user(params))
    return data_answer(outcome.value, _render.user(record))


def _list_users(call: Call) -> Answer:
    with call.store.open(call.workspace_id) as workspace:
        records = list(workspace.users)
    return data_answer(200, [_render.user(record) for record in records])


def _create_account(call: Call) -> Answer:
    params = _requests.body(ExternalAccountCreateParams, call.body)
    with call.store.open(call.workspace_id) as workspace:
        outcome, record = _catalog.create_account(workspace, _requests.new_account(params))
    return data_answer(outcome.value, _render.account(record))


def _list_accounts(call: Call) -> Answer:
    with call.store.open(call.workspace_id) as workspace:
        records = list(workspace.accounts)
    return data_answer(200, [_render.account(record) for record in records])


# --- transactions --------------------------------------------------------------------------


def _create_transaction(call: Call) -> Answer:
    params = _requests.body(TransactionCreateParams, call.body)
    with call.store.open(call.workspace_id) as workspace:
        outcome, record = _transactions.create(workspace, _requests.new_transaction(params))
    return data_answer(outcome.value, _render.transaction(record))


def _retrieve_transaction(call: Call) -> Answer:
    with call.store.open(call.workspace_id) as workspace:
        record = _transactions.get(workspace, call.path["id"])
    return data_answer(200, _render.transaction(record))


def _list_transactions(call: Call) -> Answer:
    params = _requests.query(TransactionListParams, call.query)
    with call.store.open(call.workspace_id) as workspace:
        records = _transactions.listing(workspace, account=params.account, status=params.reconciliation_status)
    return data_answer(200, [_render.transaction(record) for record in records])


def _create_allocations(call: Call) -> Answer:
    params = _requests.body(TransactionCreateAllocationsParams, call.body)
    operations = _requests.allocation_operations(params)
    with call.store.open(call.workspace_id) as workspace:
        record = _transactions.update_allocations(workspace, call.path["id"], operations, params.version)
    return data_answer(200, _render.transaction(record))


ROUTES: tuple[Route, ...] = (
    Route("POST", "/invoices", "invoices.create", _create_invoice),
    Route("GET", "/invoices/{id}", "invoices.retrieve", _retrieve_invoice),
    Route("POST", "/invoices/{id}", "invoices.update", _update_invoice),
    Route("GET", "/invoices", "invoices.list", _list_invoices),
    Route("GET", "/invoices/{id}/history", "invoices.list_history", _list_invoice_history),
    Route("POST", "/products", "products.create", _create_product),
    Route("GET", "/products/{code}", "products.retrieve", _retrieve_product),
    Route("GET", "/products", "products.list", _list_products),
    Route("POST", "/roles", "roles.create", _create_role),
    Route("GET", "/roles", "roles.list", _list_roles),
    Route("POST", "/users", "users.create", _create_user),
    Route("GET", "/users", "users.list", _list_users),
    Route("POST", "/external-accounts", "external_accounts.create", _create_account),
    Route("GET", "/external-accounts", "external_accounts.list", _list_accounts),
    Route("POST", "/transactions", "transactions.create", _create_transaction),
    Route("GET", "/transactions/{id}", "transactions.retrieve", _retrieve_transaction),
    Route("GET", "/transactions", "transactions.list", _list_transactions, takes_query=True),
    Route("POST", "/transactions/{id}/allocations", "transactions.create_allocations", _create_allocations),
)
"""Every operation of the API, in the order of API.md's table."""
