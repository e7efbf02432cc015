"""The ``fragment`` command line, run for real: ``python -m fragment`` in a subprocess.

Commands talk to a thread-backed emulator (the ``fragment_emulator`` fixture) through the
connection options, or to their own in-process one with ``--local``.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from fragment import AsyncFragment
from fragment.testing import Faults

if TYPE_CHECKING:
    from fragment.testing import Emulator

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
EXAMPLE_INVOICES = 300
EXAMPLE_TRANSACTIONS = 40
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


def clean_environment() -> dict[str, str]:
    """This process's environment without FRAGMENT_* settings."""
    return {name: value for name, value in os.environ.items() if not name.startswith("FRAGMENT_")}


def fragment(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command line with no FRAGMENT_* settings inherited from the environment."""
    return subprocess.run(
        [sys.executable, "-m", "fragment", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=clean_environment(),
        timeout=60,
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


def import_example_invoices(emulator: Emulator, *options: str) -> subprocess.CompletedProcess[str]:
    """``fragment invoices import`` of the 300 example invoices (JSONL) into the emulator."""
    return fragment(*connection(emulator), "invoices", "import", str(EXAMPLES / "invoices.jsonl"), *options)


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


@pytest.mark.parametrize(
    ("resource", "name", "count", "key"),
    [
        ("invoices", "invoices.csv", EXAMPLE_INVOICES, "invoice_id"),
        ("invoices", "invoices.jsonl", EXAMPLE_INVOICES, "invoice_id"),
        ("transactions", "transactions.csv", EXAMPLE_TRANSACTIONS, "external_id"),
        ("transactions", "transactions.jsonl", EXAMPLE_TRANSACTIONS, "external_id"),
    ],
)
def test_import_of_an_example_with_local_creates_every_record(
    resource: str, name: str, count: int, key: str, tmp_path: Path
) -> None:
    results = tmp_path / "results.jsonl"

    run = fragment("--local", resource, "import", str(EXAMPLES / name), "--results", str(results))

    assert run.returncode == 0, run.stderr
    assert "in-process emulator" in run.stderr
    assert f"fragment: {count} created, 0 failed, 0 skipped in " in run.stderr
    records = results_of(results)
    assert len(records) == count
    assert len({record[key] for record in records}) == count
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
    assert f"{source}:4: invoice_id: rows of 'inv_1' must be adjacent; its first rows start on line 2" in (run.stderr)
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

    run = import_example_invoices(fragment_emulator, "--results", str(results), "--resume")

    assert run.returncode == 0, run.stderr
    assert "fragment: 180 created, 0 failed, 120 skipped in " in run.stderr
    assert invoice_posts(fragment_emulator) == EXAMPLE_INVOICES  # each invoice POSTed exactly once
    assert len(fragment_emulator.invoices()) == EXAMPLE_INVOICES
    recorded = results.read_text().splitlines()
    assert recorded[120] == f'{{"invoice_id": "{next_id}", "ok": tr'  # left as it was, then skipped
    created = [json.loads(line)["invoice_id"] for line in recorded[:120] + recorded[121:]]
    assert sorted(created) == sorted(json.loads(line)["invoice_id"] for line in lines)


def test_emulator_command_serves_until_interrupted(ctrl_c_able: Callable[[], None]) -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "fragment", "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_environment(),
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


# --- hardening: bad input and a broken setup give one clear message, never a traceback --------


def example_results(tmp_path: Path) -> Path:
    return tmp_path / "results.jsonl"


def test_results_naming_the_input_file_is_refused_and_the_input_kept(tmp_path: Path) -> None:
    source = tmp_path / "invoices.jsonl"
    source.write_text((EXAMPLES / "invoices.jsonl").read_text())
    (tmp_path / "sub").mkdir()

    run = fragment(
        "--local", "invoices", "import", str(source), "--results", str(tmp_path / "sub" / ".." / source.name)
    )

    assert run.returncode == 2
    assert "is the input file: it would be overwritten" in run.stderr
    assert source.read_text() == (EXAMPLES / "invoices.jsonl").read_text()


def test_resume_with_a_file_that_is_not_a_results_file_is_refused_before_anything_is_written(
    fragment_emulator: Emulator, tmp_path: Path
) -> None:
    other = tmp_path / "notes.csv"
    other.write_text(HEADER + "inv_1,1000,USD,Pro plan,prod_1,payin,user_1\n")
    before = other.read_bytes()

    run = import_example_invoices(fragment_emulator, "--results", str(other), "--resume")

    assert run.returncode == 2
    assert f"--resume: {other} is not a results file of a invoice import" in run.stderr
    assert other.read_bytes() == before
    assert fragment_emulator.stats.requests == {}


def test_a_wrong_secret_stops_the_import_once_with_a_hint_and_it_resumes(
    fragment_emulator: Emulator, tmp_path: Path
) -> None:
    results = example_results(tmp_path)
    wrong = [*connection(fragment_emulator)[:-1], "not-the-secret"]

    run = fragment(*wrong, "invoices", "import", str(EXAMPLES / "invoices.jsonl"), "--results", str(results))

    assert run.returncode == 1
    assert run.stderr.count("AuthenticationError") == 1
    assert "fragment: stopped: AuthenticationError: " in run.stderr
    assert "check --client-id and --client-secret (or FRAGMENT_CLIENT_ID and FRAGMENT_CLIENT_SECRET)" in run.stderr
    assert "; stopped (run again with --resume to finish)" in run.stderr
    assert invoice_posts(fragment_emulator) == 0
    resumed = import_example_invoices(fragment_emulator, "--results", str(results), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert f"fragment: {EXAMPLE_INVOICES} created, 0 failed, 0 skipped in " in resumed.stderr


def test_an_unreachable_api_stops_the_import_once_with_a_hint(tmp_path: Path) -> None:
    with socket.socket() as closed:  # bound, never listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
        run = fragment(
            "--base-url",
            url,
            "--token-url",
            f"{url}/oauth2/token",
            "--client-id",
            "id",
            "--client-secret",
            "secret",
            "invoices",
            "import",
            str(EXAMPLES / "invoices.jsonl"),
            "--results",
            str(example_results(tmp_path)),
        )

    assert run.returncode == 1
    assert run.stderr.count("APIConnectionError") == 1
    assert "the API cannot be reached: check --base-url and --token-url" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_number_too_long_for_python_in_jsonl_is_a_bad_row_and_the_rest_is_imported(
    fragment_emulator: Emulator, tmp_path: Path
) -> None:
    source = tmp_path / "long.jsonl"
    huge = json.dumps({"invoice_id": "inv_huge", "line_items": [{**ITEM, "amount": 0}]})
    huge = huge.replace('"amount": 0', '"amount": ' + "9" * 5000)
    source.write_text(
        json.dumps({"invoice_id": "inv_1", "line_items": [ITEM]})
        + "\n"
        + huge
        + "\n"
        + json.dumps({"invoice_id": "inv_3", "line_items": [ITEM]})
        + "\n"
    )

    run = fragment(*connection(fragment_emulator), "invoices", "import", str(source))

    assert run.returncode == 1
    assert f"{source}:2: invalid JSON: Exceeds the limit" in run.stderr
    assert "fragment: 2 created, 1 failed, 0 skipped in " in run.stderr
    assert "Traceback" not in run.stderr


def test_a_lone_surrogate_in_create_json_is_refused_without_a_traceback() -> None:
    document = json.dumps({"invoice_id": "\ud800", "line_items": [ITEM]})

    run = fragment("--local", "invoices", "create", "--json", "-", stdin=document)

    assert run.returncode == 1
    assert "fragment: invoices create: invalid: invoice_id: '\\ud800' contains a lone surrogate" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_byte_that_is_not_utf8_is_reported_on_its_line_with_a_hint(
    fragment_emulator: Emulator, tmp_path: Path
) -> None:
    source = tmp_path / "latin1.csv"
    rows = [f"inv_{n},1000,USD,Seat,prod_1,payin,user_1\n".encode() for n in range(1, 1600)]
    rows[1499] = "inv_1500,1000,USD,Caf\u00e9,prod_1,payin,user_1\n".encode("latin-1")  # line 1501 of the file
    source.write_bytes(HEADER.encode() + b"".join(rows))

    run = fragment(*connection(fragment_emulator), "invoices", "import", str(source), "--concurrency", "64")

    assert run.returncode == 1
    [reported] = [line for line in run.stderr.splitlines() if line.startswith(str(source))]
    assert reported.startswith(f"{source}:1501: byte 0xE9 ")
    assert "re-save the file as UTF-8, e.g. iconv -f WINDOWS-1252 -t UTF-8" in reported
    assert "fragment: 1598 created, 1 failed, 0 skipped in " in run.stderr


def test_the_emulator_command_on_a_taken_port_prints_one_line_and_exits_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        run = fragment("emulator", "--port", str(taken.getsockname()[1]))

    assert run.returncode == 2
    assert run.stderr.startswith("fragment emulator: error: cannot listen on 127.0.0.1 port ")
    assert len(run.stderr.splitlines()) == 1
    assert run.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["emulator", "--port", "99999"], "must be at most 65535"),
        (["emulator", "--rate-limit", "inf"], "RATE must be a positive, finite number"),
        (["emulator", "--token-lifetime", "nan"], "expected a finite number of seconds"),
        (["emulator", "--faults", "slow=1,slow_seconds=inf"], "slow_seconds needs a finite number"),
        (["--timeout", "inf", "invoices", "list"], "expected a finite number of seconds"),
        (["--timeout", "nan", "invoices", "list"], "expected a finite number of seconds"),
        (["invoices", "import", "x.csv", "--concurrency", "100000000"], "must be at most 1000"),
    ],
)
def test_option_values_out_of_range_are_usage_errors_without_a_traceback(args: list[str], message: str) -> None:
    run = fragment(*args)

    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr
    assert "Fragment emulator:" not in run.stderr  # no banner before the error


def test_missing_credentials_name_the_options_the_variables_and_local() -> None:
    run = fragment("invoices", "list")

    assert run.returncode == 2
    assert "--client-id (or FRAGMENT_CLIENT_ID) and --client-secret (or FRAGMENT_CLIENT_SECRET)" in run.stderr
    assert "--local" in run.stderr
    assert "client_id=" not in run.stderr


def test_plain_http_to_another_host_names_the_command_line_option() -> None:
    run = fragment(
        "--base-url", "http://api.example.test", "--client-id", "id", "--client-secret", "s", "invoices", "list"
    )

    assert run.returncode == 2
    assert "pass --allow-insecure-http" in run.stderr
    assert "allow_insecure_http=" not in run.stderr


def test_sigterm_during_an_import_prints_the_summary_and_the_import_resumes(
    fragment_emulator: Emulator, tmp_path: Path, ctrl_c_able: Callable[[], None]
) -> None:
    results = example_results(tmp_path)
    fragment_emulator.faults = Faults(slow=1.0, slow_seconds=30)
    arguments = [*connection(fragment_emulator), "invoices", "import", str(EXAMPLES / "invoices.jsonl")]
    with subprocess.Popen(
        [sys.executable, "-m", "fragment", *arguments, "--results", str(results)],
        stderr=subprocess.PIPE,
        text=True,
        env=clean_environment(),
        preexec_fn=ctrl_c_able,
    ) as importing:
        assert importing.stderr is not None
        first = importing.stderr.readline()  # the periodic progress line: the import is under way
        importing.send_signal(signal.SIGTERM)
        _, rest = importing.communicate(timeout=30)

    assert first.startswith("fragment: 0/300 invoices (0%)")
    assert importing.returncode == 143
    assert "; interrupted (run again with --resume to finish)" in rest
    fragment_emulator.faults = Faults()
    resumed = fragment(*arguments, "--results", str(results), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert f"fragment: {EXAMPLE_INVOICES} created, 0 failed, 0 skipped in " in resumed.stderr


def test_a_closed_stdout_ends_the_command_without_a_traceback() -> None:
    reading, writing = os.pipe()
    os.close(reading)  # nobody will read what the command prints
    with os.fdopen(writing, "w") as closed:
        run = subprocess.run(
            [sys.executable, "-m", "fragment", "--local", "roles", "list"],
            stdout=closed,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_environment(),
            timeout=60,
        )

    assert run.returncode == 1
    assert "Traceback" not in run.stderr


def test_log_level_shows_the_sdk_s_records_once_even_with_fragment_log_set() -> None:
    command = [sys.executable, "-m", "fragment", "--log-level", "debug", "--local", "roles", "list"]

    alone = subprocess.run(command, capture_output=True, text=True, env=clean_environment(), timeout=60)
    both = subprocess.run(
        command, capture_output=True, text=True, env={**clean_environment(), "FRAGMENT_LOG": "info"}, timeout=60
    )

    def records(stderr: str) -> list[list[str]]:  # each record's logger and level (ports and ids differ)
        return [line.split("]", 1)[0].split()[-2:] for line in stderr.splitlines() if line.startswith("[")]

    assert "fragment DEBUG] GET /roles -> 200" in alone.stderr
    assert records(both.stderr) == records(alone.stderr)


def test_import_of_the_command_line_does_not_load_the_emulator() -> None:
    code = (
        "import sys, fragment._cli\n"
        "loaded = [name for name in ('aiohttp.web', 'fragment.testing') if name in sys.modules]\n"
        "assert not loaded, loaded"
    )

    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


# --- fragment transactions import ------------------------------------------------------------

TRANSACTIONS_HEADER = (
    "external_id,account_external_id,amount,currency,posted,"
    "allocation_amount,allocation_invoice_id,allocation_type,allocation_user_external_id\n"
)


def test_a_local_transactions_import_first_creates_the_accounts_the_file_names() -> None:
    run = fragment("--local", "transactions", "import", str(EXAMPLES / "transactions.csv"))

    assert run.returncode == 0, run.stderr
    notes = [line for line in run.stderr.splitlines() if "created external account" in line]
    assert notes == [
        "fragment: --local: created external account 'bank_operating_usd', which the file names",
        "fragment: --local: created external account 'bank_operating_eur', which the file names",
    ]


@pytest.fixture
def invoiced(fragment_emulator: Emulator) -> Emulator:
    """The emulator with a customer, two invoices of theirs and a bank account."""

    async def arrange() -> None:
        async with AsyncFragment(**fragment_emulator.client_options()) as client:
            await client.roles.create(role="buyer")
            await client.users.create(external_id="cus_1", role="buyer")
            for invoice_id in ("inv_1", "inv_2"):
                await client.invoices.create(invoice_id=invoice_id, line_items=[{**ITEM, "user_id": "cus_1"}])
            await client.external_accounts.create(external_id="bank_1", name="Operating account")

    asyncio.run(arrange())
    return fragment_emulator


def test_transaction_rows_sharing_an_external_id_each_add_an_allocation(invoiced: Emulator, tmp_path: Path) -> None:
    source = tmp_path / "bank.csv"
    source.write_text(
        TRANSACTIONS_HEADER
        + "txn_1,bank_1,1500,USD,2026-06-03T09:30:00Z,1000,inv_1,invoice_payin,cus_1\n"
        + "txn_1,,,,,500,inv_2,invoice_payin,cus_1\n"
        + "txn_2,bank_1,700,USD,2026-06-04T10:00:00Z,,,,\n"
    )

    run = fragment(*connection(invoiced), "transactions", "import", str(source))

    assert run.returncode == 0, run.stderr
    stored = {transaction["external_id"]: transaction for transaction in invoiced.transactions()}
    assert [allocation["invoice_id"] for allocation in stored["txn_1"]["allocations"]] == ["inv_1", "inv_2"]
    assert stored["txn_1"]["unallocated_amount"] == "0"
    assert (stored["txn_2"]["allocations"], stored["txn_2"]["unallocated_amount"]) == ([], "700")


def test_transaction_problems_are_reported_on_the_row_at_fault(invoiced: Emulator, tmp_path: Path) -> None:
    source, results = tmp_path / "bank.csv", tmp_path / "results.jsonl"
    source.write_text(
        TRANSACTIONS_HEADER
        + "txn_1,bank_1,1500,USD,2026-06-03T09:30:00Z,1000,inv_1,invoice_payin,cus_1\n"
        + "txn_1,,,,,500,inv_2,payin,cus_1\n"  # line 3: not an allocation type
        + "txn_2,bank_1,700,USD,2026-06-04T10:00:00Z,,,,\n"
        + "txn_2,bank_1,800,USD,,,,,\n"  # line 5: changes the transaction's amount
        + "txn_3,bank_1,900,USD,2026-06-04T10:00:00Z,,,,\n"
    )

    run = fragment(*connection(invoiced), "transactions", "import", str(source), "--results", str(results))

    assert run.returncode == 1
    assert f"{source}:3: allocations[1].type: 'payin' is not" in run.stderr
    assert f"{source}:5: amount: '800' differs from the record's first row (line 4)" in run.stderr
    assert "fragment: 1 created, 2 failed, 0 skipped in " in run.stderr
    assert [transaction["external_id"] for transaction in invoiced.transactions()] == ["txn_3"]
    failed = {record["external_id"]: record["line"] for record in results_of(results) if not record["ok"]}
    assert failed == {"txn_1": 2, "txn_2": 4}


def test_transactions_import_resumes_from_its_results_file(invoiced: Emulator, tmp_path: Path) -> None:
    lines = (EXAMPLES / "transactions.jsonl").read_text().replace("bank_operating_usd", "bank_1")
    lines = lines.replace("bank_operating_eur", "bank_1").replace('"currency": "EUR"', '"currency": "USD"')
    source, head, results = tmp_path / "all.jsonl", tmp_path / "head.jsonl", tmp_path / "results.jsonl"
    source.write_text(lines)
    head.write_text("".join(lines.splitlines(keepends=True)[:15]))
    first = fragment(*connection(invoiced), "transactions", "import", str(head), "--results", str(results))
    assert first.returncode == 0, first.stderr

    run = fragment(*connection(invoiced), "transactions", "import", str(source), "--results", str(results), "--resume")

    assert run.returncode == 0, run.stderr
    assert "fragment: resuming: 15 transactions already created per " in run.stderr
    assert f"fragment: {EXAMPLE_TRANSACTIONS - 15} created, 0 failed, 15 skipped in " in run.stderr
    assert invoiced.stats.requests.get("/transactions", 0) == EXAMPLE_TRANSACTIONS


def test_resume_refuses_the_results_file_of_another_kind_of_import(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    results.write_text('{"invoice_id": "inv_1", "ok": true, "id": "inv_1", "version": 1}\n')

    run = fragment(
        "--local", "transactions", "import", str(EXAMPLES / "transactions.csv"), "--results", str(results), "--resume"
    )

    assert run.returncode == 2
    assert "is not a results file of a transaction import (line 1 is not the result of a record with" in run.stderr


@pytest.mark.fragment_emulator(faults=Faults(server_error=1.0, retry_after_ms=1))
def test_verbose_prints_one_line_per_attempt_and_per_retry(fragment_emulator: Emulator) -> None:
    result = fragment(*connection(fragment_emulator), "--max-retries", "1", "-v", "roles", "list")

    lines = [line for line in result.stderr.splitlines() if "/roles" in line]
    assert result.returncode == 1
    assert len([line for line in lines if "GET /roles ->" in line]) == 2  # two attempts
    assert len([line for line in lines if line.startswith("fragment: retrying GET /roles in")]) == 1
    assert fragment_emulator.client_secret not in result.stderr


def test_shards_of_one_file_import_every_invoice_exactly_once(fragment_emulator: Emulator, tmp_path: Path) -> None:
    shards = 3
    runs = [
        import_example_invoices(
            fragment_emulator, "--shard", f"{index}/{shards}", "--results", str(tmp_path / f"shard-{index}.jsonl")
        )
        for index in range(shards)
    ]

    assert [run.returncode for run in runs] == [0] * shards, [run.stderr for run in runs]
    recorded = [
        {line["invoice_id"] for line in results_of(tmp_path / f"shard-{index}.jsonl")} for index in range(shards)
    ]
    assert all(recorded) and set.union(*recorded) == {invoice["id"] for invoice in fragment_emulator.invoices()}
    assert sum(map(len, recorded)) == EXAMPLE_INVOICES == len(fragment_emulator.invoices())  # no overlap
    assert invoice_posts(fragment_emulator) == EXAMPLE_INVOICES  # each sent once, by one shard


@pytest.mark.parametrize("spec", ["3/3", "-1/2", "1", "a/b", "0/0"])
def test_a_shard_that_is_not_k_of_n_is_a_usage_error(spec: str) -> None:
    run = fragment("--local", "invoices", "import", str(EXAMPLES / "invoices.jsonl"), f"--shard={spec}")

    assert run.returncode == 2
    assert "expected K/N" in run.stderr
