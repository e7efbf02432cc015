"""Run one operation command: check the call, make it, print the answer."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from .._errors import APIError, ValidationError
from ._connect import ClientSettings, open_client
from ._errors import UsageError, describe
from ._operations import Command
from ._output import format_json, format_table, response_data
from ._readers import not_utf8

__all__ = ["call", "read_document"]


def read_document(source: str, *, stdin: TextIO | None = None) -> dict[str, Any]:
    """The ``--json`` document: inline JSON (``{...}``), a file name, or ``-`` for standard input.

    :raises UsageError: it cannot be read, is not JSON, or is not an object.
    """
    if source.lstrip().startswith("{"):
        text, name = source, "--json"
    else:
        text, name = _read_text(source, stdin or sys.stdin), source
    try:
        document = json.loads(text)
    except RecursionError:
        raise UsageError(f"{name}: the JSON is nested too deeply") from None
    except ValueError as error:  # JSONDecodeError, or a number too long to convert
        raise UsageError(f"{name}: invalid JSON: {error}") from None
    if not isinstance(document, dict):
        raise UsageError(f"{name}: expected a JSON object of the command's fields, got {type(document).__name__}")
    return document


def _read_text(source: str, stdin: TextIO) -> str:
    try:
        data = stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read {source}: {error.strerror or error}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        start = data.rfind(b"\n", 0, error.start) + 1
        end = data.find(b"\n", error.start)
        raw = data[start : end if end >= 0 else len(data)]
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as in_line:  # the same error, at its position in the line
            error = in_line
        line = data.count(b"\n", 0, start) + 1
        raise UsageError(f"{source}:{line}: {not_utf8(raw, error)}") from None


async def call(
    command: Command,
    path_values: Sequence[str],
    options: Mapping[str, Any],
    document: Mapping[str, Any] | None,
    settings: ClientSettings,
    *,
    table: bool,
    out: TextIO,
    err: TextIO,
) -> int:
    """Check and make the call, print its answer; return the exit status (1: refused or failed).

    :param options: each field's option value by field name (None: not given).
    :param document: the ``--json`` document, if any; the options win over its keys.
    :raises UsageError: a required field is missing.
    """
    try:
        arguments = command.arguments(options, document)
        # Checked before the client exists: a bad call needs no credentials to be refused.
        command.check(path_values, arguments, check_currency_codes=settings.check_currency_codes)
    except ValidationError as error:
        return _invalid(command, error, err)
    async with open_client(settings, err=err) as client:
        method = getattr(getattr(client, command.resource), command.method)
        try:
            response = await method(*path_values, **arguments)
        except ValidationError as error:
            return _invalid(command, error, err)
        except APIError as error:
            print(f"fragment: {command.title}: {describe(error)}", file=err)
            return 1
    data = response_data(response)
    print(format_table(data) if table else format_json(data), file=out)
    return 0


def _invalid(command: Command, error: ValidationError, err: TextIO) -> int:
    for problem in error.errors:
        print(f"fragment: {command.title}: invalid: {problem}", file=err)
    return 1
