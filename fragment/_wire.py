"""The one mapping between Python names and the API's wire names, as a cattrs converter.

The API's keys are not uniformly camelCase, and not even consistent between resources
(users send ``externalId``, external accounts ``external_id``; an invoice create sends
``currencyCode``, an update's add operation ``currency_code``), so the renames are an
explicit table per class rather than a blanket camelCase function. Reading is lenient:
unknown keys are ignored and enum values this release does not know are kept as strings.

Package-internal entry points: :func:`to_wire`, :func:`from_wire`, :func:`params_from_wire`
(strict, for the emulator) and :func:`model_to_dict` (the engine of ``Model.to_dict``).
"""

from __future__ import annotations

import difflib
import functools
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import attrs
from cattrs import Converter
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from cattrs.preconf.json import make_converter

from ._errors import FieldError, ValidationError
from .types import InvoiceCreateParams, InvoiceCreateResponse, Product, User, UserCreateParams
from .types import invoice as invoice_types
from .types import invoice_create_params as invoice_create_types

__all__ = [
    "WIRE_NAMES",
    "from_wire",
    "key_in_path",
    "make_wire_converter",
    "model_to_dict",
    "params_from_wire",
    "read_wire_body",
    "parse_timestamp",
    "renames_of",
    "to_wire",
    "unknown_field_message",
    "variants_by_op",
    # Superseded by to_wire / from_wire / params_from_wire; kept while their callers move.
    "params_to_wire",
    "python_names",
    "response_from_wire",
]

T = TypeVar("T")

WIRE_NAMES: Mapping[type, Mapping[str, str]] = {
    InvoiceCreateParams: {"invoice_id": "invoiceId", "line_items": "lineItems"},
    invoice_create_types.LineItem: {"currency_code": "currencyCode"},
    invoice_types.Invoice: {"workspace_id": "workspaceId", "line_items": "lineItems"},
    invoice_types.LineItem: {"currency_code": "currencyCode"},
    Product: {"update_version": "updateVersion", "workspace_id": "workspaceId"},
    User: {"external_id": "externalId"},
    UserCreateParams: {"external_id": "externalId"},
}
"""Per class, Python attribute name -> wire key, for every name that differs (all others are equal).

A subclass inherits its bases' renames (the invoice of ``retrieve`` and ``list_history``
subclasses :class:`~fragment.types.Invoice`). Everything not listed is sent as named, for
example an update's ``currency_code`` and everything of transactions and external accounts.
"""


def renames_of(cls: type) -> dict[str, str]:
    """The renames of ``cls``: its own entry of :data:`WIRE_NAMES` over those of its bases."""
    renames: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        renames.update(WIRE_NAMES.get(klass, {}))
    return renames


def make_wire_converter(*, forbid_extra_keys: bool = False, use_api_names: bool = True) -> Converter:
    """Build a converter for the models.

    The package uses the lenient default (and a copy with Python names for
    ``to_dict(use_api_names=False)``); tests build a strict copy (``forbid_extra_keys``) to
    catch drift between the models and recorded payloads.
    """
    converter = make_converter()

    def renames(cls: type) -> dict[str, str]:
        return renames_of(cls) if use_api_names else {}

    def overrides(cls: type) -> dict[str, Any]:
        return {name: override(rename=wire) for name, wire in renames(cls).items()}

    def unstructure_fn(cls: type) -> Callable[[Any], dict[str, Any]]:
        optional = [renames(cls).get(a.name, a.name) for a in attrs.fields(cls) if a.default is None]
        return _leaving_out_nones(make_dict_unstructure_fn(cls, converter, **overrides(cls)), optional)

    converter.register_structure_hook_factory(
        attrs.has,
        lambda cls: make_dict_structure_fn(
            cls, converter, _cattrs_forbid_extra_keys=forbid_extra_keys, **overrides(cls)
        ),
    )
    converter.register_unstructure_hook_factory(attrs.has, unstructure_fn)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    converter.register_structure_hook(float, _structure_number)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook_func(_is_open_enum, _structure_str)
    converter.register_structure_hook_func(_is_timestamp_or_text, _structure_timestamp_or_text)
    converter.register_structure_hook_func(_is_op_union, functools.partial(_structure_by_op, converter))
    return converter


def _leaving_out_nones(
    unstructure: Callable[[Any], dict[str, Any]], optional: list[str]
) -> Callable[[Any], dict[str, Any]]:
    """Leave out the ``optional`` keys whose value is None: on the wire, None means "not sent"."""
    if not optional:
        return unstructure  # most models: nothing to strip, no cost

    def unstructure_optional(model: Any) -> dict[str, Any]:
        result = unstructure(model)
        for key in optional:
            if result[key] is None:
                del result[key]
        return result

    return unstructure_optional


