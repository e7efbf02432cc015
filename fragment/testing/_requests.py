"""Reading a request: its JSON body or query, checked by the SDK's own validator, in the store's terms.

The emulator has no validator of its own. :func:`fragment._wire.read_wire_body` renames the
wire keys to Python names; :func:`fragment._validation.validate` then checks every field
exactly as the client does before sending, and a key the API does not use at its place (a
snake_case ``invoice_id`` where the API says ``invoiceId``) is refused too. On the wire an amount is
always a string, so the int convenience of Python callers is off.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from multidict import MultiMapping

from .. import _json
from .._errors import FieldError, ValidationError
from .._validation import validate
from .._wire import from_wire, read_wire_body
from ..types import (
    AllocationAddOp,
    ExternalAccountCreateParams,
    InvoiceCreateParams,
    InvoiceUpdateParams,
    LineItemAddOp,
    LineItemDeleteOp,
    LineItemsUpdate,
    LineItemUpdateOp,
    ProductCreateParams,
    RoleCreateParams,
    TransactionCreateAllocationsParams,
    TransactionCreateParams,
    UserCreateParams,
)
from ..types import LineItem as CreateLineItem
from ..types.transaction_create_params import Allocation
from ._answers import ApiError
from ._records import (
    AccountRef,
    AddAllocation,
    AddLineItem,
    AllocationOp,
    DeleteAllocation,
    DeleteLineItem,
    LineItemOp,
    NewAllocation,
    NewExternalAccount,
    NewLineItem,
    NewProduct,
    NewTransaction,
    NewUser,
    RoleRef,
    UpdateLineItem,
    UserRef,
)

__all__ = [
    "allocation_operations",
    "body",
    "line_item_operations",
    "new_account",
    "new_line_items",
    "new_product",
    "new_role",
    "new_transaction",
    "new_user",
    "no_query",
    "query",
]

P = TypeVar("P")


def body(params_cls: type[P], raw: bytes) -> P:
    """The request body as ``params_cls``, or a 400 naming what is wrong."""
    try:
        decoded = _json.loads(raw)
    except ValueError:
        raise ApiError(400, "invalid_request_error", "the request body is not valid JSON") from None
    if not isinstance(decoded, dict):
        message = f"the request body must be a JSON object, got {type(decoded).__name__}"
        raise ApiError(400, "invalid_request_error", message)
    return _checked(params_cls, decoded)


def query(params_cls: type[P], values: MultiMapping[str]) -> P:
    """The query string as ``params_cls``, or a 400; a parameter given twice is refused."""
    repeated = sorted({key for key in values if len(values.getall(key)) > 1})
    if repeated:
        raise ApiError.invalid_fields([FieldError(key, "given more than once; give it once") for key in repeated])
    return _checked(params_cls, dict(values))


def no_query(values: MultiMapping[str]) -> None:
    """Refuse any query parameter: only ``GET /transactions`` takes some."""
    if values:
        message = "unknown query parameter; this endpoint takes none"
        raise ApiError.invalid_fields([FieldError(key, message) for key in dict(values)])


def _checked(params_cls: type[P], fields_on_wire: Mapping[str, Any]) -> P:
    """Judge a wire body with the client's own validator, naming problems as the client does.

    The validator sees the whole body (unknown keys included, so that it names them and still
    reports the missing fields); then a key the API does not use at its place is refused even
    where its Python name would have passed (``invoice_id`` at the top of a create).
    """
    fields, refused = read_wire_body(params_cls, fields_on_wire)
    try:
        params = validate(params_cls, fields, check_currency_codes=True, int_amounts=False)
    except ValidationError as exc:
        reported = {error.path for error in exc.errors}
        raise ApiError.invalid_fields([*exc.errors, *(e for e in refused if e.path not in reported)]) from None
    if refused:
        raise ApiError.invalid_fields(refused)
    return params


# --- validated params in the store's terms -------------------------------------------------


def new_line_items(params: InvoiceCreateParams) -> tuple[NewLineItem, ...]:
    """The line items of an invoice to create."""
    return tuple(_new_line_item(item) for item in params.line_items)


def line_item_operations(params: InvoiceUpdateParams) -> tuple[LineItemOp, ...]:
    """The operations of an invoice update, in order."""
    return tuple(_line_item_operation(operation) for operation in params.line_items_update)


def _line_item_operation(operation: LineItemsUpdate) -> LineItemOp:
    match operation:
        case LineItemAddOp():
            return AddLineItem(_new_line_item(operation))
        case LineItemUpdateOp():
            return UpdateLineItem(operation.id, operation.amount)
        case LineItemDeleteOp():
            return DeleteLineItem(operation.id)


def _new_line_item(item: CreateLineItem | LineItemAddOp) -> NewLineItem:
    return NewLineItem(item.amount, item.currency_code, item.description, item.product_id, item.type, item.user_id)


def new_product(params: ProductCreateParams) -> NewProduct:
    """A product to create; absent role lists are empty."""
    return NewProduct(
        params.code,
        params.description,
        tuple(RoleRef(ref.id, ref.name) for ref in params.paid_by_roles or ()),
        tuple(RoleRef(ref.id, ref.name) for ref in params.paid_to_roles or ()),
    )


def new_role(params: RoleCreateParams) -> str:
    """A role to create: a role is only its name."""
    return params.role


def new_user(params: UserCreateParams) -> NewUser:
    """A user to create."""
    return NewUser(params.external_id, params.role)


def new_account(params: ExternalAccountCreateParams) -> NewExternalAccount:
    """An external account to create."""
    return NewExternalAccount(params.external_id, params.name)


def new_transaction(params: TransactionCreateParams) -> NewTransaction:
    """A transaction to create."""
    return NewTransaction(
        account=AccountRef(params.account.id, params.account.external_id),
        allocations=tuple(_new_allocation(allocation) for allocation in params.allocations),
        amount=params.amount,
        currency=params.currency,
        external_id=params.external_id,
        # The validator has checked that a string is ISO 8601 with an offset; the wire
        # converter reads it as the client reads timestamps.
        posted=params.posted if isinstance(params.posted, datetime) else from_wire(datetime, params.posted),
    )


def allocation_operations(params: TransactionCreateAllocationsParams) -> tuple[AllocationOp, ...]:
    """The operations of an allocation change, in order: each adds or deletes one."""
    return tuple(
        AddAllocation(_new_allocation(operation))
        if isinstance(operation, AllocationAddOp)
        else DeleteAllocation(operation.id)
        for operation in params.allocation_updates
    )


def _new_allocation(allocation: Allocation | AllocationAddOp) -> NewAllocation:
    user = allocation.user
    return NewAllocation(allocation.amount, allocation.invoice_id, allocation.type, UserRef(user.id, user.external_id))
