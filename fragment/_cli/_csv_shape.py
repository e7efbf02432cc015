"""The CSV columns of an import, derived from the create's params model.

A text or number field is a column of its own name (``invoice_id``); a nested object is one
column per field, joined with ``_`` (``account`` -> ``account_id``, ``account_external_id``);
one list of objects may hold the items that the rows of a record add, one row per item
(``line_items`` -> ``amount``, ``currency_code``...). Item columns are prefixed with the
item's name (``allocation_amount``) when one of them would take a record column's name. A
create with a field no column can hold (a list of text, a second list) has no CSV shape:
its files are JSON Lines.
"""

from __future__ import annotations

from typing import Any

import attrs

from ._fields import kind_of, object_fields, sequence_item

__all__ = ["Column", "CsvShape", "csv_shape"]


@attrs.frozen
class Column:
    """One CSV column: where its cells go in the create's arguments."""

    name: str
    path: tuple[str, ...]
    """The keys from the record (or item) down to the value: ``("account", "external_id")``."""
    required: bool
    """The header must have it, and its cell is passed even when empty (for the validator to name);
    an optional column's empty cell is left out."""
    integer: bool = False
    """Its cells are whole numbers."""


@attrs.frozen
class CsvShape:
    """How the rows of a CSV file make the arguments of a create."""

    key: str
    """The column that names a record; adjacent rows with the same key make one record."""
    columns: tuple[Column, ...]
    """The record's own columns (the key's included)."""
    items: str | None = None
    """The list field that each row adds an item to; None: one row per record."""
    item_columns: tuple[Column, ...] = ()
    items_required: bool = False
    """Whether every row is an item (its columns required); else a row whose item cells are
    all empty adds none."""
    groups: tuple[tuple[str, ...], ...] = ()
    """Sets of optional columns of which the header must have at least one (``account_id``,
    ``account_external_id``)."""

    @property
    def names(self) -> tuple[str, ...]:
        """Every column's name: the key first, then the record's, then the items'."""
        others = [column.name for column in (*self.columns, *self.item_columns) if column.name != self.key]
        return (self.key, *others)

    @property
    def required(self) -> tuple[str, ...]:
        """The columns the header must have."""
        return tuple(name for name in self.names if self.column(name).required)

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        return next(column for column in (*self.columns, *self.item_columns) if column.name == name)


def csv_shape(params: type, key: str, *, items_required: bool) -> CsvShape | None:
    """The CSV shape of a create whose params model is ``params``, or None when CSV cannot hold it."""
    fields = object_fields(params)
    if fields is None:
        return None
    columns: list[Column] = []
    groups: list[tuple[str, ...]] = []
    items: str | None = None
    item_columns: list[Column] = []
    for name, hint, required in fields:
        flat = _flatten(name, (name,), hint, required, groups)
        if flat is not None:
            columns += flat
            continue
        item = sequence_item(hint)
        item_flat = _flatten("", (), item, required and items_required, groups) if item is not None else None
        if item_flat is None or items is not None:
            return None
        items, item_columns = name, item_flat
    if key not in {column.name for column in columns}:
        return None
    if items is not None and {column.name for column in item_columns} & {column.name for column in columns}:
        prefix = items[:-1] if items.endswith("s") else items
        renamed = {column.name: f"{prefix}_{column.name}" for column in item_columns}
        item_columns = [attrs.evolve(column, name=renamed[column.name]) for column in item_columns]
        groups = [tuple(renamed.get(name, name) for name in group) for group in groups]
    return CsvShape(key, tuple(columns), items, tuple(item_columns), items_required, tuple(groups))


def _flatten(
    name: str, path: tuple[str, ...], hint: Any, required: bool, groups: list[tuple[str, ...]]
) -> list[Column] | None:
    """The columns of one field (a nested object's, joined by ``_``), or None when it has no column form."""
    kind = kind_of(hint)
    if kind in ("text", "integer", "number"):
        return [Column(name, path, required, integer=kind == "integer")]
    fields = object_fields(hint)
    if fields is None:
        return None
    columns: list[Column] = []
    for inner, inner_hint, inner_required in fields:
        flat = _flatten(
            f"{name}_{inner}" if name else inner, (*path, inner), inner_hint, required and inner_required, groups
        )
        if flat is None:
            return None
        columns += flat
    if required and not any(column.required for column in columns):
        groups.append(tuple(column.name for column in columns))
    return columns
