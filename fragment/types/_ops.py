"""What the operation models of updates share: their field order, and the delete-by-ID operation.

An operation (``op: "add"``, ``"update"``, ``"delete"``) is one item of a list that changes
an invoice's line items or a transaction's allocations, or one entry of an invoice's diff.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

from ._model import Model

__all__ = ["DeleteById", "operation_fields"]


def operation_fields(cls: type, fields: list[attrs.Attribute[Any]]) -> list[attrs.Attribute[Any]]:
    """The ``field_transformer`` of an operation model that takes fields from a base class.

    attrs lists a base's fields first and, since attrs 25.4, leaves them positional; an
    operation starts with its ``op`` (on the wire, in ``to_dict()`` and in the order its
    fields are checked) and takes keyword arguments only, whichever attrs is installed.
    """
    ordered = sorted(fields, key=lambda field: field.name != "op")
    return [field.evolve(kw_only=True) for field in ordered]


@attrs.frozen(kw_only=True)
class DeleteById(Model):
    """Remove a line item or an allocation by its ID: the public delete operations subclass this."""

    op: Literal["delete"] = "delete"
    """``"delete"``."""
    id: str
    """The ID of the line item or allocation to remove."""
