"""The ``fragment`` command: its arguments, and which command each parsed line runs.

Global options (the connection) come before the command, command options after it::

    fragment [--local | --base-url URL ...] invoices create|import ...
    fragment emulator [--port N ...]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .._argparse_types import argument_type
from .._version import __version__
from ..testing._command import add_arguments as add_emulator_arguments
from ._connect import ClientSettings
from ._create import create_invoice, invoice_from_json, invoice_from_options, parse_line_item
from ._errors import UsageError
from ._import import ImportOptions, check_file, import_file
from ._readers import FORMATS

__all__ = ["build_parser", "main"]

_LOG_LEVELS = ("debug", "info", "warning", "error")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``fragment`` command line; return its exit status.

    0: everything succeeded; 1: some invoice failed or is invalid; 2: the command line
    or the configuration is unusable; 130: interrupted (Ctrl-C).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.log_level)
    command: Callable[[argparse.Namespace], int] = args.command
    try:
        return command(args)
    except UsageError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    """The parser of the whole command line."""
    parser = argparse.ArgumentParser(
        prog="fragment",
        description="Create Fragment invoices from the command line, one at a time or in bulk.",
        epilog="Credentials and URLs default to FRAGMENT_CLIENT_ID, FRAGMENT_CLIENT_SECRET, "
        "FRAGMENT_BASE_URL and FRAGMENT_TOKEN_URL. See 'fragment COMMAND --help'.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_connection_options(parser)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    invoices = commands.add_parser("invoices", help="create invoices", description="Create invoices.")
    invoice_commands = invoices.add_subparsers(title="commands", metavar="COMMAND", required=True)
    _add_create(invoice_commands)
    _add_import(invoice_commands)
    emulator = commands.add_parser(
        "emulator",
        help="run a local Fragment API emulator in the foreground",
        description="Run a local Fragment API emulator until Ctrl-C, and print how to point a client at it.",
    )
    add_emulator_arguments(emulator)
    emulator.set_defaults(command=_run_emulator)
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
    group.add_argument("--timeout", type=_seconds, metavar="SECONDS", help="per request (default: 60)")
    group.add_argument(
        "--max-retries", type=_at_least(0), default=2, metavar="N", help="retries of a failed request (default: 2)"
    )
    group.add_argument("--log-level", choices=_LOG_LEVELS, help="log the SDK's activity to stderr at this level")
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


def _add_create(commands: Any) -> None:
    create = commands.add_parser(
        "create",
        help="create one invoice and print it as JSON",
        description="Create one invoice and print it as JSON. Give it with --invoice-id and --line-item, "
        "or whole with --json.",
    )
    create.add_argument("--invoice-id", metavar="ID", help="your canonical ID of the invoice")
    create.add_argument(
        "--line-item",
        dest="line_items",
        action="append",
        type=argument_type(parse_line_item),
        metavar="KEY=VALUE,...",
        help="a line item: amount, currency_code, description, product_id, type (payin or payout) and user_id; "
        "repeat for each line item",
    )
    create.add_argument(
        "--json",
        metavar="FILE",
        help="read the whole invoice (invoice_id, line_items) from a JSON file; - for stdin",
    )
    create.set_defaults(command=_run_create)


def _add_import(commands: Any) -> None:
    importer = commands.add_parser(
        "import",
        help="create every invoice of a CSV or JSON Lines file",
        description="Create every invoice of a CSV file (one row per line item, rows of one invoice adjacent) "
        "or a JSON Lines file (one invoice per line), concurrently, with progress and a summary.",
    )
    importer.add_argument("file", metavar="FILE", help="the invoices: .csv, .jsonl or .ndjson; - for stdin")
    importer.add_argument(
        "--format", choices=sorted(set(FORMATS.values())), help="the file's format (default: from its extension)"
    )
    importer.add_argument("--results", type=Path, metavar="FILE", help="write one JSON line per invoice to FILE")
    importer.add_argument(
        "--resume", action="store_true", help="skip invoices --results already records as created, and append to it"
    )
    importer.add_argument(
        "--dry-run", action="store_true", help="only check the file and report every bad row; send nothing"
    )
    importer.add_argument(
        "--concurrency", type=_at_least(1), default=16, metavar="N", help="requests in flight (default: 16)"
    )
    importer.set_defaults(command=_run_import)


def _run_create(args: argparse.Namespace) -> int:
    if args.json is not None:
        if args.invoice_id is not None or args.line_items:
            raise UsageError("--json takes the whole invoice: do not combine it with --invoice-id or --line-item")
        invoice = invoice_from_json(args.json)
    else:
        invoice = invoice_from_options(args.invoice_id, args.line_items)
    return asyncio.run(create_invoice(invoice, _client_settings(args), out=sys.stdout, err=sys.stderr))


def _run_import(args: argparse.Namespace) -> int:
    options = ImportOptions(
        source=args.file,
        format=args.format,
        results=args.results,
        resume=args.resume,
        concurrency=args.concurrency,
    )
    if args.dry_run:
        # Before any client exists: a dry run needs no credentials and never opens a connection.
        return check_file(options, check_currency_codes=args.check_currency_codes, err=sys.stderr)
    return asyncio.run(import_file(options, _client_settings(args), err=sys.stderr))


def _run_emulator(args: argparse.Namespace) -> int:
    # Imported here: only this command serves, and the emulator pulls in aiohttp.web's server.
    from ..testing._command import emulator_from_args, serve

    try:
        emulator = emulator_from_args(args)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if args.log_level is None:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    print("Fragment emulator: Ctrl-C to stop. Point a client at it with:", file=sys.stderr)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(emulator))
    return 0


def _client_settings(args: argparse.Namespace) -> ClientSettings:
    connection = {"--base-url": args.base_url, "--token-url": args.token_url, "--client-id": args.client_id}
    given = [name for name, value in connection.items() if value is not None]
    if args.local and (given or args.client_secret is not None):
        given += ["--client-secret"] if args.client_secret is not None else []
        raise UsageError(f"--local starts its own emulator: do not combine it with {', '.join(given)}")
    return ClientSettings(
        base_url=args.base_url,
        token_url=args.token_url,
        client_id=args.client_id,
        client_secret=args.client_secret,
        timeout=args.timeout,
        max_retries=args.max_retries,
        check_currency_codes=args.check_currency_codes,
        allow_insecure_http=args.allow_insecure_http,
        local=args.local,
    )


def _configure_logging(level: str | None) -> None:
    """Send the SDK's log records to stderr at ``level`` (``FRAGMENT_LOG`` may have done it already)."""
    if level is None:
        return
    logger = logging.getLogger("fragment")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[%(asctime)s %(name)s %(levelname)s] %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level.upper())


def _at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: an int no smaller than ``minimum``."""

    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return convert


def _seconds(text: str) -> float:
    """An argparse type: a positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value
