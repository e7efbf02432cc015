"""The ``fragment`` command: its arguments, and which command each parsed line runs.

Global options (the connection) come before the command, command options after it::

    fragment [--local | --base-url URL ...] <resource> <verb> [ARGS] [--json DOCUMENT] [--table]
    fragment [--local | --base-url URL ...] <resource> import FILE ...
    fragment emulator [--port N ...]

The resource commands are generated from the API's declarations (see :mod:`._operations`);
``fragment emulator`` hands its arguments to the emulator's own command as they are.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import attrs

from .._argparse_types import argument_type, finite_number, positive_seconds, shard_spec, whole_number
from .._logging import LOG_LEVELS, logger, setup_logging
from .._version import __version__
from ..resources import RESOURCES
from ._call import call, read_document
from ._connect import ClientSettings
from ._errors import UsageError
from ._import import ImportOptions, check_file, import_file
from ._import_kinds import ImportKind, import_kind
from ._operations import Command, Field, cli_name, commands, field_help, parse_pairs
from ._readers import FORMATS

__all__ = ["build_parser", "main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143
MAX_CONCURRENCY = 1000
_RESERVED_OPTIONS = frozenset({"--json", "--table", "--help"})

OptionsT = TypeVar("OptionsT", bound=attrs.AttrsInstance)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``fragment`` command line; return its exit status.

    0: everything succeeded; 1: the API or the validator refused something, or an import had
    a failure; 2: the command line or the configuration is unusable; 130: interrupted
    (Ctrl-C); 143: terminated (SIGTERM), which stops an import as cleanly as Ctrl-C.
    """
    _tolerate_unencodable_output()
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.emulator:
        return _run_emulator(args, extra)  # its options are the emulator command's own
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    setup_logging(args.log_level)
    run: Callable[[argparse.Namespace], int] = args.run
    with _termination_as_interrupt() as termination:
        try:
            return run(args)
        except UsageError as error:
            print(f"{parser.prog}: error: {error}", file=sys.stderr)
            return EXIT_USAGE
        except KeyboardInterrupt:
            return EXIT_TERMINATED if termination.received else EXIT_INTERRUPTED
        except BrokenPipeError:  # stdout closed early (| head): nothing more to say, and no one to say it to
            _silence_stdout()
            return EXIT_FAILED
        except Exception as error:  # a bug: one line and where to learn more, never a bare traceback
            logger.debug("the command failed", exc_info=True)
            print(
                f"{parser.prog}: internal error: {_short(error)}; please report it "
                "(--log-level debug shows the traceback)",
                file=sys.stderr,
            )
            return EXIT_FAILED


def build_parser() -> argparse.ArgumentParser:
    """The parser of the whole command line."""
    parser = argparse.ArgumentParser(
        prog="fragment",
        description="Fragment's billing API from the command line: every operation, bulk imports, "
        "and a local emulator.",
        epilog="Credentials and URLs default to FRAGMENT_CLIENT_ID, FRAGMENT_CLIENT_SECRET, "
        "FRAGMENT_BASE_URL and FRAGMENT_TOKEN_URL; --local needs none. See 'fragment COMMAND --help'.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_connection_options(parser)
    subcommands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for resource, resource_commands in commands().items():
        _add_resource(subcommands, resource, resource_commands)
    subcommands.add_parser(
        "emulator",
        add_help=False,  # its --help is the emulator command's own
        help="run a local Fragment API emulator in the foreground (see 'fragment emulator --help')",
    ).set_defaults(emulator=True)
    parser.set_defaults(emulator=False)
    return parser


def _add_connection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection (before the command)")
    group.add_argument("--base-url", metavar="URL", help="the API's base URL (default: FRAGMENT_BASE_URL, else the US)")
    group.add_argument("--token-url", metavar="URL", help="the OAuth2 token URL (default: FRAGMENT_TOKEN_URL)")
    group.add_argument("--client-id", metavar="ID", help="the API client's ID (default: FRAGMENT_CLIENT_ID)")
    group.add_argument(
        "--client-secret",
        metavar="SECRET",
        help="the API client's secret (default: FRAGMENT_CLIENT_SECRET, which keeps it out of the process list)",
    )
    group.add_argument("--timeout", type=positive_seconds, metavar="SECONDS", help="per request (default: 60)")
    group.add_argument(
        "--max-retries",
        type=whole_number(0, 100),
        default=2,
        metavar="N",
        help="retries of a failed request (default: 2)",
    )
    group.add_argument("--log-level", choices=LOG_LEVELS, help="log the SDK's activity to stderr at this level")
    group.add_argument(
        "-v", "--verbose", action="store_true", help="print one line per request attempt and retry to stderr"
    )
    group.add_argument(
        "--local", action="store_true", help="start an in-process emulator and send everything to it (no credentials)"
    )
    group.add_argument(
        "--no-currency-check",
        dest="check_currency_codes",
        action="store_false",
        help="accept currency codes this release does not know (the API still checks them)",
    )
    group.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="allow plain http:// to a host other than this machine (an emulator on a test host)",
    )


