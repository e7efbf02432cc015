"""``fragment <resource> <verb>``: every operation of the API as a command, run against the emulator.

Commands run in-process (``fragment._cli.main``) against a thread-backed emulator over a
real socket; what a user sees is stdout, stderr and the exit status.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
import pytest

from fragment._cli import main

if TYPE_CHECKING:
    from fragment.testing import Emulator

EVERY_OPERATION = [
    ("invoices", "create"),
    ("invoices", "retrieve"),
    ("invoices", "update"),
    ("invoices", "list"),
    ("invoices", "list-history"),
    ("products", "create"),
    ("products", "retrieve"),
    ("products", "list"),
    ("roles", "create"),
    ("roles", "list"),
    ("users", "create"),
    ("users", "list"),
    ("external-accounts", "create"),
    ("external-accounts", "list"),
    ("transactions", "create"),
    ("transactions", "retrieve"),
    ("transactions", "list"),
    ("transactions", "create-allocations"),
]
LINE_ITEM = "amount=1000,currency_code=USD,description=Seat, June,product_id=prod_seat,type=payin,user_id=cus_1"
POSTED = "2026-06-03T09:30:00+00:00"


@attrs.frozen
class Run:
    status: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Cli = Callable[..., Run]


@pytest.fixture
def cli(fragment_emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> Cli:
    """Run ``fragment`` with the emulator's connection options; return what it printed."""
    options = fragment_emulator.client_options()
    connection = [
        f"--base-url={options['base_url']}",
        f"--token-url={options['token_url']}",
        f"--client-id={options['client_id']}",
        f"--client-secret={options['client_secret']}",
    ]

    def run(*args: str) -> Run:
        status = main([*connection, *args])
        captured = capsys.readouterr()
        return Run(status, captured.out, captured.err)

    return run


@pytest.fixture
def customer(cli: Cli) -> str:
    """A buyer role, a customer ``cus_1`` in it, and a product ``prod_seat`` it pays for."""
    assert cli("roles", "create", "--role", "buyer").status == 0
    assert cli("users", "create", "--external-id", "cus_1", "--role", "buyer").status == 0
    made = cli("products", "create", "--code", "prod_seat", "--description", "A seat", "--paid-by-role", "name=buyer")
    assert made.status == 0, made.err
    return "cus_1"


@pytest.fixture
def invoice(cli: Cli, customer: str) -> str:
    made = cli("invoices", "create", "--invoice-id", "inv_1", "--line-item", LINE_ITEM)
    assert made.status == 0, made.err
    return "inv_1"


@pytest.fixture
def account(cli: Cli) -> str:
    made = cli("external-accounts", "create", "--external-id", "bank_1", "--name", "Operating account")
    assert made.status == 0, made.err
    return "bank_1"


def transaction_document(**changes: Any) -> str:
    fields = {"account": {"external_id": "bank_1"}, "allocations": [], **changes}
    return json.dumps(fields)


