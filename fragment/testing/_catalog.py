"""The rules of the workspace's catalog: roles, users, products and external accounts.

Each is unique by its caller-chosen key (role name, user ``externalId``, product ``code``,
account ``external_id``). Creating it again with the same content replays the stored record
(200); different content under a taken key is a 409. References to roles must exist, and the
references other resources make to accounts and users are resolved here too.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._errors import FieldError
from ._answers import ApiError
from ._records import (
    AccountRecord,
    AccountRef,
    NewExternalAccount,
    NewProduct,
    NewUser,
    ProductRecord,
    RoleRecord,
    RoleRef,
    UserRecord,
    UserRef,
)
from ._rules import created, or_not_found, replay_or_conflict, with_paths
from ._workspace import Outcome, Workspace

__all__ = [
    "create_account",
    "create_product",
    "create_role",
    "create_user",
    "get_product",
    "resolve_account",
    "resolve_user",
]


def create_role(workspace: Workspace, name: str) -> tuple[Outcome, RoleRecord]:
    """Store a role; a role's only content is its name, so a repeat is always a replay."""
    stored = workspace.roles.get(name)
    if stored is not None:
        return Outcome.REPLAYED, stored
    return created(workspace.roles, RoleRecord(workspace.new_id("role"), name))


def create_user(workspace: Workspace, new: NewUser) -> tuple[Outcome, UserRecord]:
    """Store a user whose role, named by ``role``, must exist."""
    if workspace.roles.get(new.role) is None:
        raise ApiError.invalid_reference([FieldError("role", f"no role named {new.role!r} in this workspace")])
    stored = workspace.users.get(new.external_id)
    if stored is not None:
        return replay_or_conflict(stored, stored.role == new.role, "user", new.external_id, f"role {stored.role!r}")
    return created(workspace.users, UserRecord(workspace.new_id("user"), new.external_id, new.role))


def create_account(workspace: Workspace, new: NewExternalAccount) -> tuple[Outcome, AccountRecord]:
    """Store an external account, unique by ``external_id``."""
    stored = workspace.accounts.get(new.external_id)
    if stored is not None:
        difference = f"name {stored.name!r}"
        return replay_or_conflict(stored, stored.name == new.name, "external account", new.external_id, difference)
    return created(workspace.accounts, AccountRecord(workspace.new_id("ext_account"), new.external_id, new.name))


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
        same = (stored.description, stored.paid_by_roles, stored.paid_to_roles) == (new.description, paid_by, paid_to)
        return replay_or_conflict(stored, same, "product", new.code)
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
    return created(workspace.products, record)


def get_product(workspace: Workspace, code: str) -> ProductRecord:
    """The product with this code, or a 404."""
    return or_not_found(workspace.products.get(code), "product", code)


def resolve_account(workspace: Workspace, ref: AccountRef, errors: list[FieldError]) -> AccountRecord | None:
    """The external account ``ref`` names; None when it names none, with the reason added to ``errors``."""
    by_id = workspace.accounts.by_id(ref.id) if ref.id is not None else None
    by_external_id = workspace.accounts.get(ref.external_id) if ref.external_id is not None else None
    if ref.id is not None and by_id is None:
        errors.append(FieldError("account.id", f"no external account with id {ref.id!r} in this workspace"))
    elif ref.external_id is not None and by_external_id is None:
        message = f"no external account with external_id {ref.external_id!r} in this workspace"
        errors.append(FieldError("account.external_id", message))
    elif by_id is not None and by_external_id is not None and by_id != by_external_id:
        errors.append(FieldError("account", f"id {ref.id!r} and external_id {ref.external_id!r} are two accounts"))
    elif (account := by_id or by_external_id) is not None:
        return account
    else:
        errors.append(FieldError("account", "an account reference needs an id or an external_id"))
    return None


def resolve_user(workspace: Workspace, path: str, ref: UserRef, errors: list[FieldError]) -> UserRecord | None:
    """The user ``ref`` at ``path`` names; None when it names none, with the reason added to ``errors``."""
    by_id = workspace.users.by_id(ref.id) if ref.id is not None else None
    by_external_id = workspace.users.get(ref.external_id) if ref.external_id is not None else None
    if ref.id is not None and by_id is None:
        errors.append(FieldError(f"{path}.id", f"no user with id {ref.id!r} in this workspace"))
    elif ref.external_id is not None and by_external_id is None:
        message = f"no user with external_id {ref.external_id!r} in this workspace"
        errors.append(FieldError(f"{path}.external_id", message))
    elif by_id is not None and by_external_id is not None and by_id != by_external_id:
        errors.append(FieldError(path, f"id {ref.id!r} and external_id {ref.external_id!r} are two users"))
    elif (user := by_id or by_external_id) is not None:
        return user
    else:
        errors.append(FieldError(path, "a user reference needs an id or an external_id"))
    return None


def _resolve_roles(
    workspace: Workspace, field: str, refs: Sequence[RoleRef], errors: list[FieldError]
) -> tuple[RoleRecord, ...]:
    resolved: list[RoleRecord] = []
    for path, ref in with_paths(field, refs):
        by_id = workspace.roles.by_id(ref.id) if ref.id is not None else None
        by_name = workspace.roles.get(ref.name) if ref.name is not None else None
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
