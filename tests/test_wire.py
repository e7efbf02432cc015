"""The wire mapping: exact keys out, lenient reading in, and a strict check against samples."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import cattrs
import pytest
from conftest import SEED_LINE_ITEM

from fragment._validation import validate_invoice
from fragment._wire import (
    WIRE_NAMES,
    make_wire_converter,
    model_to_dict,
    params_to_wire,
    python_names,
    response_from_wire,
)
from fragment.types import Data, DataLineItem, InvoiceCreateParams, InvoiceCreateResponse, LineItem

SAMPLES = Path(__file__).parent / "samples"
RESPONSE_SAMPLES = sorted(SAMPLES.glob("invoice_create_response*.json"))

WIRE_LINE_ITEM_KEYS = ["amount", "currencyCode", "description", "product_id", "type", "user_id"]


def load(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())


def answer(**data_changes: Any) -> dict[str, Any]:
    """A minimal valid answer with some ``data`` keys changed (None values are kept as null)."""
    data: dict[str, Any] = {
        "id": "inv_1",
        "created": "2026-01-15T10:30:00Z",
        "status": "active",
        "version": 1,
        "workspaceId": "ws_1",
    }
    data.update(data_changes)
    return {"data": data}


def wire_line_item(**changes: Any) -> dict[str, Any]:
    line_item = {
        "id": "li_1",
        "amount": "1000",
        "currencyCode": "USD",
        "description": "Seat",
        "product_id": "prod_1",
        "type": "payin",
        "user_id": "user_1",
    }
    line_item.update(changes)
    return line_item


# --- requests ---------------------------------------------------------------------------------


def test_the_seed_example_goes_out_with_the_exact_wire_keys() -> None:
    params = InvoiceCreateParams(invoice_id="invoice_2024_001", line_items=[LineItem(**SEED_LINE_ITEM)])

    body = params_to_wire(params)

    assert body == load("invoice_create_request.json")
    assert list(body) == ["invoiceId", "lineItems"]
    assert list(body["lineItems"][0]) == WIRE_LINE_ITEM_KEYS


def test_the_rename_table_is_exactly_the_documented_one() -> None:
    assert dict(WIRE_NAMES) == {
        "invoice_id": "invoiceId",
        "line_items": "lineItems",
        "currency_code": "currencyCode",
        "workspace_id": "workspaceId",
    }


def test_python_names_renames_wire_keys_and_keeps_unknown_ones() -> None:
    body = {"invoiceId": "inv_1", "lineItems": [{"currencyCode": "USD", "userId": "u"}, "junk"], "extra": 1}

    assert python_names(body) == {
        "invoice_id": "inv_1",
        "line_items": [{"currency_code": "USD", "userId": "u"}, "junk"],
        "extra": 1,
    }


def test_python_names_leaves_line_items_that_are_not_a_list_alone() -> None:
    assert python_names({"lineItems": "nope"}) == {"line_items": "nope"}


def test_a_wire_body_read_back_with_python_names_validates_to_the_same_params() -> None:
    params = InvoiceCreateParams(invoice_id="inv_1", line_items=[LineItem(**SEED_LINE_ITEM)])

    assert validate_invoice(python_names(params_to_wire(params))) == params


# --- lenient responses ------------------------------------------------------------------------


def test_a_full_answer_is_read_into_models() -> None:
    response = response_from_wire(load("invoice_create_response.json"))

    assert isinstance(response, InvoiceCreateResponse)
    data = response.data
    assert isinstance(data, Data)
    assert (data.id, data.status, data.version, data.workspace_id) == ("invoice_2024_001", "active", 1, "ws_8f2c1e")
    assert data.created == datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
    assert data.line_items is not None
    assert [type(li) for li in data.line_items] == [DataLineItem, DataLineItem]
    assert data.line_items[1].currency_code == "USDC"
    assert data.line_items[1].amount == "250000000"


def test_unknown_fields_are_ignored_at_every_level() -> None:
    body = answer(lineItems=[wire_line_item(taxRate="0.2")], archivedAt=None, tags=["a"])
    body["meta"] = {"requestId": "req_1"}

    response = response_from_wire(body)

    assert response.data.id == "inv_1"
    assert response.data.line_items is not None
    assert response.data.line_items[0].id == "li_1"


def test_a_new_status_value_is_kept_as_the_server_sent_it() -> None:
    assert response_from_wire(answer(status="archived")).data.status == "archived"


def test_a_new_currency_code_and_line_item_type_are_kept() -> None:
    body = answer(lineItems=[wire_line_item(currencyCode="NEWCOIN", type="refund")])

    line_items = response_from_wire(body).data.line_items

    assert line_items is not None
    assert (line_items[0].currency_code, line_items[0].type) == ("NEWCOIN", "refund")


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({}, id="both-absent"),
        pytest.param({"lineItems": None, "modified": None}, id="both-null"),
        pytest.param({"lineItems": None}, id="lineItems-null"),
        pytest.param({"modified": None}, id="modified-null"),
    ],
)
def test_missing_optional_fields_read_as_none(changes: dict[str, Any]) -> None:
    data = response_from_wire(answer(**changes)).data

    assert data.line_items is None
    assert data.modified is None


def test_an_empty_list_of_line_items_stays_empty() -> None:
    assert response_from_wire(answer(lineItems=[])).data.line_items == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-15T10:30:00Z", datetime(2026, 1, 15, 10, 30, tzinfo=UTC)),
        ("2026-01-15T10:30:00.123Z", datetime(2026, 1, 15, 10, 30, 0, 123000, tzinfo=UTC)),
        ("2026-01-15T10:30:00.123456Z", datetime(2026, 1, 15, 10, 30, 0, 123456, tzinfo=UTC)),
        ("2026-01-15T10:30:00+00:00", datetime(2026, 1, 15, 10, 30, tzinfo=UTC)),
        ("2026-01-15T12:30:00+02:00", datetime(2026, 1, 15, 10, 30, tzinfo=UTC)),
        ("2026-01-15T05:30:00.5-05:00", datetime(2026, 1, 15, 10, 30, 0, 500000, tzinfo=UTC)),
        ("2026-01-15T10:30:00", datetime(2026, 1, 15, 10, 30, tzinfo=UTC)),
        ("2026-01-15T10:30:00.250", datetime(2026, 1, 15, 10, 30, 0, 250000, tzinfo=UTC)),
        ("2026-01-15T10:30:00.123456789Z", datetime(2026, 1, 15, 10, 30, 0, 123456, tzinfo=UTC)),
        ("2026-01-15T10:30:00.1Z", datetime(2026, 1, 15, 10, 30, 0, 100000, tzinfo=UTC)),
        ("2026-01-15t10:30:00z", datetime(2026, 1, 15, 10, 30, tzinfo=UTC)),
    ],
)
def test_timestamps_in_several_iso_formats_become_timezone_aware(text: str, expected: datetime) -> None:
    data = response_from_wire(answer(created=text, modified=text)).data

    for value in (data.created, data.modified):
        assert value is not None
        assert value.tzinfo is not None
        assert value.utcoffset() is not None
        assert value == expected


def test_an_offset_is_kept_not_converted() -> None:
    created = response_from_wire(answer(created="2026-01-15T12:30:00+02:00")).data.created

    assert created.utcoffset() == timedelta(hours=2)
    assert created.tzinfo == timezone(timedelta(hours=2))


@pytest.mark.parametrize(("version", "expected_type"), [(1, int), (2.5, float)])
def test_version_keeps_the_number_the_server_sent(version: float, expected_type: type) -> None:
    read = response_from_wire(answer(version=version)).data.version

    assert read == version
    assert type(read) is expected_type


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(None, id="null"),
        pytest.param([], id="list"),
        pytest.param({}, id="no-data"),
        pytest.param({"data": "inv_1"}, id="data-a-string"),
        pytest.param(answer(created=1768473000), id="created-a-number"),
        pytest.param(answer(created="15/01/2026"), id="created-unparseable"),
        pytest.param(answer(version="1"), id="version-a-string"),
        pytest.param(answer(version=True), id="version-a-bool"),
        pytest.param(answer(status=1), id="status-a-number"),
        pytest.param(answer(lineItems=[wire_line_item(type=None)]), id="line-item-type-null"),
        pytest.param(answer(lineItems="li_1"), id="lineItems-a-string"),
        pytest.param(answer(id=None), id="id-null"),
        pytest.param(answer(id={"value": "inv_1"}), id="id-an-object"),
        pytest.param(answer(workspaceId=["ws_1"]), id="workspaceId-a-list"),
        pytest.param(answer(lineItems=[wire_line_item(amount=None)]), id="amount-null"),
        pytest.param(answer(lineItems=[wire_line_item(amount=10.5)]), id="amount-a-float"),
        pytest.param(answer(lineItems=[wire_line_item(user_id=True)]), id="user_id-a-bool"),
    ],
)
def test_a_body_that_is_not_the_documented_shape_raises(body: Any) -> None:
    with pytest.raises((cattrs.BaseValidationError, TypeError, ValueError, KeyError)):
        response_from_wire(body)


# --- the strict converter against recorded payloads ---------------------------------------------


def test_there_are_response_samples() -> None:
    assert len(RESPONSE_SAMPLES) >= 3


@pytest.mark.parametrize("sample", RESPONSE_SAMPLES, ids=lambda path: path.name)
def test_recorded_answers_match_the_models_exactly(sample: Path) -> None:
    strict = make_wire_converter(forbid_extra_keys=True)
    payload = json.loads(sample.read_text())

    response = strict.structure(payload, InvoiceCreateResponse)

    assert response == response_from_wire(payload)
    again = strict.unstructure(response)
    assert strict.structure(again, InvoiceCreateResponse) == response
    present = {key for key, value in payload["data"].items() if value is not None}
    assert present <= set(again["data"])


def test_the_full_sample_covers_every_field_of_the_models() -> None:
    strict = make_wire_converter(forbid_extra_keys=True)
    payload = load("invoice_create_response.json")

    again = strict.unstructure(strict.structure(payload, InvoiceCreateResponse))

    assert set(again["data"]) == set(payload["data"])
    assert set(again["data"]["lineItems"][0]) == set(payload["data"]["lineItems"][0])


def test_the_recorded_request_matches_the_params_model_exactly() -> None:
    strict = make_wire_converter(forbid_extra_keys=True)
    payload = load("invoice_create_request.json")

    params = strict.structure(payload, InvoiceCreateParams)

    assert params_to_wire(params) == payload


def test_the_strict_converter_catches_a_field_the_models_do_not_know() -> None:
    strict = make_wire_converter(forbid_extra_keys=True)
    drifted = answer(lineItems=[wire_line_item(taxRate="0.2")])

    with pytest.raises(cattrs.BaseValidationError):
        strict.structure(drifted, InvoiceCreateResponse)


# --- to_dict / to_json ------------------------------------------------------------------------


def test_to_dict_uses_wire_names_by_default_and_python_names_on_request() -> None:
    line_item = LineItem(**SEED_LINE_ITEM)

    assert list(line_item.to_dict()) == WIRE_LINE_ITEM_KEYS
    assert line_item.to_dict(use_api_names=False) == SEED_LINE_ITEM
    assert model_to_dict(line_item, use_api_names=False) == SEED_LINE_ITEM


def test_to_dict_of_a_response_gives_json_ready_values_and_round_trips() -> None:
    payload = load("invoice_create_response.json")
    response = response_from_wire(payload)

    exported = response.to_dict()

    assert exported["data"]["created"] == "2026-01-15T10:30:00+00:00"
    assert exported["data"]["workspaceId"] == "ws_8f2c1e"
    assert response_from_wire(exported) == response
    assert response.to_dict(use_api_names=False)["data"]["workspace_id"] == "ws_8f2c1e"


def test_to_json_is_the_json_of_to_dict() -> None:
    response = response_from_wire(load("invoice_create_response_minimal.json"))

    assert json.loads(response.to_json()) == response.to_dict()
    assert json.loads(response.to_json(use_api_names=False, indent=None)) == response.to_dict(use_api_names=False)
