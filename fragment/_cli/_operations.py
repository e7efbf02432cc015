"""The API's operations as commands, read from the resource declarations: ``fragment <resource> <verb>``.

Every :class:`~fragment._operation.Endpoint` of every class in ``RESOURCES`` is one command,
its resource and verb spelt with hyphens (``external-accounts``, ``list-history``). Its path
parameters become positional arguments; each text or number field a ``--kebab-case`` option;
a list of flat objects a repeatable ``--singular KEY=VALUE,...`` option (``--line-item``);
and any field may come from ``--json``, the keyword arguments as one JSON object. So a new
operation needs no code here.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs

from .._errors import FieldError, ValidationError
from .._operation import Endpoint, Operation
from .._validation import validate
from .._wire import unknown_field_message
from ..resources import RESOURCES
from ._errors import UsageError
from ._fields import FieldKind, choices_of, field_hints, kind_of, list_item, object_fields

__all__ = ["Command", "Field", "cli_name", "commands", "field_help", "parse_pairs", "singular"]

# A comma starts the next pair only when a KEY= follows it, so that commas inside a
# description ("Pro plan, monthly") need no quoting.
_PAIR_SEPARATOR = re.compile(r",(?=\s*[A-Za-z_][A-Za-z0-9_]*\s*=)")
_PARAM = re.compile(r"^:param (\w+):\s*(.*)$")
_ROLE = re.compile(r":\w+:`~?(?:[\w.]+\.)?([\w]+)`")  # :class:`~fragment.types.LineItem` -> LineItem
_MOST_CHOICES_SHOWN = 8


def cli_name(python_name: str) -> str:
    """A Python name as the command line spells it: ``external_accounts`` -> ``external-accounts``."""
    return python_name.replace("_", "-")


def singular(name: str) -> str:
    """``line_items`` -> ``line_item``: the name of one item of a list field."""
    return name[:-1] if name.endswith("s") else name


def parse_pairs(text: str) -> dict[str, str]:
    """Read ``amount=1000,currency_code=USD,...`` into a dict (one item of a list field).

    Raises ValueError for a piece that is not ``KEY=VALUE`` or a key given twice; the
    field names and values themselves are checked by the validator.
    """
    item: dict[str, str] = {}
    for pair in _PAIR_SEPARATOR.split(text):
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"expected KEY=VALUE pairs separated by commas, got {pair!r}")
        if key in item:
            raise ValueError(f"{key!r} is given twice")
        item[key] = value
    return item


@attrs.frozen
class Field:
    """One keyword argument of an operation, and how the command line takes it."""

    name: str
    kind: FieldKind
    required: bool
    help: str = ""
    choices: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    """The keys of each item, for a list of flat objects."""

    @property
    def option(self) -> str | None:
        """``--invoice-id``, ``--line-item`` (repeatable) or None when only ``--json`` holds it."""
        if self.kind == "json":
            return None
        return "--" + cli_name(singular(self.name) if self.kind == "pairs" else self.name)

    def how_to_give(self) -> str:
        """How to give this field, for a message."""
        where = f"{self.name} in --json"
        if self.kind == "pairs":
            return f"at least one {self.option}, or {where}"
        return f"{self.option} or {where}" if self.option else where


@attrs.frozen
class Command:
    """One operation as a command: ``fragment invoices list-history ID``."""

    resource: str
    """The resource's attribute name on the client (``external_accounts``)."""
    method: str
    """The operation's method name (``list_history``)."""
    operation: Operation[Any]
    summary: str
    description: str
    path_params: tuple[Field, ...]
    fields: tuple[Field, ...]

    @property
    def name(self) -> str:
        """The verb on the command line: ``list-history``."""
        return cli_name(self.method)

    @property
    def title(self) -> str:
        """``invoices list-history``, for messages."""
        return f"{cli_name(self.resource)} {self.name}"

    def arguments(self, options: Mapping[str, Any], document: Mapping[str, Any] | None) -> dict[str, Any]:
        """The call's keyword arguments: the ``--json`` document, with the options given on top of it.

        :param options: each field's option value by field name (None: not given).
        :raises ValidationError: the document has a key that is no field.
        :raises UsageError: a required field is given neither way.
        """
        arguments = dict(document or {})
        names = [field.name for field in self.fields]
        unknown = [FieldError(str(key), unknown_field_message(key, names)) for key in arguments if key not in names]
        if unknown:
            raise ValidationError(unknown)
        for field in self.fields:
            value = options.get(field.name)
            if value is not None:
                arguments[field.name] = value
        missing = [field.how_to_give() for field in self.fields if field.required and arguments.get(field.name) is None]
        if missing:
            raise UsageError(f"{self.title}: give {'; and '.join(missing)}")
        return arguments

    def check(self, path_values: Sequence[str], arguments: Mapping[str, Any], *, check_currency_codes: bool) -> None:
        """Validate the call as the client would, before any client exists (so without credentials).

        :raises ValidationError: naming every problem.
        """
        self.operation.path_for(tuple(path_values))
        model = self.operation.body or self.operation.query
        if model is not None:
            validate(model, arguments, check_currency_codes=check_currency_codes)


