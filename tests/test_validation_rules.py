"""The validator's rules for every params model: each bad input is refused with its field path."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any

import pytest
from seed import ALLOCATION, MISSING, TRANSACTION, changed

from fragment import ValidationError
from fragment._validation import validate
from fragment.types import (
    AllocationDeleteOp,
    AllocationUser,
    ExternalAccountCreateParams,
    InvoiceUpdateParams,
    LineItemAddOp,
    LineItemDeleteOp,
    LineItemUpdateOp,
    ProductCreateParams,
    RoleCreateParams,
    RoleRef,
    TransactionCreateAllocationsParams,
    TransactionCreateParams,
    TransactionListParams,
    UserCreateParams,
)
from fragment.types.transaction_create_params import Account, Allocation

ADD_LINE_ITEM: dict[str, Any] = {
    "op": "add",
    "amount": "500",
    "currency_code": "EUR",
    "description": "extra",
    "product_id": "prod_1",
    "type": "payin",
    "user_id": "user_ext_789",
}


def update(*operations: Any, version: Any = 1) -> dict[str, Any]:
    return {"line_items_update": list(operations), "version": version}


def product(**changes: Any) -> dict[str, Any]:
    return changed(
        {"code": "consulting", "description": "Consulting hours", "paid_by_roles": [{"id": "r_1"}]}, **changes
    )


def transaction(**changes: Any) -> dict[str, Any]:
    return changed(TRANSACTION, **changes)


def allocations(*operations: Any, version: Any = 1) -> dict[str, Any]:
    return {"allocation_updates": list(operations), "version": version}


def deleting_a_line_item_at(version: Any) -> dict[str, Any]:
    return update(LineItemDeleteOp(id="l"), version=version)


class NoOffset(tzinfo):
    """A zone that does not know its offset: a datetime in it is naive."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None


