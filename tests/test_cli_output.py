"""What a command prints: the answer's data as JSON, or as a table for people."""

from __future__ import annotations

import json

from fragment._cli._output import format_json, format_table, response_data
from fragment.types import Role, RoleListResponse

TRANSACTION = {
    "id": "txn_1",
    "account": {"id": "ext_account_1", "external_id": "bank_1"},
    "allocations": [{"amount": "100", "invoice_id": "inv_1"}],
    "amount": "100",
    "created": "2026-06-03T09:30:00+00:00",
    "external_id": "t1",
}


def test_json_is_the_data_of_the_answer_with_the_api_s_key_names() -> None:
    response = RoleListResponse(data=[Role(id="role_1", role="buyer")])

    printed = format_json(response_data(response))

    assert json.loads(printed) == [{"id": "role_1", "role": "buyer"}]


def test_json_is_ascii_so_any_terminal_carries_it() -> None:
    assert format_json({"description": "Café \ud800"}) == '{\n  "description": "Caf\\u00e9 \\ud800"\n}'


def test_a_list_is_one_row_per_item_with_nested_values_summarized() -> None:
    table = format_table([TRANSACTION, {**TRANSACTION, "id": "txn_2", "allocations": []}])

    assert table.splitlines() == [
        "ID     ACCOUNT  ALLOCATIONS  AMOUNT  EXTERNAL ID",
        "txn_1  bank_1   1            100     t1",
        "txn_2  bank_1   0            100     t1",
    ]


def test_a_single_object_is_one_row_per_value_by_its_path() -> None:
    table = format_table(TRANSACTION)

    assert table.splitlines() == [
        "id                         txn_1",
        "account.id                 ext_account_1",
        "account.external_id        bank_1",
        "allocations[0].amount      100",
        "allocations[0].invoice_id  inv_1",
        "amount                     100",
        "created                    2026-06-03T09:30:00+00:00",
        "external_id                t1",
    ]


def test_control_characters_in_a_value_cannot_break_the_table() -> None:
    table = format_table([{"id": "a\nb\tc", "name": "x"}])

    assert table.splitlines() == ["ID       NAME", "a\\nb\\tc  x"]


def test_an_empty_list_says_so() -> None:
    assert format_table([]) == "(none)"
