"""The import command's building blocks, called directly: readers, results file, progress, KEY=VALUE pairs."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from fragment import FieldError
from fragment._cli._import_kinds import import_kind
from fragment._cli._operations import parse_pairs
from fragment._cli._progress import Counts, LineProgress, Noun, format_summary, make_progress
from fragment._cli._readers import (
    InputFileError,
    Problem,
    SourceRecord,
    count_records,
    format_for,
    read_csv,
    read_jsonl,
)
from fragment._cli._results import Failure, NotAResultsFile, ResultsFile, created_keys

HEADER = "invoice_id,amount,currency_code,description,product_id,type,user_id\n"
INVOICES = Noun("invoice", "invoices")
INVOICE_KIND = import_kind("invoices")


def row(invoice_id: str, amount: str = "1000", description: str = "Pro plan") -> str:
    return f"{invoice_id},{amount},USD,{description},prod_1,payin,user_1\n"


def csv_invoices(text: str | bytes) -> list[SourceRecord]:
    assert INVOICE_KIND is not None and INVOICE_KIND.csv is not None
    data = text.encode() if isinstance(text, str) else text
    return list(read_csv(io.BytesIO(data), INVOICE_KIND.csv))


def jsonl_invoices(text: str | bytes) -> list[SourceRecord]:
    data = text.encode() if isinstance(text, str) else text
    return list(read_jsonl(io.BytesIO(data), key="invoice_id"))


def test_csv_groups_adjacent_rows_into_one_invoice_with_each_rows_line() -> None:
    invoices = csv_invoices(HEADER + row("inv_1") + row("inv_1", "2000") + row("inv_2"))

    assert [(i.key, i.line, i.item_lines) for i in invoices] == [("inv_1", 2, (2, 3)), ("inv_2", 4, (4,))]
    assert invoices[0].arguments == {
        "invoice_id": "inv_1",
        "line_items": [
            {
                "amount": "1000",
                "currency_code": "USD",
                "description": "Pro plan",
                "product_id": "prod_1",
                "type": "payin",
                "user_id": "user_1",
            },
            {
                "amount": "2000",
                "currency_code": "USD",
                "description": "Pro plan",
                "product_id": "prod_1",
                "type": "payin",
                "user_id": "user_1",
            },
        ],
    }
    assert all(not invoice.problems for invoice in invoices)


def test_csv_columns_may_come_in_any_order() -> None:
    text = "user_id,type,product_id,description,currency_code,amount,invoice_id\nu,payout,p,d,EUR,5,inv_1\n"

    [invoice] = csv_invoices(text)

    assert invoice.arguments is not None
    assert invoice.arguments["line_items"][0]["currency_code"] == "EUR"
    assert invoice.key == "inv_1"


def test_csv_line_numbers_count_physical_lines_of_quoted_fields_and_blank_lines() -> None:
    text = HEADER + row("inv_1", description='"two\nlines"') + "\n" + row("inv_2")

    invoices = csv_invoices(text)

    assert [invoice.line for invoice in invoices] == [2, 5]


def test_csv_non_adjacent_rows_of_an_invoice_are_an_error_on_the_later_row() -> None:
    invoices = csv_invoices(HEADER + row("inv_1") + row("inv_2") + row("inv_1"))

    assert [invoice.line for invoice in invoices] == [2, 3, 4]
    assert not invoices[0].problems
    assert invoices[2].problems == (
        Problem(4, "invoice_id", "rows of 'inv_1' must be adjacent; its first rows start on line 2"),
    )


def test_csv_row_with_a_wrong_number_of_fields_is_a_problem_of_its_invoice() -> None:
    [invoice] = csv_invoices(HEADER + "inv_1,1000,USD\n")

    assert invoice.problems == (Problem(2, "", "expected 7 fields, got 3"),)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("", "the file is empty"),
        ("invoice_id,amount,currencyCode,description,product_id,type,user_id\n", "did you mean 'currency_code'?"),
        ("invoice_id,amount,currency_code,description,product_id,type\n", "missing column 'user_id'"),
    ],
)
def test_csv_bad_header_makes_the_file_unreadable(header: str, message: str) -> None:
    with pytest.raises(InputFileError, match=message) as caught:
        csv_invoices(header)

    assert caught.value.line == 1


def test_csv_malformed_quoting_stops_reading_with_its_line() -> None:
    with pytest.raises(InputFileError, match="malformed CSV") as caught:
        csv_invoices(HEADER + row("inv_1") + 'inv_2,1,USD,"bad"quote,p,payin,u\n')

    assert caught.value.line == 3


def test_validation_errors_are_placed_on_the_row_of_their_line_item() -> None:
    [invoice] = csv_invoices(HEADER + row("inv_1") + row("inv_1") + row("inv_1"))

    located = invoice.locate(FieldError("line_items[2].amount", "bad"))
    whole = invoice.locate(FieldError("invoice_id", "bad"))

    assert (located.line, whole.line) == (4, 2)


def test_jsonl_reads_one_invoice_per_line_and_skips_blank_lines() -> None:
    first = {"invoice_id": "inv_1", "line_items": []}
    invoices = jsonl_invoices(json.dumps(first) + "\n\n" + json.dumps({"invoice_id": "inv_2"}) + "\n")

    assert [(invoice.key, invoice.line) for invoice in invoices] == [("inv_1", 1), ("inv_2", 3)]
    assert invoices[0].arguments == first


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"invoice_id": "inv_2", ', "invalid JSON: Expecting property name enclosed in double quotes"),
        ('["inv_2"]', "expected a JSON object (one record), got list"),
        ('{"invoice_id": "inv_1"}', "invoice_id: 'inv_1' is already on line 1; it is not sent twice"),
    ],
)
def test_jsonl_bad_line_is_a_problem_with_its_line_number(line: str, message: str) -> None:
    invoices = jsonl_invoices('{"invoice_id": "inv_1"}\n' + line + "\n")

    [problem] = invoices[1].problems
    assert problem.line == 2
    assert message in str(problem)


def test_count_records_counts_groups_of_csv_rows_and_jsonl_lines() -> None:
    csv_text = HEADER + row("inv_1") + row("inv_1") + row("inv_2") + "\n" + row("inv_3")

    assert count_records(io.BytesIO(csv_text.encode()), "csv", key="invoice_id") == 3
    assert count_records(io.BytesIO(b'{"a": 1}\n\n{"b": 2}\n'), "jsonl", key="invoice_id") == 2


@pytest.mark.parametrize(
    ("name", "expected"), [("a.csv", "csv"), ("A.CSV", "csv"), ("a.jsonl", "jsonl"), ("a.ndjson", "jsonl"), ("a", None)]
)
def test_format_comes_from_the_extension(name: str, expected: str | None) -> None:
    assert format_for(name) == expected


def test_parse_pairs_keeps_commas_that_do_not_start_a_pair() -> None:
    item = parse_pairs("amount=1000,currency_code=USD,description=Pro plan, monthly,type=payin")

    assert item == {"amount": "1000", "currency_code": "USD", "description": "Pro plan, monthly", "type": "payin"}


@pytest.mark.parametrize("text", ["amount", "amount=1,amount=2", "=5"])
def test_parse_pairs_refuses_malformed_pairs(text: str) -> None:
    with pytest.raises(ValueError):
        parse_pairs(text)


def test_results_file_records_created_ids_and_ignores_a_line_cut_short(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    path.write_text(
        '{"invoice_id": "inv_1", "ok": true, "id": "inv_1", "version": 1}\n'
        '{"invoice_id": "inv_2", "ok": false, "error_type": "ConflictError", "error": "x", "line": 3}\n'
        '{"invoice_id": "inv_3", "ok": tr'
    )

    assert created_keys(path, "invoice_id") == ({"inv_1"}, 1)
    assert created_keys(tmp_path / "missing.jsonl", "invoice_id") == (set(), 0)


def test_results_file_appended_after_a_cut_line_starts_on_a_new_line(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    path.write_text('{"invoice_id": "inv_1", "ok": true}\n{"invoice_id": "inv_2", "o')

    results = ResultsFile.open(path, key="invoice_id", append=True)
    results.failed(Failure.invalid("inv_3", 7, [Problem(8, "line_items[1].amount", "bad")]))
    results.close()

    last = json.loads(path.read_text().splitlines()[-1])
    assert last == {
        "invoice_id": "inv_3",
        "ok": False,
        "error_type": "ValidationError",
        "error": "line_items[1].amount: bad",
        "line": 7,
        "errors": [{"line": 8, "path": "line_items[1].amount", "message": "bad"}],
    }


def test_line_progress_prints_counts_rate_and_eta_every_interval() -> None:
    now = [0.0]
    stream = io.StringIO()
    progress = LineProgress(stream, 10, noun=INVOICES, clock=lambda: now[0])

    progress.advance("created")
    now[0] = 2.0
    progress.advance("failed")

    assert stream.getvalue() == "fragment: 2/10 invoices (20%): 1 created, 1 failed, 0 skipped; 1.0/s, ETA 8s\n"


def test_progress_is_plain_lines_when_the_stream_is_not_a_terminal() -> None:
    assert isinstance(make_progress(io.StringIO(), None, noun=INVOICES), LineProgress)


def test_tqdm_bar_shows_counts_and_notes_without_garbling() -> None:
    pytest.importorskip("tqdm")
    stream = io.StringIO()
    progress = make_progress(stream, 3, noun=INVOICES, bar=True)

    progress.advance("created")
    progress.note("x.csv:3: bad")
    progress.advance("failed")
    progress.close()

    assert "x.csv:3: bad\n" in stream.getvalue()
    assert "created=1, failed=1" in stream.getvalue()


def test_summary_has_counts_elapsed_and_rate() -> None:
    assert format_summary(Counts(created=90, failed=10, skipped=5), 2.0, noun=INVOICES) == (
        "fragment: 90 created, 10 failed, 5 skipped in 2.00s (50.0 invoices/s)"
    )


def test_jsonl_byte_that_is_not_utf8_is_a_problem_of_exactly_its_line_with_a_hint() -> None:
    good = [json.dumps({"invoice_id": f"inv_{n}", "line_items": []}).encode() for n in range(1, 1501)]
    bad = b'{"invoice_id": "inv_caf\xe9", "line_items": []}'
    text = b"\n".join([*good, bad, b'{"invoice_id": "inv_after"}']) + b"\n"

    invoices = jsonl_invoices(text)

    [unreadable] = [invoice for invoice in invoices if invoice.problems]
    [problem] = unreadable.problems
    assert problem.line == 1501
    assert "byte 0xE9 at position 24 of the line is not UTF-8" in problem.message
    assert "re-save the file as UTF-8, e.g. iconv" in problem.message
    assert invoices[-1].key == "inv_after"  # the lines after it are read as usual


def test_csv_byte_that_is_not_utf8_is_a_problem_of_its_row_and_the_rest_is_read() -> None:
    text = (HEADER + row("inv_1") + row("inv_2", description="Caf\udce9") + row("inv_3")).encode(
        "utf-8", "surrogateescape"
    )

    invoices = csv_invoices(text)

    assert [invoice.key for invoice in invoices] == ["inv_1", "inv_2", "inv_3"]
    [problem] = invoices[1].problems
    assert (problem.line, problem.path) == (3, "")
    assert "byte 0xE9" in problem.message
    assert not invoices[0].problems and not invoices[2].problems


def test_csv_header_that_is_not_utf8_makes_the_file_unreadable() -> None:
    with pytest.raises(InputFileError, match="not UTF-8") as caught:
        csv_invoices(b"invoice_\xff" + HEADER[8:].encode() + row("inv_1").encode())

    assert caught.value.line == 1


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"invoice_id": "inv_2", "line_items": [{"amount": ' + "9" * 5000 + "}]}", "invalid JSON: Exceeds the limit"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_jsonl_numbers_too_long_and_nesting_too_deep_are_problems_of_their_line(line: str, message: str) -> None:
    invoices = jsonl_invoices(f'{{"invoice_id": "inv_1"}}\n{line}\n{{"invoice_id": "inv_3"}}\n')

    assert [invoice.key for invoice in invoices] == ["inv_1", None, "inv_3"]
    [problem] = invoices[1].problems
    assert problem.line == 2
    assert message in problem.message


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (HEADER + row("inv_1"), "line 1 is not JSON"),
        ('{"invoice_id": "inv_1", "line_items": []}\n', "line 1 is not the result of a record with 'invoice_id'"),
        ('{"external_id": "txn_1", "ok": true}\n', "line 1 is not the result of a record with 'invoice_id'"),
    ],
)
def test_a_file_that_is_not_a_results_file_of_the_import_is_refused(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "results.jsonl"
    path.write_text(content)

    with pytest.raises(NotAResultsFile, match=reason):
        created_keys(path, "invoice_id")
