"""What kind of command line value each field of a params model is, read from its type.

Shared by the operation commands (which field becomes which option) and the CSV import
(which field becomes which column): a field is *text* (a string, a choice, a timestamp),
a whole number, a number, a list of flat objects (``line_items``: each one ``KEY=VALUE,...``
on the command line, one row in a CSV file), or anything else, which only JSON can hold.
"""

from __future__ import annotations

import collections.abc
import types
import typing
from datetime import date, datetime
from typing import Any, Literal

import attrs

__all__ = ["FieldKind", "choices_of", "field_hints", "kind_of", "list_item", "object_fields", "sequence_item"]

FieldKind = Literal["text", "integer", "number", "pairs", "json"]

_TEXT_TYPES: tuple[Any, ...] = (str, datetime, date)
_SEQUENCES: tuple[Any, ...] = (list, tuple, collections.abc.Sequence, collections.abc.Iterable)


def field_hints(model: type | None) -> dict[str, Any]:
    """The resolved type of each field of an attrs model (none for no model)."""
    if model is None or not attrs.has(model):
        return {}
    return typing.get_type_hints(model)


def kind_of(hint: Any) -> FieldKind:
    """How a field of type ``hint`` is given on the command line."""
    members = _members(hint)
    if not members:
        return "json"
    if all(_is_literal(member) or member in _TEXT_TYPES for member in members):
        return "text"
    if members == [int]:
        return "integer"
    if set(members) <= {int, float}:
        return "number"
    if len(members) == 1 and list_item(members[0]) is not None:
        return "pairs"
    return "json"


def choices_of(hint: Any) -> tuple[str, ...]:
    """The values a ``Literal`` field takes (empty when it takes any text)."""
    members = _members(hint)
    if not members or not all(_is_literal(member) for member in members):
        return ()
    return tuple(str(value) for member in members for value in typing.get_args(member))


def sequence_item(hint: Any) -> Any | None:
    """The item type of a list type (or of an optional one), or None when ``hint`` is no list."""
    members = _members(hint)
    if len(members) != 1 or typing.get_origin(members[0]) not in _SEQUENCES:
        return None
    arguments = typing.get_args(members[0])
    return arguments[0] if arguments else None


def list_item(hint: Any) -> Any | None:
    """The item type of a list of flat objects (attrs models, or a union of them, with text fields only)."""
    item = sequence_item(hint)
    if item is None:
        return None
    models = _members(item)
    if not models or not all(attrs.has(model) for model in models):
        return None
    if all(kind_of(field) == "text" for model in models for field in field_hints(model).values()):
        return item
    return None


def object_fields(hint: Any) -> list[tuple[str, Any, bool]] | None:
    """The fields of an object type (an attrs model, or a union of them) as ``(name, type, required)``.

    None when ``hint`` is not an object type. A field is required only when every model of
    the union requires it.
    """
    models = _members(hint)
    if not models or not all(attrs.has(model) for model in models):
        return None
    fields: dict[str, tuple[Any, bool]] = {}
    for model in models:
        hints = field_hints(model)
        for field in attrs.fields(model):
            required = field.default is attrs.NOTHING and len(models) == 1
            fields.setdefault(field.name, (hints[field.name], required))
    return [(name, hint, required) for name, (hint, required) in fields.items()]


def _members(hint: Any) -> list[Any]:
    """The types of a union (or the type itself), without None."""
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        members = [member for member in typing.get_args(hint) if member is not type(None)]
        return [inner for member in members for inner in _members(member)]
    return [] if hint is type(None) else [hint]


def _is_literal(hint: Any) -> bool:
    return typing.get_origin(hint) is Literal
