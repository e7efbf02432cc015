"""The ``fragment`` command line, run for real: ``python -m fragment`` in a subprocess.

Commands talk to a thread-backed emulator (the ``fragment_emulator`` fixture) through the
connection options, or to their own in-process one with ``--local``.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from fragment import AsyncFragment

if TYPE_CHECKING:
    from fragment.testing import Emulator

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
EXAMPLE_INVOICES = 300
HEADER = "invoice_id,amount,currency_code,description,product_id,type,user_id\n"
ITEM = {
    "amount": "1000",
    "currency_code": "USD",
    "description": "Professional services, January",
    "product_id": "prod_1",
    "type": "payout",
    "user_id": "user_ext_456",
}
LINE_ITEM = ",".join(f"{key}={value}" for key, value in ITEM.items())


def fragment(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command line with no FRAGMENT_* settings inherited from the environment."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("FRAGMENT_")}
    return subprocess.run(
        [sys.executable, "-m", "fragment", *args], input=stdin, capture_output=True, text=True, env=env, timeout=60
    )


def connection(emulator: Emulator) -> list[str]:
    return [
        "--base-url",
        emulator.base_url,
        "--token-url",
        emulator.token_url,
        "--client-id",
        emulator.client_id,
        "--client-secret",
        emulator.client_secret,
    ]


def invoice_posts(emulator: Emulator) -> int:
    return emulator.stats.requests.get("/invoices", 0)


def results_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_create_prints_the_created_invoice_as_json(fragment_emulator: Emulator) -> None:
    run = fragment(
        *connection(fragment_emulator), "invoices", "create", "--invoice-id", "inv_1", "--line-item", LINE_ITEM
    )

    assert run.returncode == 0, run.stderr
    invoice = json.loads(run.stdout)
    assert invoice["id"] == "inv_1"
    assert invoice["version"] == 1
    assert invoice["lineItems"][0]["description"] == "Professional services, January"
    assert [stored["id"] for stored in fragment_emulator.invoices()] == ["inv_1"]


def test_create_takes_the_whole_invoice_as_json_on_stdin(fragment_emulator: Emulator) -> None:
    document = json.dumps({"invoice_id": "inv_json", "line_items": [ITEM, {**ITEM, "type": "payin"}]})

    run = fragment(*connection(fragment_emulator), "invoices", "create", "--json", "-", stdin=document)

    assert run.returncode == 0, run.stderr
    assert [line["type"] for line in json.loads(run.stdout)["lineItems"]] == ["payout", "payin"]


def test_create_refuses_an_invalid_invoice_with_exit_1_and_sends_nothing(fragment_emulator: Emulator) -> None:
    bad_item = LINE_ITEM.replace("currency_code=USD", "currency_code=USDX")

    run = fragment(
        *connection(fragment_emulator), "invoices", "create", "--invoice-id", "inv_1", "--line-item", bad_item
    )

    assert run.returncode == 1
    assert "line_items[0].currency_code: 'USDX' is not a supported currency code" in run.stderr
    assert invoice_posts(fragment_emulator) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["invoices", "create", "--invoice-id", "inv_1", "--line-item", "amount"], "expected KEY=VALUE"),
        (["invoices", "create", "--invoice-id", "inv_1"], "at least one --line-item"),
        (["invoices", "import", "missing.csv"], "cannot read missing.csv"),
        (["invoices", "import", str(EXAMPLES / "invoices.csv"), "--resume"], "--resume needs --results"),
        (
            ["--local", "--base-url", "https://x.test", "invoices", "import", "a.csv"],
            "do not combine it with --base-url",
        ),
        (["invoices", "import", str(EXAMPLES / "invoices.csv")], "no credentials: give --client-id"),
        (["invoices", "import", str(EXAMPLES / "invoices.csv"), "--concurrency", "0"], "must be at least 1"),
    ],
)
def test_usage_errors_exit_2_with_a_message(args: list[str], message: str) -> None:
    run = fragment(*args)

    assert run.returncode == 2
    assert message in run.stderr


@pytest.mark.parametrize("name", ["invoices.csv", "invoices.jsonl"])
def test_import_of_the_example_with_local_creates_every_invoice(name: str, tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"

    run = fragment("--local", "invoices", "import", str(EXAMPLES / name), "--results", str(results))

    assert run.returncode == 0, run.stderr
    assert "in-process emulator" in run.stderr
    assert f"fragment: {EXAMPLE_INVOICES} created, 0 failed, 0 skipped in " in run.stderr
    records = results_of(results)
    assert len(records) == EXAMPLE_INVOICES
    assert len({record["invoice_id"] for record in records}) == EXAMPLE_INVOICES
    assert all(record["ok"] and record["version"] == 1 for record in records)


def bad_file(tmp_path: Path) -> Path:
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER
        + "inv_1,1000,USD,Pro plan,prod_1,payin,user_1\n"  # line 2
        + "inv_1,10.50,USD,Extra seat,prod_2,payin,user_1\n"  # line 3: not an amount in cents
        + "inv_2,500,EUR,Seat,prod_2,payout,user_2\n"  # line 4: fine
        + "inv_3,700,USDX,Storage,prod_3,payin,user_3\n"  # line 5: unknown currency
        + "inv_4,900,GBP,Tip,prod_4,refund,user_4\n"  # line 6: unknown type
        + "inv_5,1,JPY,Sticker,prod_5,payin,user_5\n"  # line 7: fine
    )
    return path


def test_import_reports_bad_rows_with_line_numbers_and_creates_the_rest(
    fragment_emulator: Emulator, tmp_path: Path
) -> None:
    source, results = bad_file(tmp_path), tmp_path / "results.jsonl"

    run = fragment(*connection(fragment_emulator), "invoices", "import", str(source), "--results", str(results))

    assert run.returncode == 1
    assert f"{source}:3: line_items[1].amount: '10.50' is not a string of digits" in run.stderr
    assert f"{source}:5: line_items[0].currency_code: 'USDX' is not a supported currency code" in run.stderr
    assert f"{source}:6: line_items[0].type: 'refund' is not a line item type" in run.stderr
    assert "fragment: 2 created, 3 failed, 0 skipped in " in run.stderr
    assert sorted(invoice["id"] for invoice in fragment_emulator.invoices()) == ["inv_2", "inv_5"]
    failed = {record["invoice_id"]: record for record in results_of(results) if not record["ok"]}
    assert {invoice_id: record["line"] for invoice_id, record in failed.items()} == {"inv_1": 2, "inv_3": 5, "inv_4": 6}
    assert failed["inv_1"]["error_type"] == "ValidationError"
    assert failed["inv_1"]["errors"][0]["line"] == 3


def test_import_reports_an_api_error_with_its_line_and_goes_on(fragment_emulator: Emulator, tmp_path: Path) -> None:
    async def create_the_first_version() -> None:
        async with AsyncFragment(**fragment_emulator.client_options()) as client:
            await client.invoices.create(invoice_id="inv_1", line_items=[ITEM])

    asyncio.run(create_the_first_version())
    source, results = tmp_path / "changed.csv", tmp_path / "results.jsonl"
    source.write_text(HEADER + "inv_2,500,EUR,Seat,prod_2,payout,user_2\ninv_1,999,USD,Changed,prod_1,payout,user_1\n")

    run = fragment(*connection(fragment_emulator), "invoices", "import", str(source), "--results", str(results))

    assert run.returncode == 1
    assert f"{source}:3: invoice 'inv_1': ConflictError: Error code: 409" in run.stderr
    assert "fragment: 1 created, 1 failed, 0 skipped in " in run.stderr
    [conflict] = [record for record in results_of(results) if not record["ok"]]
    assert (conflict["error_type"], conflict["status_code"], conflict["line"]) == ("ConflictError", 409, 3)


def test_dry_run_reports_every_bad_row_and_sends_nothing(fragment_emulator: Emulator, tmp_path: Path) -> None:
    source = bad_file(tmp_path)

    run = fragment(*connection(fragment_emulator), "invoices", "import", str(source), "--dry-run")

    assert run.returncode == 1
    assert [line.split(":")[1] for line in run.stderr.splitlines() if line.startswith(str(source))] == ["3", "5", "6"]
    assert "dry run: 2 valid, 3 invalid; nothing was sent" in run.stderr
    assert fragment_emulator.stats.requests == {}
    assert fragment_emulator.invoices() == []


def test_dry_run_of_a_valid_file_exits_0_without_credentials() -> None:
    run = fragment("invoices", "import", str(EXAMPLES / "invoices.jsonl"), "--dry-run")

    assert run.returncode == 0, run.stderr
    assert f"dry run: {EXAMPLE_INVOICES} valid, 0 invalid" in run.stderr


def test_non_adjacent_rows_of_one_invoice_are_an_error_with_the_line(
    fragment_emulator: Emulator, tmp_path: Path
) -> None:
    source = tmp_path / "split.csv"
    source.write_text(
        HEADER
        + "inv_1,1000,USD,Pro plan,prod_1,payin,user_1\n"
        + "inv_2,500,USD,Seat,prod_2,payin,user_2\n"
        + "inv_1,200,USD,Extra seat,prod_3,payin,user_1\n"
    )

    run = fragment(*connection(fragment_emulator), "invoices", "import", str(source))

    assert run.returncode == 1
    assert f"{source}:4: invoice_id: rows of 'inv_1' must be adjacent; its first rows start on line 2" in (
        run.stderr
    )
    assert invoice_posts(fragment_emulator) == 2  # the later row was never sent


def test_resume_after_an_interruption_creates_only_the_missing_invoices(
    fragment_emulator: Emulator, tmp_path: Path
) -> None:
    # The interrupted run: the first 120 invoices were created and recorded, and the
    # record of the next one was cut short mid-line when the process died.
    lines = (EXAMPLES / "invoices.jsonl").read_text().splitlines(keepends=True)
    head, results = tmp_path / "head.jsonl", tmp_path / "results.jsonl"
    head.write_text("".join(lines[:120]))
    first = fragment(*connection(fragment_emulator), "invoices", "import", str(head), "--results", str(results))
    assert first.returncode == 0, first.stderr
    next_id = json.loads(lines[120])["invoice_id"]
    with results.open("a") as file:
        file.write(f'{{"invoice_id": "{next_id}", "ok": tr')
    assert invoice_posts(fragment_emulator) == 120

    run = fragment(
        *connection(fragment_emulator),
        "invoices",
        "import",
        str(EXAMPLES / "invoices.jsonl"),
        "--results",
        str(results),
        "--resume",
    )

    assert run.returncode == 0, run.stderr
    assert "fragment: 180 created, 0 failed, 120 skipped in " in run.stderr
    assert invoice_posts(fragment_emulator) == EXAMPLE_INVOICES  # each invoice POSTed exactly once
    assert len(fragment_emulator.invoices()) == EXAMPLE_INVOICES
    recorded = results.read_text().splitlines()
    assert recorded[120] == f'{{"invoice_id": "{next_id}", "ok": tr'  # left as it was, then skipped
    created = [json.loads(line)["invoice_id"] for line in recorded[:120] + recorded[121:]]
    assert sorted(created) == sorted(json.loads(line)["invoice_id"] for line in lines)


def test_emulator_command_serves_until_interrupted(ctrl_c_able: Callable[[], None]) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("FRAGMENT_")}
    with subprocess.Popen(
        [sys.executable, "-m", "fragment", "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=ctrl_c_able,
    ) as server:
        assert server.stdout is not None
        first = server.stdout.readline()
        server.send_signal(signal.SIGINT)  # as Ctrl-C does
        server.communicate(timeout=30)

    assert first.startswith("export FRAGMENT_BASE_URL=http://127.0.0.1:")
    assert server.returncode == 0


def test_import_fragment_does_not_load_the_command_line() -> None:
    code = "import sys, fragment; assert 'fragment._cli' not in sys.modules, 'loaded'"

    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0