def _add_resource(subcommands: Any, resource: str, resource_commands: Sequence[Command]) -> None:
    summary = _first_line(RESOURCES[resource].__doc__)
    parser = subcommands.add_parser(cli_name(resource), help=summary, description=summary)
    verbs = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for command in resource_commands:
        _add_operation(verbs, command)
    kind = import_kind(resource)
    if kind is not None:
        _add_import(verbs, kind)


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().splitlines()[0].replace("``", "") if doc and doc.strip() else ""


def _add_operation(verbs: Any, command: Command) -> None:
    parser = verbs.add_parser(
        command.name,
        help=command.summary,
        description=f"{command.description} Prints the answer's data as JSON, or a table with --table.",
    )
    for path_param in command.path_params:
        parser.add_argument(_path_dest(path_param), metavar=path_param.name.upper(), help=path_param.help)
    for field in command.fields:
        if field.option is not None and field.option not in _RESERVED_OPTIONS:
            parser.add_argument(field.option, dest=_field_dest(field), **_option_settings(field))
    if command.fields:
        parser.add_argument(
            "--json",
            metavar="DOCUMENT",
            help="the fields as one JSON object (Python names, as the SDK takes them): inline {...}, a file, "
            "or - for stdin; options given too replace its keys",
        )
    parser.add_argument("--table", action="store_true", help="print a readable table instead of JSON")
    parser.set_defaults(run=_run_operation, command=command, json=None)


def _option_settings(field: Field) -> dict[str, Any]:
    settings: dict[str, Any] = {"help": field_help(field)}
    if field.kind == "pairs":
        settings.update(action="append", type=argument_type(parse_pairs), metavar="KEY=VALUE,...")
    elif field.kind == "integer":
        settings.update(type=argument_type(_integer), metavar="N")
    elif field.kind == "number":
        settings.update(type=argument_type(_number), metavar="NUMBER")
    else:
        settings.update(metavar=field.name.upper())
    return settings


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"expected a whole number, got {text!r}") from None


def _number(text: str) -> int | float:
    """A number as the SDK takes it: an int when it is whole, else a finite float."""
    with contextlib.suppress(ValueError):
        return int(text)
    return finite_number(text)


def _path_dest(field: Field) -> str:
    return f"path:{field.name}"


def _field_dest(field: Field) -> str:
    return f"field:{field.name}"


