"""The emulator's vocabulary: what a request asks for, and what the store keeps.

Requests arrive as the SDK's params models (checked by the shared validator) and are turned
into the small values below, so the store's rules do not depend on how the models are
spelled. Stored records are frozen: a change replaces the record, so a record read once is
a consistent snapshot that needs no lock to render.
"""

from __future__ import annotations

from datetime import datetime

import attrs

__all__ = [
    "AccountRecord",
    "AccountRef",
    "AddAllocation",
    "AddLineItem",
    "AllocationOp",
    "AllocationRecord",
    "DeleteAllocation",
    "DeleteLineItem",
    "ExternalRef",
    "InvoiceRecord",
    "InvoiceVersion",
    "LineItemOp",
    "LineItemRecord",
    "NewAllocation",
    "NewExternalAccount",
    "NewLineItem",
    "NewProduct",
    "NewTransaction",
    "NewUser",
    "ProductRecord",
    "RoleRecord",
    "RoleRef",
    "TransactionRecord",
    "UpdateLineItem",
    "UserRecord",
    "UserRef",
]

# --- what requests ask for ---------------------------------------------------------------


@attrs.frozen
class NewLineItem:
    """A line item to add to an invoice (on create, or by an ``add`` update)."""

    amount: str
    currency_code: str
    description: str
    product_id: str
    type: str
    user_id: str


@attrs.frozen
class AddLineItem:
    """``{"op": "add", ...}`` of ``invoices.update``."""

    item: NewLineItem


@attrs.frozen
class UpdateLineItem:
    """``{"op": "update", "id", "amount"}``: only the amount of a line item can change."""

    id: str
    amount: str


@attrs.frozen
class DeleteLineItem:
    """``{"op": "delete", "id"}``."""

    id: str


LineItemOp = AddLineItem | UpdateLineItem | DeleteLineItem


@attrs.frozen
class RoleRef:
    """A role named by its ``id``, its ``name``, or (if both are given) both."""

    id: str | None = None
    name: str | None = None


@attrs.frozen
class NewProduct:
    """The content of ``products.create``."""

    code: str
    description: str
    paid_by_roles: tuple[RoleRef, ...] = ()
    paid_to_roles: tuple[RoleRef, ...] = ()


@attrs.frozen
class NewUser:
    """The content of ``users.create``: the role is named, not referenced by id."""

    external_id: str
    role: str


@attrs.frozen
class NewExternalAccount:
    """The content of ``external_accounts.create``."""

    external_id: str
    name: str


@attrs.frozen
class ExternalRef:
    """A user or an external account, named by its ``id``, its ``external_id`` or both."""

    id: str | None = None
    external_id: str | None = None


# The names say which of the two a rule expects; the reference is the same.
AccountRef = ExternalRef
UserRef = ExternalRef


@attrs.frozen
class NewAllocation:
    """An allocation of part of a transaction to an invoice, for one user."""

    amount: str
    invoice_id: str
    type: str
    user: UserRef


@attrs.frozen
class NewTransaction:
    """The content of ``transactions.create``."""

    account: AccountRef
    allocations: tuple[NewAllocation, ...]
    amount: str
    currency: str
    external_id: str
    posted: datetime
    """Timezone-aware: two spellings of one instant are the same transaction."""


@attrs.frozen
class AddAllocation:
    """``{"op": "add", ...}`` of ``transactions.create_allocations``."""

    allocation: NewAllocation


@attrs.frozen
class DeleteAllocation:
    """``{"op": "delete", "id"}``."""

    id: str


AllocationOp = AddAllocation | DeleteAllocation

# --- what the store keeps ----------------------------------------------------------------


@attrs.frozen
class LineItemRecord(NewLineItem):
    """A stored line item: the requested one plus its generated ``id``."""

    id: str

    @classmethod
    def of(cls, id: str, item: NewLineItem) -> LineItemRecord:
        """The record of ``item`` under ``id``."""
        return cls(**attrs.asdict(item, recurse=False), id=id)


@attrs.frozen
class InvoiceVersion:
    """An invoice's line items as one version left them."""

    number: int
    line_items: tuple[LineItemRecord, ...]
    modified: datetime


@attrs.frozen
class InvoiceRecord:
    """A stored invoice with every version it has been through (version 1 first)."""

    id: str
    workspace_id: str
    created: datetime
    requested: tuple[NewLineItem, ...]
    """The line items it was created with: an identical create is a replay."""
    versions: tuple[InvoiceVersion, ...]

    @property
    def current(self) -> InvoiceVersion:
        """The latest version."""
        return self.versions[-1]


@attrs.frozen
class RoleRecord:
    """A stored role."""

    id: str
    name: str


@attrs.frozen
class ProductRecord:
    """A stored product, its role references resolved."""

    id: str
    code: str
    created: datetime
    description: str
    paid_by_roles: tuple[RoleRecord, ...]
    paid_to_roles: tuple[RoleRecord, ...]
    update_version: int
    workspace_id: str


@attrs.frozen
class UserRecord:
    """A stored user; ``role`` is the role's name."""

    id: str
    external_id: str
    role: str


@attrs.frozen
class AccountRecord:
    """A stored external account."""

    id: str
    external_id: str
    name: str


@attrs.frozen
class AllocationRecord:
    """A stored allocation, its user resolved."""

    id: str
    amount: str
    invoice_id: str
    type: str
    user: UserRecord


@attrs.frozen
class TransactionRecord:
    """A stored transaction."""

    id: str
    account: AccountRecord
    allocations: tuple[AllocationRecord, ...]
    amount: str
    created: datetime
    currency: str
    external_id: str
    posted: datetime
    version: int
    modified: datetime
    requested: tuple[object, ...]
    """What it was created with, references resolved: an identical create is a replay."""