@pytest.mark.parametrize(("resource", "verb"), EVERY_OPERATION)
def test_every_operation_of_the_api_is_a_command(resource: str, verb: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([resource, verb, "--help"])

    assert exited.value.code == 0
    assert f"usage: fragment {resource} {verb}" in capsys.readouterr().out


def test_roles_and_users_are_created_and_listed(cli: Cli) -> None:
    role = cli("roles", "create", "--role", "seller")
    user = cli("users", "create", "--external-id", "sel_1", "--role", "seller")
    roles, users = cli("roles", "list"), cli("users", "list")

    assert (role.status, user.status, roles.status, users.status) == (0, 0, 0, 0)
    assert role.json()["role"] == "seller"
    assert user.json()["externalId"] == "sel_1"  # the API's own key names
    assert [item["role"] for item in roles.json()] == ["seller"]
    assert [item["externalId"] for item in users.json()] == ["sel_1"]


def test_products_take_role_references_as_key_value_pairs(cli: Cli, customer: str) -> None:
    retrieved = cli("products", "retrieve", "prod_seat")
    listed = cli("products", "list")

    assert retrieved.status == 0, retrieved.err
    assert [role["name"] for role in retrieved.json()["paid_by_roles"]] == ["buyer"]
    assert [product["code"] for product in listed.json()] == ["prod_seat"]


def test_an_invoice_is_retrieved_updated_listed_and_its_history_read(cli: Cli, invoice: str) -> None:
    retrieved = cli("invoices", "retrieve", invoice)
    line_item_id = retrieved.json()["lineItems"][0]["id"]

    updated = cli(
        "invoices",
        "update",
        invoice,
        "--version",
        "1",
        "--line-items-update",
        f"op=update,id={line_item_id},amount=1500",
    )
    listed = cli("invoices", "list")
    history = cli("invoices", "list-history", invoice)

    assert updated.status == 0, updated.err
    assert updated.json()["version"] == 2
    assert updated.json()["lineItems"][0]["amount"] == "1500"
    assert [item["id"] for item in listed.json()] == [invoice]
    assert [snapshot["version"] for snapshot in history.json()] == [1, 2]


def test_a_stale_version_is_an_api_failure_with_exit_1(cli: Cli, invoice: str) -> None:
    run = cli(
        "invoices",
        "update",
        invoice,
        "--version",
        "7",
        "--json",
        '{"line_items_update": [{"op": "delete", "id": "x"}]}',
    )

    assert run.status == 1
    assert run.err.startswith("fragment: invoices update: ConflictError: ")
    assert run.out == ""


def test_a_transaction_is_created_from_json_and_options_retrieved_listed_and_allocated(
    cli: Cli, invoice: str, account: str
) -> None:
    created = cli(
        "transactions",
        "create",
        "--json",
        transaction_document(),
        "--external-id",
        "txn_1",
        "--amount",
        "1000",
        "--currency",
        "USD",
        "--posted",
        POSTED,
    )
    transaction_id = created.json()["id"]
    allocation = {
        "op": "add",
        "amount": "1000",
        "invoice_id": invoice,
        "type": "invoice_payin",
        "user": {"external_id": "cus_1"},
    }
    allocated = cli(
        "transactions",
        "create-allocations",
        transaction_id,
        "--version",
        "1",
        "--json",
        json.dumps({"allocation_updates": [allocation]}),
    )
    retrieved = cli("transactions", "retrieve", transaction_id)
    reconciled = cli("transactions", "list", "--account", account, "--reconciliation-status", "reconciled")
    unreconciled = cli("transactions", "list", "--reconciliation-status", "unreconciled")
    balance = cli("invoices", "retrieve", invoice)

    assert created.status == 0, created.err
    assert created.json()["unallocated_amount"] == "1000"
    assert allocated.status == 0, allocated.err
    assert retrieved.json()["unallocated_amount"] == "0"
    assert [item["external_id"] for item in reconciled.json()] == ["txn_1"]
    assert unreconciled.json() == []
    assert balance.json()["balances"][0]["payins"]["remaining"] == "0"


def test_external_accounts_are_created_and_listed_as_a_table(cli: Cli, account: str) -> None:
    run = cli("external-accounts", "list", "--table")

    assert run.status == 0, run.err
    header, row = run.out.splitlines()
    assert header.split() == ["ID", "EXTERNAL", "ID", "NAME"]
    assert row.split()[1:] == ["bank_1", "Operating", "account"]


def test_a_single_object_as_a_table_is_one_row_per_field(cli: Cli, customer: str) -> None:
    run = cli("invoices", "create", "--invoice-id", "inv_t", "--line-item", LINE_ITEM, "--table")

    rows = dict(line.split(None, 1) for line in run.out.splitlines())
    assert run.status == 0, run.err
    assert rows["id"] == "inv_t"
    assert rows["lineItems[0].description"] == "Seat, June"
    assert rows["lineItems[0].currencyCode"] == "USD"


def test_options_replace_the_same_keys_of_the_json_document(cli: Cli, customer: str) -> None:
    document = json.dumps({"invoice_id": "from_json", "line_items": [{"amount": "5"}]})

    run = cli("invoices", "create", "--json", document, "--invoice-id", "from_option", "--line-item", LINE_ITEM)

    assert run.status == 0, run.err
    assert run.json()["id"] == "from_option"
    assert run.json()["lineItems"][0]["amount"] == "1000"


def test_a_json_key_that_is_no_field_is_refused_with_the_closest_name(cli: Cli) -> None:
    run = cli("invoices", "create", "--json", '{"invoice_id": "inv_1", "line_itmes": []}')

    assert run.status == 1
    assert "fragment: invoices create: invalid: line_itmes: unknown field; did you mean 'line_items'?" in run.err


def test_a_missing_required_field_names_both_ways_to_give_it(cli: Cli) -> None:
    run = cli("external-accounts", "create", "--name", "Operating account")

    assert run.status == 2
    assert "give --external-id or external_id in --json" in run.err


def test_an_invalid_call_is_refused_before_anything_is_sent(cli: Cli, fragment_emulator: Emulator) -> None:
    run = cli(
        "transactions",
        "create",
        "--json",
        transaction_document(),
        "--external-id",
        "t",
        "--amount",
        "10",
        "--currency",
        "USD",
        "--posted",
        "2026-06-03T09:30:00",
    )

    assert run.status == 1
    assert "fragment: transactions create: invalid: posted: " in run.err
    assert fragment_emulator.stats.requests == {}


def test_a_path_parameter_is_sent_as_one_segment(cli: Cli, invoice: str) -> None:
    run = cli("invoices", "retrieve", "inv_1/history")

    assert run.status == 1
    assert "NotFoundError" in run.err


def test_an_empty_path_parameter_is_refused_before_sending(cli: Cli, fragment_emulator: Emulator) -> None:
    run = cli("invoices", "retrieve", "")

    assert run.status == 1
    assert "fragment: invoices retrieve: invalid: id: must not be empty" in run.err
    assert fragment_emulator.stats.requests == {}


def test_every_resource_has_a_command_that_runs_against_the_local_emulator() -> None:
    for resource in ("invoices", "products", "roles", "users", "external-accounts", "transactions"):
        run = subprocess.run(
            [sys.executable, "-m", "fragment", "--local", resource, "list"], capture_output=True, text=True, timeout=60
        )

        assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout) == []


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("[1, 2]", "expected a JSON object of the command's fields, got list"),
        ('{"line_items": ' + "[" * 100_000 + "]" * 100_000 + "}", "the JSON is nested too deeply"),
        ('{"invoice_id": ' + "9" * 5000 + "}", "invalid JSON: Exceeds the limit"),
        ('{"invoice_id": "x"', "invalid JSON: Expecting"),
    ],
)
def test_a_json_document_that_is_no_object_is_a_usage_error(
    cli: Cli, tmp_path: Any, document: str, message: str
) -> None:
    path = tmp_path / "invoice.json"
    path.write_text(document)

    run = cli("invoices", "create", "--json", str(path))

    assert run.status == 2
    assert message in run.err


