"""``python -m fragment.testing``: run the emulator in the foreground until Ctrl-C.

The parser is built by :func:`add_arguments` so that ``fragment emulator`` reuses it as is.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import shlex
import signal
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import attrs

from .._argparse_types import argument_type
from ._config import EmulatorClient, Faults, RateLimit
from ._server import Emulator

__all__ = ["add_arguments", "build_parser", "emulator_from_args", "main", "parse_faults", "parse_rate_limit", "serve"]

_FAULT_NAMES = tuple(a.name for a in attrs.fields(Faults) if a.name != "seed")


def parse_faults(text: str, *, seed: int | None = 0) -> Faults:
    """Read ``server_error=0.1,rate_limited=0.05,...`` (the names of :class:`Faults`)."""
    values: dict[str, Any] = {}
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        name, sep, value = part.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or name not in _FAULT_NAMES:
            raise ValueError(f"expected NAME=VALUE with NAME one of {', '.join(_FAULT_NAMES)}, got {part!r}")
        try:
            values[name] = int(value) if name == "retry_after_ms" else float(value)
        except ValueError:
            raise ValueError(f"{name} needs a number, got {value!r}") from None
    return Faults(**values, seed=seed)


def parse_rate_limit(text: str) -> RateLimit:
    """Read ``RATE`` or ``RATE/BURST``: requests per second and bucket size (default: RATE, at least 1)."""
    rate_text, _, burst_text = text.partition("/")
    try:
        rate = float(rate_text)
        burst = int(burst_text) if burst_text else max(1, int(rate))
    except ValueError:
        raise ValueError(f"expected RATE or RATE/BURST, got {text!r}") from None
    return RateLimit(rate=rate, burst=burst)


def _parse_client(text: str) -> EmulatorClient:
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(parts):
        raise ValueError(f"expected ID:SECRET or ID:SECRET:WORKSPACE, got {text!r}")
    return EmulatorClient(*parts)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the emulator's options to ``parser`` (a sub-command's parser works too)."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=8080, help="port to listen on, 0 for any free one (default: %(default)s)"
    )
    parser.add_argument(
        "--token-lifetime",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="how long access tokens stay valid (default: %(default)s)",
    )
    parser.add_argument(
        "--faults",
        default="",
        metavar="NAME=P,...",
        help=f"faults to inject into POST /invoices, by probability; names: {', '.join(_FAULT_NAMES)}",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the fault generator (default: %(default)s)")
    parser.add_argument(
        "--rate-limit",
        type=argument_type(parse_rate_limit),
        default=None,
        metavar="RATE[/BURST]",
        help="token-bucket limit on POST /invoices, in requests per second",
    )
    parser.add_argument(
        "--client",
        dest="clients",
        action="append",
        type=argument_type(_parse_client),
        metavar="ID:SECRET[:WORKSPACE]",
        help="an accepted client (repeatable; the first is printed); default test-client:test-secret:ws_test",
    )


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``python -m fragment.testing``."""
    parser = argparse.ArgumentParser(
        prog="python -m fragment.testing",
        description="Run a local Fragment API emulator until Ctrl-C, and print how to point a client at it.",
    )
    add_arguments(parser)
    return parser


def emulator_from_args(args: argparse.Namespace) -> Emulator:
    """Build the emulator that parsed options describe; raises ValueError on bad faults."""
    return Emulator(
        host=args.host,
        port=args.port,
        clients=args.clients,
        token_lifetime=args.token_lifetime,
        faults=parse_faults(args.faults, seed=args.seed),
        rate_limit=args.rate_limit,
    )


async def serve(emulator: Emulator, *, out: TextIO = sys.stdout) -> None:
    """Run ``emulator`` until cancelled (Ctrl-C) or SIGTERM, printing its ``export`` lines first."""
    async with emulator:
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        # SIGTERM (docker stop, a supervisor) shuts down as cleanly as Ctrl-C does. The
        # handler goes in before the address is printed: a caller may stop us right after.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGTERM, stopped.set)
        for name, value in emulator.env().items():
            print(f"export {name}={shlex.quote(value)}", file=out)
        out.flush()
        try:
            await stopped.wait()
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signal.SIGTERM)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m fragment.testing``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        emulator = emulator_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    print("Fragment emulator: Ctrl-C to stop. Point a client at it with:", file=sys.stderr)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(emulator))
    return 0