# Each table: id of the case -> (fields, the path reported, a fragment of its message).
INVOICE_UPDATE_RULES: dict[str, tuple[Any, str, str]] = {
    "update-ops-missing": ({"version": 1}, "line_items_update", "required field is missing"),
    "update-no-op": (update(), "line_items_update", "at least one line item operation"),
    "update-ops-a-dict": (
        {"line_items_update": {"op": "delete", "id": "li"}, "version": 1},
        "line_items_update",
        "expected a list of line item operations, got dict",
    ),
    "update-op-a-str": (
        update("delete li_1"),
        "line_items_update[0]",
        "expected a LineItemAddOp, LineItemUpdateOp, LineItemDeleteOp or a mapping, got str",
    ),
    "update-op-missing": (
        update({"id": "li_1"}),
        "line_items_update[0].op",
        "required field is missing; expected 'add', 'update' or 'delete'",
    ),
    "update-op-unknown": (
        update({"op": "move", "id": "li_1"}),
        "line_items_update[0].op",
        "'move' is not a line item operation; expected 'add', 'update' or 'delete'",
    ),
    "update-op-only-changes-the-amount": (
        update({"op": "update", "id": "li_1", "amount": "1", "currency_code": "USD"}),
        "line_items_update[0].currency_code",
        "unknown field; expected one of op, id, amount",
    ),
    "update-op-amount-missing": (
        update({"op": "update", "id": "li_1"}),
        "line_items_update[0].amount",
        "required field is missing",
    ),
    "update-op-amount-negative": (
        update({"op": "update", "id": "li_1", "amount": -1}),
        "line_items_update[0].amount",
        "must not be negative, got -1",
    ),
    "delete-op-with-amount": (
        update({"op": "delete", "id": "li_1", "amount": "1"}),
        "line_items_update[0].amount",
        "unknown field",
    ),
    "delete-op-id-empty": (update({"op": "delete", "id": ""}), "line_items_update[0].id", "must not be empty"),
    "add-op-camel-key": (
        update(changed(ADD_LINE_ITEM, currency_code=MISSING, currencyCode="EUR")),
        "line_items_update[0].currencyCode",
        "unknown field; did you mean 'currency_code'?",
    ),
    "add-op-type": (
        update(changed(ADD_LINE_ITEM, type="refund")),
        "line_items_update[0].type",
        "'refund' is not a line item type; expected 'payin' or 'payout'",
    ),
    "add-op-currency": (
        update(LineItemDeleteOp(id="li_1"), changed(ADD_LINE_ITEM, currency_code="EURO")),
        "line_items_update[1].currency_code",
        "'EURO' is not a supported currency code",
    ),
    "add-op-instance-checked-too": (
        update(LineItemAddOp(**changed(ADD_LINE_ITEM, op=MISSING, description=" "))),
        "line_items_update[0].description",
        "must not be empty",
    ),
    "version-missing": (deleting_a_line_item_at(None), "version", "required field"),
    "version-negative": (deleting_a_line_item_at(-1), "version", "must not be negative"),
    "version-bool": (deleting_a_line_item_at(True), "version", "got True"),
    "version-fraction": (deleting_a_line_item_at(2.5), "version", "got float 2.5"),
    "version-str": (deleting_a_line_item_at("2"), "version", "got str '2'"),
    "version-nan": (deleting_a_line_item_at(float("nan")), "version", "got float nan"),
    "version-inf": (deleting_a_line_item_at(float("inf")), "version", "got float inf"),
    "version-huge": (deleting_a_line_item_at(2**63), "version", "too large"),
    "version-huge-float": (deleting_a_line_item_at(1e300), "version", "too large"),
}
PRODUCT_CREATE_RULES: dict[str, tuple[Any, str, str]] = {
    "product-no-roles": (
        product(paid_by_roles=MISSING),
        "paid_by_roles",
        "a product needs at least one role: give paid_by_roles, paid_to_roles or both",
    ),
    "product-empty-role-lists": (
        product(paid_by_roles=[], paid_to_roles=[]),
        "paid_by_roles",
        "a product needs at least one role",
    ),
    "role-ref-both": (
        product(paid_by_roles=[{"id": "r_1", "name": "buyer"}]),
        "paid_by_roles[0]",
        "give exactly one of 'id' or 'name', got both",
    ),
    "role-ref-neither": (
        product(paid_to_roles=[RoleRef()]),
        "paid_to_roles[0]",
        "give exactly one of 'id' or 'name', got neither",
    ),
    "role-ref-a-str": (
        product(paid_to_roles=["seller"]),
        "paid_to_roles[0]",
        "expected a RoleRef or a mapping, got str 'seller'",
    ),
    "role-ref-id-empty": (product(paid_by_roles=[{"id": ""}]), "paid_by_roles[0].id", "must not be empty"),
    "role-ref-unknown-key": (product(paid_by_roles=[{"role": "buyer"}]), "paid_by_roles[0].role", "unknown field"),
    "role-refs-a-str": (
        product(paid_by_roles="buyer"),
        "paid_by_roles",
        "expected a list of role references, got str 'buyer'",
    ),
    "product-code-empty": (product(code=""), "code", "must not be empty"),
    "product-desc": (product(description=MISSING), "description", "required field is missing"),
}
ROLE_CREATE_RULES: dict[str, tuple[Any, str, str]] = {
    "role-missing": ({}, "role", "required field is missing"),
    "role-int": ({"role": 1}, "role", "expected a non-empty string, got int 1"),
}
USER_CREATE_RULES: dict[str, tuple[Any, str, str]] = {
    "user-wire-name": (
        {"externalId": "u", "role": "buyer"},
        "externalId",
        "unknown field; did you mean 'external_id'?",
    ),
    "user-role-missing": ({"external_id": "u"}, "role", "required field is missing"),
}
EXTERNAL_ACCOUNT_CREATE_RULES: dict[str, tuple[Any, str, str]] = {
    "account-name": ({"external_id": "a", "name": "  "}, "name", "must not be empty"),
}
TRANSACTION_CREATE_RULES: dict[str, tuple[Any, str, str]] = {
    "account-empty": (
        transaction(account={}),
        "account",
        "give 'id', 'external_id' or both to name the account, got neither",
    ),
    "account-instance-empty": (transaction(account=Account()), "account", "got neither"),
    "account-a-str": (transaction(account="ext_account_1"), "account", "expected an Account or a mapping, got str"),
    "account-unknown-key": (
        transaction(account={"id": "ext_account_1", "name": "Operating"}),
        "account.name",
        "unknown field",
    ),
    "allocations-missing": (transaction(allocations=MISSING), "allocations", "required field"),
    "allocation-type": (
        transaction(allocations=[changed(ALLOCATION, type="payin")]),
        "allocations[0].type",
        "'payin' is not an allocation type; expected 'invoice_payin' or 'invoice_payout'",
    ),
    "allocation-amount-negative": (
        transaction(allocations=[changed(ALLOCATION, amount="-5")]),
        "allocations[0].amount",
        "'-5' is not a string of digits",
    ),
    "allocation-user-neither": (
        transaction(allocations=[changed(ALLOCATION, user={})]),
        "allocations[0].user",
        "give exactly one of 'id' or 'external_id', got neither",
    ),
    "allocation-user-both": (
        transaction(allocations=[ALLOCATION, changed(ALLOCATION, user=AllocationUser(id="u", external_id="e"))]),
        "allocations[1].user",
        "got both",
    ),
    "allocation-user-missing": (
        transaction(allocations=[changed(ALLOCATION, user=MISSING)]),
        "allocations[0].user",
        "required field is missing",
    ),
    "allocation-camel-key": (
        transaction(allocations=[changed(ALLOCATION, invoiceId="inv", invoice_id=MISSING)]),
        "allocations[0].invoiceId",
        "did you mean 'invoice_id'?",
    ),
    "amount-decimal": (transaction(amount="1.5"), "amount", "'1.5' is not a string of digits, optionally negative"),
    "amount-2-signs": (transaction(amount="--1"), "amount", "is not a string of digits"),
    "amount-plus": (transaction(amount="+1"), "amount", "is not a string of digits"),
    "amount-empty": (transaction(amount=""), "amount", "is not a string of digits"),
    "amount-too-long": (transaction(amount="-" + "9" * 65), "amount", "has 65 digits, at most 64 are accepted"),
    "amount-int-too-large": (transaction(amount=-(10**64)), "amount", "is too large"),
    "amount-float": (transaction(amount=1.0), "amount", "or an int, got float 1.0"),
    "currency-lowercase": (transaction(currency="usd"), "currency", "did you mean 'USD'"),
    "external-id": (transaction(external_id=MISSING), "external_id", "required field"),
    "posted-naive": (transaction(posted=datetime(2026, 2, 12)), "posted", "is a naive datetime"),
    "posted-zone-without-offset": (
        transaction(posted=datetime(2026, 2, 12, tzinfo=NoOffset())),
        "posted",
        "is a naive datetime",
    ),
    "posted-date": (
        transaction(posted=date(2026, 2, 12)),
        "posted",
        "is a date, not a moment; pass a timezone-aware datetime",
    ),
    "posted-date-string": (transaction(posted="2026-02-12"), "posted", "'2026-02-12' has no UTC offset"),
    "posted-string-without-offset": (
        transaction(posted="2026-02-12T00:00:00.000"),
        "posted",
        "has no UTC offset; add 'Z'",
    ),
    "posted-not-a-timestamp": (transaction(posted="yesterday"), "posted", "'yesterday' is not an ISO-8601 timestamp"),
    "posted-epoch-seconds": (
        transaction(posted=1700000000),
        "posted",
        "expected a timezone-aware datetime or an ISO-8601 string, got int 1700000000",
    ),
}
TRANSACTION_LIST_RULES: dict[str, tuple[Any, str, str]] = {
    "list-status": (
        {"reconciliation_status": "bogus"},
        "reconciliation_status",
        "'bogus' is not a reconciliation status; expected 'reconciled' or 'unreconciled'",
    ),
    "list-account-empty": ({"account": ""}, "account", "must not be empty"),
    "list-account-a-list": ({"account": ["a", "b"]}, "account", "got list"),
    "list-unknown-filter": ({"limit": 5}, "limit", "unknown field"),
}
TRANSACTION_CREATE_ALLOCATIONS_RULES: dict[str, tuple[Any, str, str]] = {
    "allocations-no-op": (allocations(), "allocation_updates", "must contain at least one allocation operation"),
    "allocations-no-update-op": (
        allocations({"op": "update", "id": "alloc_1"}),
        "allocation_updates[0].op",
        "'update' is not an allocation operation; expected 'add' or 'delete'",
    ),
    "allocation-delete-without-id": (
        allocations({"op": "delete"}),
        "allocation_updates[0].id",
        "required field is missing",
    ),
    "allocation-add-type": (
        allocations({"op": "add", **changed(ALLOCATION, type="invoice_refund")}),
        "allocation_updates[0].type",
        "is not an allocation type",
    ),
    "allocation-add-user-both": (
        allocations({"op": "add", **changed(ALLOCATION, user={"id": "u", "external_id": "e"})}),
        "allocation_updates[0].user",
        "got both",
    ),
    "allocation-delete-extra-key": (
        allocations({"op": "delete", "id": "alloc_1", "amount": "1"}),
        "allocation_updates[0].amount",
        "unknown field",
    ),
    "allocations-version-fraction": (
        allocations(AllocationDeleteOp(id="alloc_1"), version=1.5),
        "version",
        "got float 1.5",
    ),
}
RULES = [
    pytest.param(params_cls, *case, id=name)
    for params_cls, cases in [
        (InvoiceUpdateParams, INVOICE_UPDATE_RULES),
        (ProductCreateParams, PRODUCT_CREATE_RULES),
        (RoleCreateParams, ROLE_CREATE_RULES),
        (UserCreateParams, USER_CREATE_RULES),
        (ExternalAccountCreateParams, EXTERNAL_ACCOUNT_CREATE_RULES),
        (TransactionCreateParams, TRANSACTION_CREATE_RULES),
        (TransactionListParams, TRANSACTION_LIST_RULES),
        (TransactionCreateAllocationsParams, TRANSACTION_CREATE_ALLOCATIONS_RULES),
    ]
    for name, case in cases.items()
]


