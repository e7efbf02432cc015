"""The validator: every bad create is refused with its field path, before any I/O."""

from __future__ import annotations

import re
from typing import Any

import pytest
from seed import MISSING, SEED_LINE_ITEM, changed

from fragment import AsyncFragment, FragmentError, ValidationError
from fragment._transport import Request
from fragment._validation import validate_create, validate_invoice
from fragment.types import InvoiceCreateParams, LineItem


def item(**changes: Any) -> dict[str, Any]:
    """The seed's line item with some fields changed (``MISSING`` removes one)."""
    return changed(SEED_LINE_ITEM, **changes)


def invoice(invoice_id: Any = "invoice_2024_001", line_items: Any = MISSING, **item_changes: Any) -> dict[str, Any]:
    """Arguments of ``invoices.create``: one seed line item, changed by ``item_changes``."""
    return {"invoice_id": invoice_id, "line_items": [item(**item_changes)] if line_items is MISSING else line_items}


# (arguments of create, the field path reported, a fragment of its message)
BAD_INPUTS = [
    pytest.param(invoice(invoice_id=None), "invoice_id", "required field is missing", id="invoice_id-missing"),
    pytest.param(invoice(invoice_id=""), "invoice_id", "must not be empty", id="invoice_id-empty"),
    pytest.param(invoice(invoice_id="   "), "invoice_id", "must not be empty", id="invoice_id-blank"),
    pytest.param(invoice(invoice_id=2024001), "invoice_id", "got int 2024001", id="invoice_id-int"),
    pytest.param(invoice(invoice_id=b"inv_1"), "invoice_id", "got bytes", id="invoice_id-bytes"),
    pytest.param(invoice(line_items=None), "line_items", "required field is missing", id="line_items-missing"),
    pytest.param(invoice(line_items=[]), "line_items", "at least one line item", id="line_items-empty"),
    pytest.param(invoice(line_items=()), "line_items", "at least one line item", id="line_items-empty-tuple"),
    pytest.param(invoice(line_items=42), "line_items", "expected a list of line items, got int", id="line_items-int"),
    pytest.param(invoice(line_items=dict(SEED_LINE_ITEM)), "line_items", "got dict", id="line_items-a-dict"),
    pytest.param(invoice(line_items="1000 USD"), "line_items", "got str '1000 USD'", id="line_items-a-str"),
    pytest.param(invoice(line_items=["an item"]), "line_items[0]", "expected a LineItem or a mapping", id="item-str"),
    pytest.param(invoice(line_items=[item(), None]), "line_items[1]", "got NoneType None", id="second-item-none"),
    pytest.param(invoice(amount=MISSING), "line_items[0].amount", "required field is missing", id="amount-missing"),
    pytest.param(
        invoice(currency_code=MISSING),
        "line_items[0].currency_code",
        "required field is missing",
        id="currency-missing",
    ),
    pytest.param(
        invoice(description=MISSING), "line_items[0].description", "required field is missing", id="desc-missing"
    ),
    pytest.param(
        invoice(product_id=MISSING), "line_items[0].product_id", "required field is missing", id="product-missing"
    ),
    pytest.param(invoice(type=MISSING), "line_items[0].type", "required field is missing", id="type-missing"),
    pytest.param(invoice(user_id=MISSING), "line_items[0].user_id", "required field is missing", id="user-missing"),
    pytest.param(
        invoice(user_id=MISSING, user_idd="u1"),
        "line_items[0].user_idd",
        "unknown field; did you mean 'user_id'?",
        id="unknown-field-typo",
    ),
    pytest.param(
        invoice(currency_code=MISSING, currencyCode="USD"),
        "line_items[0].currencyCode",
        "unknown field; did you mean 'currency_code'?",
        id="camelCase-key",
    ),
    pytest.param(
        invoice(productId="p1", product_id=MISSING),
        "line_items[0].productId",
        "did you mean 'product_id'?",
        id="camelCase-productId",
    ),
    pytest.param(
        invoice(colour="blue"),
        "line_items[0].colour",
        "unknown field; expected one of amount, currency_code",
        id="unknown-field-no-match",
    ),
    pytest.param(invoice(amount=10.5), "line_items[0].amount", "got float 10.5", id="amount-float"),
    pytest.param(invoice(amount=1000.0), "line_items[0].amount", "got float 1000.0", id="amount-whole-float"),
    pytest.param(
        invoice(amount=True), "line_items[0].amount", "expected a string of digits, got True", id="amount-bool"
    ),
    pytest.param(invoice(amount=-5), "line_items[0].amount", "must not be negative, got -5", id="amount-negative-int"),
    pytest.param(invoice(amount="10.00"), "line_items[0].amount", "'10.00' is not a string of digits", id="amount-dec"),
    pytest.param(invoice(amount="-10"), "line_items[0].amount", "'-10' is not a string of digits", id="amount-neg-str"),
    pytest.param(invoice(amount="1e3"), "line_items[0].amount", "is not a string of digits", id="amount-exponent"),
    pytest.param(invoice(amount=" 100"), "line_items[0].amount", "is not a string of digits", id="amount-space"),
    pytest.param(invoice(amount="١٢٣"), "line_items[0].amount", "is not a string of digits", id="amount-arabic-digits"),
    pytest.param(invoice(amount="²"), "line_items[0].amount", "is not a string of digits", id="amount-superscript"),
    pytest.param(invoice(amount=""), "line_items[0].amount", "'' is not a string of digits", id="amount-empty"),
    pytest.param(invoice(amount=["1"]), "line_items[0].amount", "got list", id="amount-list"),
    pytest.param(
        invoice(currency_code="USDX"),
        "line_items[0].currency_code",
        "'USDX' is not a supported currency code",
        id="currency-unknown",
    ),
    pytest.param(
        invoice(currency_code="usd"), "line_items[0].currency_code", "did you mean 'USD'", id="currency-lowercase"
    ),
    pytest.param(
        invoice(currency_code=840), "line_items[0].currency_code", "expected a currency code string", id="currency-int"
    ),
    pytest.param(
        invoice(currency_code=""), "line_items[0].currency_code", "expected a currency code string", id="currency-empty"
    ),
    pytest.param(invoice(type="refund"), "line_items[0].type", "'refund' is not a line item type", id="type-unknown"),
    pytest.param(invoice(type="PAYIN"), "line_items[0].type", "expected 'payin' or 'payout'", id="type-uppercase"),
    pytest.param(invoice(type=1), "line_items[0].type", "1 is not a line item type", id="type-int"),
    pytest.param(invoice(description=""), "line_items[0].description", "must not be empty", id="description-empty"),
    pytest.param(invoice(description=7), "line_items[0].description", "got int 7", id="description-int"),
    pytest.param(invoice(product_id=" "), "line_items[0].product_id", "must not be empty", id="product_id-blank"),
    pytest.param(invoice(product_id=None), "line_items[0].product_id", "required field is missing", id="product-none"),
    pytest.param(invoice(user_id=""), "line_items[0].user_id", "must not be empty", id="user_id-empty"),
    pytest.param(invoice(user_id=456), "line_items[0].user_id", "got int 456", id="user_id-int"),
    pytest.param(
        invoice(line_items=[item(), item(), item(currency_code="USDX")]),
        "line_items[2].currency_code",
        "line_items[2].currency_code: 'USDX' is not a supported currency code",
        id="third-item-bad-currency",
    ),
    pytest.param(
        invoice(line_items=[item(), LineItem(**item(amount=1.5))]),
        "line_items[1].amount",
        "got float 1.5",
        id="lineitem-instance-bad-amount",
    ),
]