def commands() -> dict[str, tuple[Command, ...]]:
    """Every resource's commands, by the resource's attribute name on the client, in declaration order."""
    return {resource: tuple(_commands_of(resource, cls)) for resource, cls in RESOURCES.items()}


def _commands_of(resource: str, cls: type) -> Iterator[Command]:
    for name, value in vars(cls).items():  # a resource declares its operations itself
        if isinstance(value, Endpoint):
            yield _command(resource, name, value)


def _command(resource: str, method: str, endpoint: Endpoint[Any, Any]) -> Command:
    operation = endpoint.operation
    summary, description, params_help = _read_docstring(endpoint.__doc__ or "")
    hints = field_hints(operation.body or operation.query)
    owner = singular(resource).replace("_", " ")
    path_params = tuple(
        Field(name, "text", True, params_help.get(name, f"the {owner}'s {name}")) for name in operation.path_params
    )
    fields = []
    for parameter in endpoint.signature.parameters.values():
        if parameter.kind is not inspect.Parameter.KEYWORD_ONLY:
            continue
        hint = hints.get(parameter.name)
        kind: FieldKind = kind_of(hint) if hint is not None else "json"
        required = parameter.default is inspect.Parameter.empty
        help_text = params_help.get(parameter.name, "")
        fields.append(Field(parameter.name, kind, required, help_text, choices_of(hint), _item_keys(hint)))
    return Command(resource, method, operation, summary, description, path_params, tuple(fields))


def _item_keys(hint: Any) -> tuple[str, ...]:
    item = list_item(hint) if hint is not None else None
    return tuple(name for name, _, _ in object_fields(item) or ()) if item is not None else ()


def _read_docstring(doc: str) -> tuple[str, str, dict[str, str]]:
    """The summary line, the prose, and each ``:param name:`` text, as plain text for ``--help``."""
    lines = inspect.cleandoc(doc).splitlines()
    prose: list[str] = []
    params: dict[str, str] = {}
    current: str | None = None
    for line in lines:
        match = _PARAM.match(line)
        if match is not None:
            current = match[1]
            params[current] = match[2]
        elif current is not None and line.startswith(" "):
            params[current] += " " + line.strip()
        else:
            current = None
            if not line.startswith((":", "..")):
                prose.append(line)
    summary = _plain(prose[0]) if prose else ""
    description = _plain(" ".join(prose).strip())
    return summary, description, {name: _plain(text) for name, text in params.items()}


def _plain(text: str) -> str:
    """reStructuredText to plain text for argparse (which formats ``%``)."""
    text = _ROLE.sub(r"\1", text).replace("``", "")
    return " ".join(text.split()).replace("%", "%%")


def field_help(field: Field) -> str:
    """The field's ``--help`` text: its description, its choices when few, its item keys."""
    parts = [field.help.rstrip(".")] if field.help else []
    if field.keys:
        parts.append(f"one {singular(field.name).replace('_', ' ')} as KEY=VALUE,... with {', '.join(field.keys)}")
        parts.append("repeat for each")
    if field.choices and len(field.choices) <= _MOST_CHOICES_SHOWN:
        parts.append(f"one of: {', '.join(field.choices)}")
    if field.required:
        parts.append("required")
    return "; ".join(parts)