def parse_timestamp(text: str) -> datetime:
    """Read an ISO-8601 / RFC 3339 timestamp, accepting ``Z``, ``z`` and ``t`` as RFC 3339 does.

    Raises ValueError when ``text`` is not one. The result may be naive (no offset in the text).
    """
    # datetime.fromisoformat (3.11) accepts "Z" but neither a lowercase zone letter nor a lowercase "t".
    if text.endswith("z"):
        text = text[:-1] + "Z"
    if len(text) > 10 and text[10] == "t":
        text = f"{text[:10]}T{text[11:]}"
    return datetime.fromisoformat(text)


def _structure_datetime(value: Any, _: type) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO-8601 string, got {type(value).__name__}")
    parsed = parse_timestamp(value)
    # The API documents UTC timestamps; a value without an offset is read as UTC so that
    # every datetime a user gets is timezone-aware.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _structure_number(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return value  # an int stays an int: version 1 reads back as 1, not 1.0


def _structure_int(value: Any, _: type) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)  # a JSON encoder that writes 1.0 still means 1
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


def _structure_str(value: Any, _: type) -> str:
    # cattrs' default calls str() on anything, which would turn a null into "None".
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _is_open_enum(tp: Any) -> bool:
    """True for ``Literal[...] | str``: an enum the server may extend."""
    args = typing.get_args(tp)
    return typing.get_origin(tp) is typing.Union and str in args and len(args) == 2


def _is_timestamp_or_text(tp: Any) -> bool:
    """True for ``datetime | str`` (a transaction's ``posted`` param)."""
    return _union_members(tp) == {datetime, str}


def _structure_timestamp_or_text(value: Any, _: type) -> datetime | str:
    return _structure_str(value, str)  # a param: sent as written, so read as written


def _union_members(tp: Any) -> set[Any]:
    origin = typing.get_origin(tp)
    return set(typing.get_args(tp)) if origin is typing.Union or origin is types.UnionType else set()


def _is_op_union(tp: Any) -> bool:
    """True for a union of operation models told apart by ``op`` (update ops, diff entries)."""
    members = _union_members(tp)
    return bool(members) and all(attrs.has(cls) and hasattr(attrs.fields(cls), "op") for cls in members)


def variants_by_op(union: Any) -> dict[str, type]:
    """The members of a union of operation models, by the ``op`` each one stands for."""
    return {attrs.fields(cls).op.default: cls for cls in typing.get_args(union)}


def _structure_by_op(converter: Converter, value: Any, union: Any) -> Any:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    variants = variants_by_op(union)
    op = value.get("op")
    variant = variants.get(op) if isinstance(op, str) else None
    if variant is None:
        if not all(_is_open_enum(typing.get_type_hints(cls)["op"]) for cls in variants.values()):
            raise ValueError(f"unknown op {op!r}; expected one of {', '.join(variants)}")
        # An answer (its op is an open enum) may carry an op this release does not know:
        # it is read as the operation whose keys it shares most.
        variant = max(variants.values(), key=lambda cls: len(value.keys() & _wire_shape(cls).keys()))
    return converter.structure(value, variant)


wire_converter = make_wire_converter()
_python_converter = make_wire_converter(use_api_names=False)


def to_wire(model: Any) -> dict[str, Any]:
    """Return a params or response model as JSON-ready built-ins with the wire's keys.

    Optional fields that are None are left out; datetimes become their ``isoformat()``;
    ints stay ints.
    """
    result: dict[str, Any] = wire_converter.unstructure(model, type(model))
    return result


def from_wire(cls: type[T], data: Any) -> T:
    """Read a JSON-decoded answer (or any wire object) into ``cls``, leniently.

    Unknown keys are ignored, absent optional fields read as None, unknown enum values are
    kept. Raises cattrs' errors, TypeError or ValueError if ``data`` is not ``cls``'s shape.
    """
    return wire_converter.structure(data, cls)


def model_to_dict(model: Any, *, use_api_names: bool = True) -> dict[str, Any]:
    """Unstructure any model to JSON-ready built-ins (the engine of ``Model.to_dict``)."""
    converter = wire_converter if use_api_names else _python_converter
    result: dict[str, Any] = converter.unstructure(model, type(model))
    return result


# --- wire bodies to Python names (the emulator's side) ---------------------------------------


def params_from_wire(params_cls: type, body: object) -> dict[str, Any]:
    """Rename a wire request body's keys to ``params_cls``'s Python names, strictly.

    A key the API does not use at its place (``invoice_id`` at the top of an invoice create,
    ``currencyCode`` inside an update's add operation) raises
    :class:`~fragment.ValidationError` naming its path in Python names, with the closest wire
    key. Values are left for :func:`fragment._validation.validate` to check.
    """
    if not isinstance(body, Mapping):
        raise ValidationError([FieldError("body", f"expected a JSON object, got {type(body).__name__}")])
    errors: list[FieldError] = []
    renamed = _rename(params_cls, body, "", errors)
    if errors:
        raise ValidationError(errors)
    return renamed