def test_a_json_file_that_is_not_utf8_is_reported_on_its_line_with_a_hint(cli: Cli, tmp_path: Any) -> None:
    path = tmp_path / "invoice.json"
    path.write_bytes(b'{\n  "invoice_id": "caf\xe9"\n}\n')

    run = cli("invoices", "create", "--json", str(path))

    assert run.status == 2
    assert f"{path}:2: byte 0xE9 at position 21 of the line is not UTF-8: re-save the file as UTF-8" in run.err


def test_every_batch_create_has_an_import_with_columns_from_its_fields(
    cli: Cli, fragment_emulator: Emulator, tmp_path: Any
) -> None:
    roles = tmp_path / "roles.csv"
    roles.write_text("role\nbuyer\nseller\n")

    run = cli("roles", "import", str(roles))

    assert run.status == 0, run.err
    assert "fragment: 2 created, 0 failed, 0 skipped in " in run.err
    assert [role["role"] for role in fragment_emulator.roles()] == ["buyer", "seller"]


def test_an_import_whose_fields_have_no_column_form_reads_json_lines_only(cli: Cli, tmp_path: Any) -> None:
    products = tmp_path / "products.csv"
    products.write_text("code,description\nprod_1,A seat\n")

    run = cli("products", "import", str(products))

    assert run.status == 2
    assert "products cannot be read from CSV (a field has no column form); use JSON Lines" in run.err
