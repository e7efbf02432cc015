"""The one mapping between Python names and the API's wire names, as cattrs converters.

The API's keys are not uniformly camelCase (``currencyCode`` but ``product_id``), so the
renames are an explicit table rather than a blanket camelCase function. Reading is lenient:
unknown keys are ignored and enum values this release does not know are kept as strings.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import attrs
from cattrs import Converter
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from cattrs.preconf.json import make_converter

from .types import InvoiceCreateParams, InvoiceCreateResponse

__all__ = [
    "WIRE_NAMES",
    "make_wire_converter",
    "model_to_dict",
    "params_to_wire",
    "python_names",
    "response_from_wire",
]

T = TypeVar("T")

WIRE_NAMES: Mapping[str, str] = {
    "invoice_id": "invoiceId",
    "line_items": "lineItems",
    "currency_code": "currencyCode",
    "workspace_id": "workspaceId",
}
"""Python attribute name -> wire key, for every name that differs (all others are equal)."""

_PYTHON_NAMES: Mapping[str, str] = {wire: py for py, wire in WIRE_NAMES.items()}


def make_wire_converter(*, renames: Mapping[str, str] = WIRE_NAMES, forbid_extra_keys: bool = False) -> Converter:
    """Build a converter for the models.

    The client uses the lenient default; tests build a strict copy (``forbid_extra_keys``)
    to catch drift between the models and recorded payloads.
    """
    converter = make_converter()

    def overrides(cls: type) -> dict[str, Any]:
        return {a.name: override(rename=renames[a.name]) for a in attrs.fields(cls) if a.name in renames}

    converter.register_structure_hook_factory(
        attrs.has,
        lambda cls: make_dict_structure_fn(
            cls, converter, _cattrs_forbid_extra_keys=forbid_extra_keys, **overrides(cls)
        ),
    )
    converter.register_unstructure_hook_factory(
        attrs.has, lambda cls: make_dict_unstructure_fn(cls, converter, **overrides(cls))
    )
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    converter.register_structure_hook(float, _structure_number)
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook_func(_is_open_enum, _structure_open_enum)
    return converter


def _structure_datetime(value: Any, _: type) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO-8601 string, got {type(value).__name__}")
    if value.endswith("z"):  # RFC 3339 allows a lowercase zone letter; fromisoformat (3.11) does not
        value = value[:-1] + "Z"
    parsed = datetime.fromisoformat(value)
    # The API documents UTC timestamps; a value without an offset is read as UTC so that
    # every datetime a user gets is timezone-aware.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _structure_number(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return value  # an int stays an int: version 1 reads back as 1, not 1.0


def _structure_str(value: Any, _: type) -> str:
    # cattrs' default calls str() on anything, which would turn a null into "None".
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _is_open_enum(tp: Any) -> bool:
    """True for ``Literal[...] | str``: an enum the server may extend."""
    args = typing.get_args(tp)
    return typing.get_origin(tp) is typing.Union and str in args and len(args) == 2


def _structure_open_enum(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


wire_converter = make_wire_converter()
_python_converter = make_wire_converter(renames={})


def params_to_wire(params: InvoiceCreateParams) -> dict[str, Any]:
    """Return the JSON body of a create request, with the wire's keys."""
    body: dict[str, Any] = wire_converter.unstructure(params, InvoiceCreateParams)
    return body


def response_from_wire(body: Any) -> InvoiceCreateResponse:
    """Read a create answer (already JSON-decoded); raise if it is not the documented shape."""
    return wire_converter.structure(body, InvoiceCreateResponse)


def model_to_dict(model: Any, *, use_api_names: bool = True) -> dict[str, Any]:
    """Unstructure any model to JSON-ready built-ins (the engine of ``Model.to_dict``)."""
    converter = wire_converter if use_api_names else _python_converter
    result: dict[str, Any] = converter.unstructure(model)
    return result


def python_names(body: Mapping[str, Any]) -> dict[str, Any]:
    """Rename a create body's wire keys to Python names, keeping unknown keys as they are.

    Unknown keys survive so that the validator can name them (and suggest a fix). Used by
    the emulator, which validates wire bodies with the client's own validator.
    """
    renamed = {_PYTHON_NAMES.get(key, key): value for key, value in body.items()}
    items = renamed.get("line_items")
    if isinstance(items, list):
        renamed["line_items"] = [
            {_PYTHON_NAMES.get(k, k): v for k, v in item.items()} if isinstance(item, Mapping) else item
            for item in items
        ]
    return renamed