@pytest.mark.parametrize(("params_cls", "fields", "path", "message"), RULES)
def test_a_bad_request_is_refused_naming_the_field_path(
    params_cls: type, fields: dict[str, Any], path: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        validate(params_cls, fields)

    problems = {problem.path: problem.message for problem in caught.value.errors}
    assert path in problems, str(caught.value)
    assert message in problems[path]


# Amounts as the API takes them, strings only: id -> (params model, fields, the path reported, its message).
STRING_AMOUNT_RULES: dict[str, tuple[type, Any, str, str]] = {
    "update-amount": (
        InvoiceUpdateParams,
        update({"op": "update", "id": "li", "amount": 5}),
        "line_items_update[0].amount",
        "expected a string of digits, got int 5",
    ),
    "transaction-amount": (
        TransactionCreateParams,
        transaction(amount=-5),
        "amount",
        "expected a string of digits, optionally negative, got int -5",
    ),
    "allocation-amount": (
        TransactionCreateParams,
        transaction(allocations=[changed(ALLOCATION, amount=7)]),
        "allocations[0].amount",
        "expected a string of digits, got int 7",
    ),
    "float-amount-message-without-ints": (
        TransactionCreateParams,
        transaction(amount=1.5),
        "amount",
        "expected a string of digits, optionally negative, got float 1.5",
    ),
}


@pytest.mark.parametrize(
    ("params_cls", "fields", "path", "message"),
    [pytest.param(*case, id=name) for name, case in STRING_AMOUNT_RULES.items()],
)
def test_on_the_wire_an_amount_must_be_a_string(
    params_cls: type, fields: dict[str, Any], path: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        validate(params_cls, fields, int_amounts=False)

    assert f"{path}: {message}" in [str(problem) for problem in caught.value.errors]


@pytest.mark.parametrize(
    ("params_cls", "fields"),
    [
        pytest.param(InvoiceUpdateParams, update(changed(ADD_LINE_ITEM, currency_code="NEWCOIN")), id="update"),
        pytest.param(TransactionCreateParams, transaction(currency="NEWCOIN"), id="transaction"),
    ],
)
def test_the_currency_check_can_be_switched_off(params_cls: type, fields: dict[str, Any]) -> None:
    validate(params_cls, fields, check_currency_codes=False)

    with pytest.raises(ValidationError, match="'NEWCOIN' is not a supported currency code"):
        validate(params_cls, fields)


def test_every_problem_is_reported_unknown_keys_first_then_in_field_order() -> None:
    fields = transaction(
        account={},
        allocations=[changed(ALLOCATION, type="payin", user={})],
        amount="x",
        posted=datetime(2026, 2, 12),
        colour="blue",
    )

    with pytest.raises(ValidationError) as caught:
        validate(TransactionCreateParams, fields)

    assert [problem.path for problem in caught.value.errors] == [
        "colour",
        "account",
        "allocations[0].type",
        "allocations[0].user",
        "amount",
        "posted",
    ]


# --- good requests ------------------------------------------------------------------------------


def test_a_transaction_may_have_no_allocations() -> None:
    assert validate(TransactionCreateParams, transaction(allocations=[])).allocations == []


@pytest.mark.parametrize(
    "account",
    [{"id": "ext_account_1"}, {"external_id": "bank_acct_1"}, {"id": "ext_account_1", "external_id": "bank_acct_1"}],
)
def test_an_account_is_named_by_id_external_id_or_both(account: dict[str, str]) -> None:
    assert validate(TransactionCreateParams, transaction(account=account)).account == Account(**account)


@pytest.mark.parametrize(
    "posted",
    [
        datetime(2026, 2, 12, tzinfo=UTC),
        datetime(2026, 2, 12, 1, 2, 3, 456789, tzinfo=timezone(timedelta(hours=-5))),
        "2026-02-12T10:20:30Z",
        "2026-02-12T10:20:30.123+02:00",
        "2026-02-12t10:20:30z",
    ],
)
def test_posted_is_kept_as_given_when_it_has_an_offset(posted: datetime | str) -> None:
    assert validate(TransactionCreateParams, transaction(posted=posted)).posted is posted


@pytest.mark.parametrize(("amount", "expected"), [("-1000", "-1000"), ("0", "0"), (-5, "-5"), (12, "12")])
def test_a_transaction_amount_may_be_negative(amount: str | int, expected: str) -> None:
    assert validate(TransactionCreateParams, transaction(amount=amount)).amount == expected


@pytest.mark.parametrize(("version", "expected"), [(0, 0), (7, 7), (2.0, 2), (2**63 - 1, 2**63 - 1)])
def test_a_version_is_an_int_from_an_int_or_an_integral_float(version: float, expected: int) -> None:
    params = validate(InvoiceUpdateParams, update({"op": "delete", "id": "li"}, version=version))

    assert params.version == expected
    assert type(params.version) is int


def test_a_product_may_name_only_the_roles_it_pays() -> None:
    params = validate(ProductCreateParams, product(paid_by_roles=MISSING, paid_to_roles=[RoleRef(name="seller")]))

    assert (params.paid_by_roles, params.paid_to_roles) == (None, [RoleRef(name="seller")])


def test_models_and_mappings_mix_at_every_level() -> None:
    fields = transaction(
        account=Account(id="ext_account_1"),
        allocations=[Allocation(**changed(ALLOCATION, user=AllocationUser(external_id="u"))), ALLOCATION],
    )

    params = validate(TransactionCreateParams, fields)

    assert params.allocations[0].user == AllocationUser(external_id="u")
    assert params.allocations[1] == Allocation(**changed(ALLOCATION, user=AllocationUser(id="user_abc123")))


def test_operations_come_back_as_their_models() -> None:
    params = validate(
        InvoiceUpdateParams,
        update(ADD_LINE_ITEM, {"op": "update", "id": "li_1", "amount": 3}, LineItemDeleteOp(id="li_2")),
    )

    assert params.line_items_update == [
        LineItemAddOp(**changed(ADD_LINE_ITEM, op=MISSING)),
        LineItemUpdateOp(id="li_1", amount="3"),
        LineItemDeleteOp(id="li_2"),
    ]


def test_a_params_instance_is_checked_again() -> None:
    good = TransactionListParams(reconciliation_status="reconciled")
    bad = TransactionListParams(reconciliation_status="bogus")  # type: ignore[arg-type]

    assert validate(TransactionListParams, good) == good
    with pytest.raises(ValidationError, match="reconciliation_status: 'bogus'"):
        validate(TransactionListParams, bad)


def test_no_filter_is_a_valid_transaction_list() -> None:
    assert validate(TransactionListParams, {}) == TransactionListParams()


@pytest.mark.parametrize("fields", [None, "role", ["role"], 3])
def test_fields_that_are_not_a_mapping_are_refused(fields: object) -> None:
    with pytest.raises(ValidationError, match=r"^new role: expected a mapping or RoleCreateParams"):
        validate(RoleCreateParams, fields)


def test_a_class_that_is_no_operation_params_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="is not the params model of an operation"):
        validate(Account, {"id": "a"})