def _add_import(verbs: Any, kind: ImportKind) -> None:
    noun = kind.noun
    formats = "CSV (see docs/cli.md for the columns) or JSON Lines" if kind.csv else "JSON Lines"
    importer = verbs.add_parser(
        "import",
        help=f"create every {noun.one} of a {formats} file",
        description=f"Create every {noun.one} of a {formats} file concurrently, with progress, a results "
        f"file, --resume and a summary. JSON Lines: one {noun.one} per line, the keyword arguments of "
        f"{kind.resource}.create.",
    )
    importer.add_argument("source", metavar="FILE", help=f"the {noun.many}: .csv, .jsonl or .ndjson; - for stdin")
    importer.add_argument(
        "--format", choices=sorted(set(FORMATS.values())), help="the file's format (default: from its extension)"
    )
    importer.add_argument("--results", type=Path, metavar="FILE", help=f"write one JSON line per {noun.one} to FILE")
    importer.add_argument(
        "--resume", action="store_true", help=f"skip {noun.many} --results already records as created, and append to it"
    )
    importer.add_argument(
        "--dry-run", action="store_true", help="only check the file and report every bad row; send nothing"
    )
    importer.add_argument(
        "--concurrency",
        type=whole_number(1, MAX_CONCURRENCY),
        default=None,
        metavar="N",
        help="the most requests in flight (default: found by the batch itself, from the API's answers)",
    )
    importer.add_argument(
        "--shard",
        type=shard_spec,
        metavar="K/N",
        help=f"take only the {noun.many} whose key hashes to shard K of N (K from 0): N machines, one file, "
        "no overlap; each resumable on its own",
    )
    importer.set_defaults(run=_run_import, kind=kind)


def _run_operation(args: argparse.Namespace) -> int:
    command: Command = args.command
    path_values = [getattr(args, _path_dest(field)) for field in command.path_params]
    options = {field.name: getattr(args, _field_dest(field), None) for field in command.fields}
    document = read_document(args.json) if args.json is not None else None
    settings = _client_settings(args)
    return asyncio.run(
        call(command, path_values, options, document, settings, table=args.table, out=sys.stdout, err=sys.stderr)
    )


def _run_import(args: argparse.Namespace) -> int:
    options = _from_args(ImportOptions, args)
    if args.dry_run:
        # Before any client exists: a dry run needs no credentials and never opens a connection.
        return check_file(args.kind, options, check_currency_codes=args.check_currency_codes, err=sys.stderr)
    return asyncio.run(import_file(args.kind, options, _client_settings(args), err=sys.stderr))


def _run_emulator(args: argparse.Namespace, arguments: Sequence[str]) -> int:
    # Imported here: only this command serves, and the emulator pulls in aiohttp.web.
    from ..testing._command import main as emulator_main

    log_level = ["--log-level", args.log_level] if args.log_level else []
    return emulator_main([*log_level, *arguments], prog="fragment emulator")


def _client_settings(args: argparse.Namespace) -> ClientSettings:
    connection = {"--base-url": args.base_url, "--token-url": args.token_url, "--client-id": args.client_id}
    given = [name for name, value in connection.items() if value is not None]
    if args.local and (given or args.client_secret is not None):
        given += ["--client-secret"] if args.client_secret is not None else []
        raise UsageError(f"--local starts its own emulator: do not combine it with {', '.join(given)}")
    return _from_args(ClientSettings, args)


def _from_args(cls: type[OptionsT], args: argparse.Namespace) -> OptionsT:
    """``cls`` built from the parsed options: each field is the option of the same name."""
    return cls(**{field.name: getattr(args, field.name) for field in attrs.fields(cls)})


@attrs.define
class _Termination:
    received: bool = False


@contextlib.contextmanager
def _termination_as_interrupt() -> Iterator[_Termination]:
    """Make SIGTERM do what Ctrl-C does, so that an import stopped by a supervisor prints its summary.

    The handler calls whatever handles SIGINT at that moment: inside ``asyncio.run`` that
    cancels the main task, elsewhere it raises KeyboardInterrupt.
    """
    termination = _Termination()
    if threading.current_thread() is not threading.main_thread():  # signals can only be handled there
        yield termination
        return

    def interrupt(signum: int, frame: Any) -> None:
        termination.received = True
        handler = signal.getsignal(signal.SIGINT)
        if callable(handler):
            handler(signal.SIGINT, frame)
        else:
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield termination
    finally:
        signal.signal(signal.SIGTERM, previous)


def _tolerate_unencodable_output() -> None:
    """Print what a terminal cannot encode (a lone surrogate from bad input) as escapes, never fail on it."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


def _short(error: BaseException) -> str:
    try:
        text = str(error)
    except Exception:  # a message that cannot even be made (a huge int in it)
        text = ""
    return f"{type(error).__name__}: {text[:200]}" if text else type(error).__name__


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's final flush does not fail again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