def read_wire_body(params_cls: type, body: Mapping[Any, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    """Rename a wire body's keys to Python names, keeping keys it does not know as they are.

    Returns the renamed body, for the validator to judge whole (it names an unknown key the
    way the client does, and goes on to report the fields that are missing), and the keys the
    API does not use at their place, as :func:`params_from_wire` would refuse them: these
    catch a snake_case key that the validator, reading Python names, would accept.
    """
    refused: list[FieldError] = []
    _rename(params_cls, body, "", refused)
    return _rename(params_cls, body, "", None), refused


def _rename(cls: type, body: Mapping[Any, Any], prefix: str, errors: list[FieldError] | None) -> dict[str, Any]:
    """``body``'s keys as ``cls``'s Python names; unknown keys are errors, or kept when ``errors`` is None."""
    shape = _wire_shape(cls)
    renamed: dict[str, Any] = {}
    for key, value in body.items():
        field = shape.get(key) if isinstance(key, str) else None
        if field is None:
            if errors is None:
                renamed[key] = value
            else:
                errors.append(FieldError(prefix + key_in_path(key), unknown_field_message(key, tuple(shape))))
            continue
        name, nested, is_list = field
        path = f"{prefix}{name}"
        if nested is not None and is_list and isinstance(value, list):
            value = [_rename_nested(nested, item, f"{path}[{index}].", errors) for index, item in enumerate(value)]
        elif nested is not None and not is_list:
            value = _rename_nested(nested, value, f"{path}.", errors)
        renamed[name] = value
    return renamed


def _rename_nested(target: Any, value: Any, prefix: str, errors: list[FieldError] | None) -> Any:
    if not isinstance(value, Mapping):
        return value  # not an object: the validator says so
    if attrs.has(target):
        return _rename(target, value, prefix, errors)
    variants = variants_by_op(target)
    op = value.get("op")
    variant = variants.get(op) if isinstance(op, str) else None
    if variant is not None:
        return _rename(variant, value, prefix, errors)
    # No (known) op: accept the keys of every operation; the validator reports the op.
    known = {key for cls in variants.values() for key in _wire_shape(cls)}
    if errors is not None:
        errors.extend(
            FieldError(prefix + key_in_path(key), unknown_field_message(key, tuple(sorted(known))))
            for key in value
            if key not in known
        )
    return dict(value)


@functools.cache
def _wire_shape(cls: type) -> dict[str, tuple[str, Any, bool]]:
    """Wire key -> (Python name, nested model or op union or None, whether a list of them)."""
    hints = typing.get_type_hints(cls)
    renames = renames_of(cls)
    shape: dict[str, tuple[str, Any, bool]] = {}
    for attribute in attrs.fields(cls):
        nested, is_list = _nested_model(hints[attribute.name])
        shape[renames.get(attribute.name, attribute.name)] = (attribute.name, nested, is_list)
    return shape


def _nested_model(tp: Any) -> tuple[Any, bool]:
    members = _union_members(tp) - {type(None)}
    if members and not _is_op_union(tp):
        if len(members) != 1:
            return None, False
        (tp,) = members
    origin = typing.get_origin(tp)
    if origin in (list, Sequence):
        inner, _ = _nested_model(typing.get_args(tp)[0])
        return inner, inner is not None
    if attrs.has(tp) or _is_op_union(tp):
        return tp, False
    return None, False


def key_in_path(key: object) -> str:
    """A mapping key as it can be shown in a field path: short, printable, encodable as UTF-8."""
    if type(key) is str and len(key) <= 100 and key.isprintable():
        return key
    if isinstance(key, str):
        plain = str.__add__("", key)  # a str subclass may override every method used below
        shown = repr(plain[:100])[1:-1]  # escapes what cannot be printed, lone surrogates included
        return shown if len(plain) <= 100 else f"{shown}..."
    return f"<{type(key).__name__} key>"


def unknown_field_message(key: object, known: Sequence[str]) -> str:
    """The message for an unknown key: it names the closest of the ``known`` names, or lists them."""
    if not isinstance(key, str):
        return f"unknown field; keys must be strings, got {type(key).__name__}"
    # Wire names (currencyCode) and other spellings compare best without case or separators.
    folded = {name.replace("_", "").lower(): name for name in known}
    typed = str.__add__("", key)[:100].replace("_", "").replace("-", "").lower()
    matches = difflib.get_close_matches(typed, folded, n=1, cutoff=0.6)
    if matches:
        return f"unknown field; did you mean {folded[matches[0]]!r}?"
    return f"unknown field; expected one of {', '.join(known)}"


# --- superseded helpers, kept while their callers move to the functions above ---------------


def params_to_wire(params: InvoiceCreateParams) -> dict[str, Any]:
    """Return the JSON body of an invoice create. Superseded by :func:`to_wire`."""
    return to_wire(params)


def response_from_wire(body: Any) -> InvoiceCreateResponse:
    """Read an invoice create answer. Superseded by :func:`from_wire`."""
    return from_wire(InvoiceCreateResponse, body)


def python_names(body: Mapping[str, Any]) -> dict[str, Any]:
    """Rename an invoice create body's wire keys to Python names, keeping unknown keys as they are.

    Superseded by :func:`params_from_wire`, which refuses unknown keys instead.
    """
    return _rename(InvoiceCreateParams, body, "", None)
