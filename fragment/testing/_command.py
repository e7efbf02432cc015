"""``python -m fragment.testing`` (and ``fragment emulator``): run the emulator in the foreground until Ctrl-C.

``fragment emulator ARGS`` hands ``ARGS`` to :func:`main` as they are, so both commands are
this one implementation.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import shlex
import signal
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import attrs

from .._argparse_types import argument_type, finite_number, port, positive_seconds
from .._logging import LOG_LEVELS, setup_logging
from ._config import EmulatorClient, Faults, RateLimit
from ._server import Emulator

__all__ = [
    "CannotListen",
    "add_arguments",
    "build_parser",
    "emulator_from_args",
    "main",
    "parse_faults",
    "parse_rate_limit",
    "serve",
]

_FAULT_NAMES = tuple(a.name for a in attrs.fields(Faults) if a.name != "seed")


def parse_faults(text: str, *, seed: int | None = 0) -> Faults:
    """Read ``server_error=0.1,rate_limited=0.05,...`` (the names of :class:`Faults`)."""
    values: dict[str, Any] = {}
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        name, sep, value = part.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or name not in _FAULT_NAMES:
            raise ValueError(f"expected NAME=VALUE with NAME one of {', '.join(_FAULT_NAMES)}, got {part!r}")
        if name == "retry_after_ms":
            values[name] = _whole(name, value)
        else:
            values[name] = finite_number(value, expected=f"{name} needs")
    return Faults(**values, seed=seed)


def _whole(name: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{name} needs a whole number, got {text!r}") from None


def parse_rate_limit(text: str) -> RateLimit:
    """Read ``RATE`` or ``RATE/BURST``: requests per second and bucket size (default: RATE, at least 1)."""
    rate_text, _, burst_text = text.partition("/")
    try:
        rate = float(rate_text)
        burst = int(burst_text) if burst_text else None
    except ValueError:
        raise ValueError(f"expected RATE or RATE/BURST, got {text!r}") from None
    if not math.isfinite(rate) or rate <= 0:
        raise ValueError(f"RATE must be a positive, finite number of requests per second, got {rate_text!r}")
    return RateLimit(rate=rate, burst=max(1, int(rate)) if burst is None else burst)


def _parse_client(text: str) -> EmulatorClient:
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(parts):
        raise ValueError(f"expected ID:SECRET or ID:SECRET:WORKSPACE, got {text!r}")
    return EmulatorClient(*parts)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the emulator's options to ``parser``."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)")
    parser.add_argument(
        "--port", type=port, default=8080, help="port to listen on, 0 for any free one (default: %(default)s)"
    )
    parser.add_argument(
        "--token-lifetime",
        type=positive_seconds,
        default=3600.0,
        metavar="SECONDS",
        help="how long access tokens stay valid (default: %(default)s)",
    )
    parser.add_argument(
        "--faults",
        default="",
        metavar="NAME=P,...",
        help=f"faults to inject into the API's requests, by probability; names: {', '.join(_FAULT_NAMES)}",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the fault generator (default: %(default)s)")
    parser.add_argument(
        "--rate-limit",
        type=argument_type(parse_rate_limit),
        default=None,
        metavar="RATE[/BURST]",
        help="token-bucket limit on the API's requests, in requests per second",
    )
    parser.add_argument(
        "--latency",
        type=_milliseconds,
        default=None,
        metavar="MS[~JITTER]",
        help="how long each API answer takes, in milliseconds, optionally give or take a random jitter: 50~10",
    )
    parser.add_argument(
        "--client",
        dest="clients",
        action="append",
        type=argument_type(_parse_client),
        metavar="ID:SECRET[:WORKSPACE]",
        help="an accepted client (repeatable; the first is printed); default test-client:test-secret:ws_test",
    )
    parser.add_argument(
        "--log-level", choices=LOG_LEVELS, default="info", help="log to stderr at this level (default: %(default)s)"
    )


def parse_latency(text: str) -> tuple[float, float]:
    """Read ``MS`` or ``MS~JITTER`` (milliseconds) as seconds: ``(latency, jitter)``."""
    latency, _, jitter = text.partition("~")
    try:
        values = (float(latency), float(jitter or 0))
    except ValueError:
        values = (-1.0, -1.0)
    if not all(0 <= value <= 60_000 for value in values) or values[1] > values[0]:
        raise ValueError(f"expected MS or MS~JITTER, milliseconds from 0 to 60000, the jitter at most MS; got {text!r}")
    return values[0] / 1000, values[1] / 1000


_milliseconds = argument_type(parse_latency)


def build_parser(prog: str = "python -m fragment.testing") -> argparse.ArgumentParser:
    """The parser of the emulator's command."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run a local Fragment API emulator until Ctrl-C or SIGTERM, and print how to point a client at it.",
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
        latency=args.latency[0] if args.latency else 0.0,
        latency_jitter=args.latency[1] if args.latency else 0.0,
    )


class CannotListen(Exception):
    """The emulator cannot listen where it was asked to (the port is taken, the host is not this machine's)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def serve(emulator: Emulator, *, out: TextIO | None = None, err: TextIO | None = None) -> None:
    """Run ``emulator`` until cancelled (Ctrl-C) or SIGTERM, printing its ``export`` lines once it listens.

    :param out: where the ``export`` lines go (standard output by default).
    :param err: where the banner goes (standard error by default).
    :raises CannotListen: it cannot listen; nothing has been printed then.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        await emulator.start()
    except OSError as error:  # asyncio's message repeats the address; the errno's own text says it all
        number = error.errno
        reason = os.strerror(number) if isinstance(number, int) and number > 0 else error.strerror or str(error)
        raise CannotListen(reason) from None
    try:
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        # SIGTERM (docker stop, a supervisor) shuts down as cleanly as Ctrl-C does. The
        # handler goes in before the address is printed: a caller may stop us right after.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGTERM, stopped.set)
        print("Fragment emulator: Ctrl-C to stop. Point a client at it with:", file=err, flush=True)
        for name, value in emulator.env().items():
            print(f"export {name}={shlex.quote(value)}", file=out)
        out.flush()
        try:
            await stopped.wait()
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signal.SIGTERM)
    finally:
        await emulator.stop()


def main(argv: Sequence[str] | None = None, *, prog: str = "python -m fragment.testing") -> int:
    """Run the emulator's command; return its exit status (2: bad options, or it cannot listen).

    :param prog: the command's name in messages (``fragment emulator`` when run from there).
    """
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    try:
        emulator = emulator_from_args(args)
    except ValueError as error:
        parser.error(str(error))
    setup_logging(args.log_level)
    try:
        asyncio.run(serve(emulator))
    except KeyboardInterrupt:
        pass
    except CannotListen as error:
        print(f"{prog}: error: cannot listen on {args.host} port {args.port}: {error.reason}", file=sys.stderr)
        return 2
    return 0
