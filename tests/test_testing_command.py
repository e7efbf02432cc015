"""``python -m fragment.testing``: its options, and a real run in a child process."""

from __future__ import annotations

import argparse
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fragment import AsyncFragment
from fragment.testing import EmulatorClient, Faults, RateLimit
from fragment.testing._command import (
    add_arguments,
    build_parser,
    emulator_from_args,
    main,
    parse_faults,
    parse_rate_limit,
)

ITEM = {
    ("currency_code" if key == "currencyCode" else key): value  # the seed's one line item, as recorded
    for key, value in json.loads((Path(__file__).parent / "samples" / "invoice_create_request.json").read_bytes())[
        "lineItems"
    ][0].items()
}


def test_parse_faults_reads_names_and_probabilities() -> None:
    faults = parse_faults("server_error=0.1, rate-limited=0.05,slow=0.2,slow_seconds=1.5,retry_after_ms=20", seed=9)

    assert faults == Faults(server_error=0.1, rate_limited=0.05, slow=0.2, slow_seconds=1.5, retry_after_ms=20, seed=9)


@pytest.mark.parametrize(("text", "message"), [("explode=0.1", "NAME=VALUE"), ("slow=lots", "needs a number")])
def test_parse_faults_refuses_unknown_names_and_values(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_faults(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("50", RateLimit(rate=50, burst=50)), ("2.5/10", RateLimit(rate=2.5, burst=10)), ("0.5", RateLimit(0.5, 1))],
)
def test_parse_rate_limit_reads_rate_and_optional_burst(text: str, expected: RateLimit) -> None:
    assert parse_rate_limit(text) == expected


def test_options_build_the_emulator_they_describe() -> None:
    args = build_parser().parse_args(
        [
            "--port=0",
            "--token-lifetime=1.5",
            "--faults=reset_after_commit=0.2",
            "--seed=4",
            "--rate-limit=10/3",
            "--client=me:pw:ws_me",
            "--client=you:pw2",
        ]
    )

    emulator = emulator_from_args(args)

    assert emulator.clients == (EmulatorClient("me", "pw", "ws_me"), EmulatorClient("you", "pw2", "ws_test"))
    assert emulator.faults == Faults(reset_after_commit=0.2, seed=4)


def test_the_options_fit_a_sub_command_parser() -> None:
    parser = argparse.ArgumentParser(prog="fragment")
    add_arguments(parser.add_subparsers(dest="command").add_parser("emulator"))

    args = parser.parse_args(["emulator", "--port", "9999", "--rate-limit", "5"])

    assert (args.command, args.port, args.rate_limit) == ("emulator", 9999, RateLimit(5, 5))


@pytest.mark.parametrize(
    ("text", "message"), [("inf", "finite"), ("nan", "finite"), ("0", "positive"), ("5/x", "RATE")]
)
def test_parse_rate_limit_refuses_rates_that_are_not_positive_and_finite(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_rate_limit(text)


@pytest.mark.parametrize(
    "argv",
    [
        ["--faults", "server_error=2"],
        ["--faults", "slow_seconds=inf"],
        ["--client", "only-an-id"],
        ["--rate-limit", "fast"],
        ["--rate-limit", "inf"],
        ["--port", "99999"],
        ["--port", "-1"],
        ["--token-lifetime", "nan"],
        ["--token-lifetime", "0"],
    ],
)
def test_bad_options_are_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)

    assert exited.value.code == 2
    assert "usage:" in capsys.readouterr().err


# --- a real run ------------------------------------------------------------------------------


def read_exports(process: subprocess.Popen[bytes], *, timeout: float = 20.0) -> dict[str, str]:
    """The ``export NAME=VALUE`` lines the command prints, read without risking a hang.

    Raw reads on the pipe: a buffered reader could hold lines that ``select`` no longer sees.
    """
    assert process.stdout is not None
    output = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while output.count(b"\n") < 4:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                raise AssertionError(f"the emulator printed only {output!r} within {timeout} s")
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                raise AssertionError(f"the emulator exited early with status {process.wait()}")
            output += chunk
    exports: dict[str, str] = {}
    for line in output.decode().splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        exports[name] = value
    return exports


@pytest.fixture
def command(ctrl_c_able: Callable[[], None]) -> Iterator[subprocess.Popen[bytes]]:
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "fragment.testing", "--port", "0", "--client", "cli-client:cli-secret:ws_cli"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
        preexec_fn=ctrl_c_able,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


async def test_the_command_prints_its_address_and_credentials_and_serves(command: subprocess.Popen[bytes]) -> None:
    exports = read_exports(command)

    assert exports["FRAGMENT_BASE_URL"].startswith("http://127.0.0.1:")
    assert exports["FRAGMENT_TOKEN_URL"] == exports["FRAGMENT_BASE_URL"] + "/oauth2/token"
    assert (exports["FRAGMENT_CLIENT_ID"], exports["FRAGMENT_CLIENT_SECRET"]) == ("cli-client", "cli-secret")
    async with AsyncFragment(
        base_url=exports["FRAGMENT_BASE_URL"],
        token_url=exports["FRAGMENT_TOKEN_URL"],
        client_id=exports["FRAGMENT_CLIENT_ID"],
        client_secret=exports["FRAGMENT_CLIENT_SECRET"],
    ) as client:
        created = await client.invoices.create(invoice_id="from_the_command", line_items=[ITEM])
    assert created.data.workspace_id == "ws_cli"

    command.send_signal(signal.SIGINT)
    _, stderr = command.communicate(timeout=10)
    assert command.returncode == 0
    assert b"cli-secret" not in stderr


def test_a_port_in_use_is_one_line_on_stderr_and_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = subprocess.run(
            [sys.executable, "-m", "fragment.testing", "--port", str(port)], capture_output=True, text=True, timeout=60
        )

    assert run.returncode == 2
    assert (
        run.stderr
        == f"python -m fragment.testing: error: cannot listen on 127.0.0.1 port {port}: Address already in use\n"
    )
    assert run.stdout == ""


def test_the_command_stops_cleanly_on_sigterm(command: subprocess.Popen[bytes]) -> None:
    read_exports(command)

    command.send_signal(signal.SIGTERM)

    assert command.wait(timeout=10) == 0


@pytest.mark.parametrize(("text", "expected"), [("50", (0.05, 0.0)), ("50~10", (0.05, 0.01)), ("0", (0.0, 0.0))])
def test_latency_is_read_in_milliseconds_with_an_optional_jitter(text: str, expected: tuple[float, float]) -> None:
    from fragment.testing._command import build_parser

    assert build_parser().parse_args(["--latency", text]).latency == pytest.approx(expected)


@pytest.mark.parametrize("text", ["-5", "10~20", "fast", "inf", "nan", "70000"])
def test_a_latency_out_of_range_is_a_usage_error(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    from fragment.testing._command import build_parser

    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args([f"--latency={text}"])

    assert exited.value.code == 2
    assert "expected MS or MS~JITTER" in capsys.readouterr().err
