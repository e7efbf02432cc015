"""The rules of the workspace's catalog: roles, users, products and external accounts.

Each is unique by its caller-chosen key (role name, user ``externalId``, product ``code``,
account ``external_id``). Creating it again with the same content replays the stored record
(200); different content under a taken key is a 409. References to roles must exist.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._errors import FieldError
from ._answers import ApiError
from ._records import (
    AccountRecord,
    NewExternalAccount,
    NewProduct,
    NewUser,
    ProductRecord,
    RoleRecord,
    RoleRef,
    UserRecord,
)
from ._workspace import Outcome, Workspace

__all__ = ["create_account", "create_product", "create_role", "create_user", "get_product"]


def create_role(workspace: Workspace, name: str) -> tuple[Outcome, RoleRecord]:
    """Store a role; a role's only content is its name, so a repeat is always a replay."""
    stored = workspace.roles.get(name)
    if stored is not None:
        return Outcome.REPLAYED, stored
    record = RoleRecord(workspace.new_id("role"), name)
    workspace.roles.put(record)
    return Outcome.CREATED, record


def create_user(workspace: Workspace, new: NewUser) -> tuple[Outcome, UserRecord]:
    """Store a user whose role, named by ``role``, must exist."""
    if workspace.roles.get(new.role) is None:
        raise ApiError.invalid_reference([FieldError("role", f"no role named {new.role!r} in this workspace")])
    stored = workspace.users.get(new.external_id)
    if stored is not None:
        if stored.role == new.role:
            return Outcome.REPLAYED, stored
        raise ApiError.conflict(f"user {new.external_id!r} already exists with role {stored.role!r}")
    record = UserRecord(workspace.new_id("user"), new.external_id, new.role)
    workspace.users.put(record)
    return Outcome.CREATED, record


def create_account(workspace: Workspace, new: NewExternalAccount) -> tuple[Outcome, AccountRecord]:
    """Store an external account, unique by ``external_id``."""
    stored = workspace.accounts.get(new.external_id)
    if stored is not None:
        if stored.name == new.name:
            return Outcome.REPLAYED, stored
        raise ApiError.conflict(f"external account {new.external_id!r} already exists with name {stored.name!r}")
    record = AccountRecord(workspace.new_id("ext_account"), new.external_id, new.name)
    workspace.accounts.put(record)
    return Outcome.CREATED, record


def create_product(workspace: Workspace, new: NewProduct) -> tuple[Outcome, ProductRecord]:
    """Store a product, its role references (by id or name) resolved; unique by ``code``.

    Two creates are the same product when their description and resolved roles are equal,
    however the roles were named.
    """
    errors: list[FieldError] = []
    paid_by = _resolve_roles(workspace, "paid_by_roles", new.paid_by_roles, errors)
    paid_to = _resolve_roles(workspace, "paid_to_roles", new.paid_to_roles, errors)
    if errors:
        raise ApiError.invalid_reference(errors)
    stored = workspace.products.get(new.code)
    if stored is not None:
        if (stored.description, stored.paid_by_roles, stored.paid_to_roles) == (new.description, paid_by, paid_to):
            return Outcome.REPLAYED, stored
        raise ApiError.conflict(f"product {new.code!r} already exists with different content")
    record = ProductRecord(
        id=workspace.new_id("prod"),
        code=new.code,
        created=workspace.now(),
        description=new.description,
        paid_by_roles=paid_by,
        paid_to_roles=paid_to,
        update_version=1,
        workspace_id=workspace.id,
    )
    workspace.products.put(record)
    return Outcome.CREATED, record


def get_product(workspace: Workspace, code: str) -> ProductRecord:
    """The product with this code, or a 404."""
    record = workspace.products.get(code)
    if record is None:
        raise ApiError.not_found("product", code)
    return record


def _resolve_roles(
    workspace: Workspace, field: str, refs: Sequence[RoleRef], errors: list[FieldError]
) -> tuple[RoleRecord, ...]:
    resolved: list[RoleRecord] = []
    for index, ref in enumerate(refs):
        by_id = workspace.roles.by_id(ref.id) if ref.id is not None else None
        by_name = workspace.roles.get(ref.name) if ref.name is not None else None
        path = f"{field}[{index}]"
        if ref.id is not None and by_id is None:
            errors.append(FieldError(f"{path}.id", f"no role with id {ref.id!r} in this workspace"))
        elif ref.name is not None and by_name is None:
            errors.append(FieldError(f"{path}.name", f"no role named {ref.name!r} in this workspace"))
        elif by_id is not None and by_name is not None and by_id != by_name:
            errors.append(FieldError(path, f"id {ref.id!r} and name {ref.name!r} are two different roles"))
        elif (role := by_id or by_name) is not None:
            resolved.append(role)
        else:
            errors.append(FieldError(path, "a role reference needs an id or a name"))
    return tuple(resolved)