@pytest.mark.parametrize(("arguments", "path", "message"), BAD_INPUTS)
def test_a_bad_create_raises_validation_error_naming_the_field_path(
    arguments: dict[str, Any], path: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_create(**arguments)

    error = caught.value
    assert isinstance(error, ValueError)
    assert isinstance(error, FragmentError)
    assert path in [problem.path for problem in error.errors]
    assert f"{path}: " in str(error)
    assert message in str(error)


@pytest.mark.parametrize(("arguments", "path", "message"), BAD_INPUTS)
async def test_a_bad_create_sends_nothing(
    client: AsyncFragment,
    api_requests: list[Request],
    token_requests: list[Request],
    arguments: dict[str, Any],
    path: str,
    message: str,
) -> None:
    with pytest.raises(ValidationError, match=re.escape(path)):
        await client.invoices.create(**arguments)

    assert api_requests == []
    assert token_requests == []


def test_there_are_at_least_25_distinct_bad_inputs() -> None:
    assert len({param.id for param in BAD_INPUTS}) == len(BAD_INPUTS) >= 25


def test_every_problem_is_reported_in_field_order() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_create("", [item(amount="x", type="refund"), item(), item(user_id="")])

    assert [problem.path for problem in caught.value.errors] == [
        "invoice_id",
        "line_items[0].amount",
        "line_items[0].type",
        "line_items[2].user_id",
    ]
    assert caught.value.path == "invoice_id"


def test_the_message_shows_the_offending_value() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_create("inv_1", [item(currency_code="USDX")])

    assert str(caught.value).startswith(
        "line_items[0].currency_code: 'USDX' is not a supported currency code; did you mean"
    )


# --- good inputs ----------------------------------------------------------------------------


def test_the_seed_example_is_valid_and_comes_back_as_models() -> None:
    params = validate_create("invoice_2024_001", [dict(SEED_LINE_ITEM)])

    assert params == InvoiceCreateParams(invoice_id="invoice_2024_001", line_items=[LineItem(**SEED_LINE_ITEM)])


def test_line_item_instances_are_accepted() -> None:
    line_item = LineItem(**SEED_LINE_ITEM)

    params = validate_create("inv_1", [line_item, item(type="payin")])

    assert params.line_items[0] == line_item
    assert params.line_items[1].type == "payin"


@pytest.mark.parametrize(("amount", "expected"), [(0, "0"), (1000, "1000"), (10**30, "1" + "0" * 30)])
def test_int_amounts_are_converted_to_digit_strings(amount: int, expected: str) -> None:
    params = validate_create("inv_1", [item(amount=amount)])

    assert params.line_items[0].amount == expected


@pytest.mark.parametrize("amount", ["0", "007", "123456789012345678901234567890"])
def test_any_string_of_ascii_digits_is_a_valid_amount(amount: str) -> None:
    assert validate_create("inv_1", [item(amount=amount)]).line_items[0].amount == amount


@pytest.mark.parametrize("code", ["USD", "EUR", "BTC", "USDC", "LOGICAL", "CUSTOM", "ZMW"])
def test_listed_currency_codes_are_accepted(code: str) -> None:
    assert validate_create("inv_1", [item(currency_code=code)]).line_items[0].currency_code == code


def test_check_currency_codes_false_lets_an_unknown_code_through() -> None:
    params = validate_create("inv_1", [item(currency_code="NEWCOIN")], check_currency_codes=False)

    assert params.line_items[0].currency_code == "NEWCOIN"


def test_check_currency_codes_false_still_requires_a_string() -> None:
    with pytest.raises(ValidationError, match=r"line_items\[0\]\.currency_code"):
        validate_create("inv_1", [item(currency_code=840)], check_currency_codes=False)


def test_any_iterable_of_line_items_is_accepted() -> None:
    params = validate_create("inv_1", (item() for _ in range(3)))

    assert len(params.line_items) == 3


# --- validate_invoice (the form the batch and the emulator use) ------------------------------


def test_validate_invoice_accepts_a_mapping_of_python_names() -> None:
    params = validate_invoice({"invoice_id": "inv_1", "line_items": [item()]})

    assert params.invoice_id == "inv_1"


def test_validate_invoice_accepts_params_and_revalidates_them() -> None:
    good = InvoiceCreateParams(invoice_id="inv_1", line_items=[LineItem(**SEED_LINE_ITEM)])
    bad = InvoiceCreateParams(invoice_id="", line_items=[LineItem(**SEED_LINE_ITEM)])

    assert validate_invoice(good) == good
    with pytest.raises(ValidationError, match="invoice_id: must not be empty"):
        validate_invoice(bad)


def test_validate_invoice_suggests_the_python_name_for_a_wire_key() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_invoice({"invoiceId": "inv_1", "line_items": [item()]})

    assert "invoiceId: unknown field; did you mean 'invoice_id'?" in str(caught.value)
    assert "invoice_id: required field is missing" in str(caught.value)


@pytest.mark.parametrize("value", [None, "inv_1", ["inv_1"], 3])
def test_validate_invoice_refuses_what_is_not_a_mapping(value: object) -> None:
    with pytest.raises(ValidationError, match=r"^invoice: expected a mapping or InvoiceCreateParams"):
        validate_invoice(value)
