"""The validator's rules for every params model: each bad input is refused with its field path."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any

import pytest

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

MISSING = object()
ADD_LINE_ITEM: dict[str, Any] = {
    "op": "add",
    "amount": "500",
    "currency_code": "EUR",
    "description": "extra",
    "product_id": "prod_1",
    "type": "payin",
    "user_id": "user_ext_789",
}
ALLOCATION: dict[str, Any] = {
    "amount": "1000",
    "invoice_id": "inv_abc123",
    "type": "invoice_payin",
    "user": {"id": "user_abc123"},
}


def changed(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """``base`` with some fields changed (``MISSING`` removes one)."""
    result = dict(base)
    for key, value in changes.items():
        if value is MISSING:
            del result[key]
        else:
            result[key] = value
    return result


def update(*operations: Any, version: Any = 1) -> dict[str, Any]:
    return {"line_items_update": list(operations), "version": version}


def product(**changes: Any) -> dict[str, Any]:
    return changed(
        {"code": "consulting", "description": "Consulting hours", "paid_by_roles": [{"id": "r_1"}]}, **changes
    )


def transaction(**changes: Any) -> dict[str, Any]:
    base = {
        "account": {"id": "ext_account_1"},
        "allocations": [ALLOCATION],
        "amount": "-1000",
        "currency": "USD",
        "external_id": "bank_txn_123",
        "posted": datetime(2026, 2, 12, tzinfo=UTC),
    }
    return changed(base, **changes)


def allocations(*operations: Any, version: Any = 1) -> dict[str, Any]:
    return {"allocation_updates": list(operations), "version": version}


class NoOffset(tzinfo):
    """A zone that does not know its offset: a datetime in it is naive."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None


# (params model, fields, the path reported, a fragment of its message)
RULES = [
    # invoices.update
    pytest.param(
        InvoiceUpdateParams, {"version": 1}, "line_items_update", "required field is missing", id="update-ops-missing"
    ),
    pytest.param(
        InvoiceUpdateParams, update(), "line_items_update", "at least one line item operation", id="update-no-op"
    ),
    pytest.param(
        InvoiceUpdateParams,
        {"line_items_update": {"op": "delete", "id": "li"}, "version": 1},
        "line_items_update",
        "expected a list of line item operations, got dict",
        id="update-ops-a-dict",
    ),
    pytest.param(
        InvoiceUpdateParams,
        update("delete li_1"),
        "line_items_update[0]",
        "expected a LineItemAddOp, LineItemUpdateOp, LineItemDeleteOp or a mapping, got str",
        id="update-op-a-str",
    ),
    pytest.param(
        InvoiceUpdateParams,
        update({"id": "li_1"}),
        "line_items_update[0].op",
        "required field is missing; expected 'add', 'update' or 'delete'",
        id="update-op-missing",
    ),
    pytest.param(
        InvoiceUpdateParams,
        update({"op": "move", "id": "li_1"}),
        "line_items_update[0].op",
        "'move' is not a line item operation; expected 'add', 'update' or 'delete'",
        id="update-op-unknown",
    ),
    pytest.param(
        InvoiceUpdateParams,
        update({"op": "update", "id": "li_1", "amount": "1", "currency_code": "USD"}),
        "line_items_update[0].currency_code",
        "unknown field; expected one of op, id, amount",
        id="update-op-only-changes-the-amount",
    ),
    pytest.param(
        InvoiceUpdateParams,
        update({"op": "update", "id": "li_1"}),
        "line_items_update[0].amount",
        "required field is missing",
        id="update-op-amount-missing",
    ),
    pytest.param(
        InvoiceUpdateParams,
        update({"op": "update", "id": "li_1", "amount": -1}),
        "line_items_update[0].amount",
        "must not be negative, got -1",
        id="update-op-amount-negative",
    ),
    pytest.param(
        InvoiceUpdateParams,
        update({"op": "delete", "id": "li_1", "amount": "1"}),
        "line_items_update[0].amount",
        "unknown field",
        id="delete-op-with-amount",
    ),
    pytest.param(
        InvoiceUpdateParams,
        update({"op": "delete", "id": ""}),
        "line_items_update[0].id",
        "must not be empty",
        id="delete-op-id-empty",
    ),
    pytest.param(
        InvoiceUpdateParams,
        update(changed(ADD_LINE_ITEM, currency_code=MISSING, currencyCode="EUR")),
        "line_items_update[0].currencyCode",
        "unknown field; did you mean 'currency_code'?",
        id="add-op-camel-key",
    ),
    pytest.param(
        InvoiceUpdateParams,
        update(changed(ADD_LINE_ITEM, type="refund")),
        "line_items_update[0].type",
        "'refund' is not a line item type; expected 'payin' or 'payout'",
        id="add-op-type",
    ),
    pytest.param(
        InvoiceUpdateParams,
        update(LineItemDeleteOp(id="li_1"), changed(ADD_LINE_ITEM, currency_code="EURO")),
        "line_items_update[1].currency_code",
        "'EURO' is not a supported currency code",
        id="add-op-currency",
    ),
    pytest.param(
        InvoiceUpdateParams,
        update(LineItemAddOp(**changed(ADD_LINE_ITEM, op=MISSING, description=" "))),
        "line_items_update[0].description",
        "must not be empty",
        id="add-op-instance-checked-too",
    ),
    pytest.param(
        InvoiceUpdateParams,
        update(LineItemDeleteOp(id="l"), version=None),
        "version",
        "required field",
        id="version-missing",
    ),
    pytest.param(
        InvoiceUpdateParams,
        update(LineItemDeleteOp(id="l"), version=-1),
        "version",
        "must not be negative",
        id="version-negative",
    ),
    pytest.param(
        InvoiceUpdateParams, update(LineItemDeleteOp(id="l"), version=True), "version", "got True", id="version-bool"
    ),
    pytest.param(
        InvoiceUpdateParams,
        update(LineItemDeleteOp(id="l"), version=2.5),
        "version",
        "got float 2.5",
        id="version-fraction",
    ),
    pytest.param(
        InvoiceUpdateParams, update(LineItemDeleteOp(id="l"), version="2"), "version", "got str '2'", id="version-str"
    ),
    pytest.param(
        InvoiceUpdateParams,
        update(LineItemDeleteOp(id="l"), version=float("nan")),
        "version",
        "got float nan",
        id="version-nan",
    ),
    pytest.param(
        InvoiceUpdateParams,
        update(LineItemDeleteOp(id="l"), version=float("inf")),
        "version",
        "got float inf",
        id="version-inf",
    ),
    pytest.param(
        InvoiceUpdateParams, update(LineItemDeleteOp(id="l"), version=2**63), "version", "too large", id="version-huge"
    ),
    pytest.param(
        InvoiceUpdateParams,
        update(LineItemDeleteOp(id="l"), version=1e300),
        "version",
        "too large",
        id="version-huge-float",
    ),
    # products.create
    pytest.param(
        ProductCreateParams,
        product(paid_by_roles=MISSING),
        "paid_by_roles",
        "a product needs at least one role: give paid_by_roles, paid_to_roles or both",
        id="product-no-roles",
    ),
    pytest.param(
        ProductCreateParams,
        product(paid_by_roles=[], paid_to_roles=[]),
        "paid_by_roles",
        "a product needs at least one role",
        id="product-empty-role-lists",
    ),
    pytest.param(
        ProductCreateParams,
        product(paid_by_roles=[{"id": "r_1", "name": "buyer"}]),
        "paid_by_roles[0]",
        "give exactly one of 'id' or 'name', got both",
        id="role-ref-both",
    ),
    pytest.param(
        ProductCreateParams,
        product(paid_to_roles=[RoleRef()]),
        "paid_to_roles[0]",
        "give exactly one of 'id' or 'name', got neither",
        id="role-ref-neither",
    ),
    pytest.param(
        ProductCreateParams,
        product(paid_to_roles=["seller"]),
        "paid_to_roles[0]",
        "expected a RoleRef or a mapping, got str 'seller'",
        id="role-ref-a-str",
    ),
    pytest.param(
        ProductCreateParams,
        product(paid_by_roles=[{"id": ""}]),
        "paid_by_roles[0].id",
        "must not be empty",
        id="role-ref-id-empty",
    ),
    pytest.param(
        ProductCreateParams,
        product(paid_by_roles=[{"role": "buyer"}]),
        "paid_by_roles[0].role",
        "unknown field",
        id="role-ref-unknown-key",
    ),
    pytest.param(
        ProductCreateParams,
        product(paid_by_roles="buyer"),
        "paid_by_roles",
        "expected a list of role references, got str 'buyer'",
        id="role-refs-a-str",
    ),
    pytest.param(ProductCreateParams, product(code=""), "code", "must not be empty", id="product-code-empty"),
    pytest.param(
        ProductCreateParams, product(description=MISSING), "description", "required field is missing", id="product-desc"
    ),
    # roles, users, external accounts
    pytest.param(RoleCreateParams, {}, "role", "required field is missing", id="role-missing"),
    pytest.param(RoleCreateParams, {"role": 1}, "role", "expected a non-empty string, got int 1", id="role-int"),
    pytest.param(
        UserCreateParams,
        {"externalId": "u", "role": "buyer"},
        "externalId",
        "unknown field; did you mean 'external_id'?",
        id="user-wire-name",
    ),
    pytest.param(UserCreateParams, {"external_id": "u"}, "role", "required field is missing", id="user-role-missing"),
    pytest.param(
        ExternalAccountCreateParams, {"external_id": "a", "name": "  "}, "name", "must not be empty", id="account-name"
    ),
    # transactions.create
    pytest.param(
        TransactionCreateParams,
        transaction(account={}),
        "account",
        "give 'id', 'external_id' or both to name the account, got neither",
        id="account-empty",
    ),
    pytest.param(
        TransactionCreateParams,
        transaction(account=Account()),
        "account",
        "got neither",
        id="account-instance-empty",
    ),
    pytest.param(
        TransactionCreateParams,
        transaction(account="ext_account_1"),
        "account",
        "expected an Account or a mapping, got str",
        id="account-a-str",
    ),
    pytest.param(
        TransactionCreateParams,
        transaction(account={"id": "ext_account_1", "name": "Operating"}),
        "account.name",
        "unknown field",
        id="account-unknown-key",
    ),
    pytest.param(
        TransactionCreateParams,
        transaction(allocations=MISSING),
        "allocations",
        "required field",
        id="allocations-missing",
    ),
    pytest.param(
        TransactionCreateParams,
        transaction(allocations=[changed(ALLOCATION, type="payin")]),
        "allocations[0].type",
        "'payin' is not an allocation type; expected 'invoice_payin' or 'invoice_payout'",
        id="allocation-type",
    ),
    pytest.param(
        TransactionCreateParams,
        transaction(allocations=[changed(ALLOCATION, amount="-5")]),
        "allocations[0].amount",
        "'-5' is not a string of digits",
        id="allocation-amount-negative",
    ),
    pytest.param(
        TransactionCreateParams,
        transaction(allocations=[changed(ALLOCATION, user={})]),
        "allocations[0].user",
        "give exactly one of 'id' or 'external_id', got neither",
        id="allocation-user-neither",
    ),
    pytest.param(
        TransactionCreateParams,
        transaction(allocations=[ALLOCATION, changed(ALLOCATION, user=AllocationUser(id="u", external_id="e"))]),
        "allocations[1].user",
        "got both",
        id="allocation-user-both",
    ),
    pytest.param(
        TransactionCreateParams,
        transaction(allocations=[changed(ALLOCATION, user=MISSING)]),
        "allocations[0].user",
        "required field is missing",
        id="allocation-user-missing",
    ),
    pytest.param(
        TransactionCreateParams,
        transaction(allocations=[changed(ALLOCATION, invoiceId="inv", invoice_id=MISSING)]),
        "allocations[0].invoiceId",
        "did you mean 'invoice_id'?",
        id="allocation-camel-key",
    ),
    pytest.param(
        TransactionCreateParams,
        transaction(amount="1.5"),
        "amount",
        "'1.5' is not a string of digits, optionally negative",
        id="amount-decimal",
    ),
    pytest.param(
        TransactionCreateParams, transaction(amount="--1"), "amount", "is not a string of digits", id="amount-2-signs"
    ),
    pytest.param(
        TransactionCreateParams, transaction(amount="+1"), "amount", "is not a string of digits", id="amount-plus"
    ),
    pytest.param(
        TransactionCreateParams, transaction(amount=""), "amount", "is not a string of digits", id="amount-empty"
    ),
    pytest.param(
        TransactionCreateParams,
        transaction(amount="-" + "9" * 65),
        "amount",
        "has 65 digits, at most 64 are accepted",
        id="amount-too-long",
    ),
    pytest.param(
        TransactionCreateParams, transaction(amount=-(10**64)), "amount", "is too large", id="amount-int-too-large"
    ),
    pytest.param(
        TransactionCreateParams, transaction(amount=1.0), "amount", "or an int, got float 1.0", id="amount-float"
    ),
    pytest.param(
        TransactionCreateParams, transaction(currency="usd"), "currency", "did you mean 'USD'", id="currency-lowercase"
    ),
    pytest.param(
        TransactionCreateParams, transaction(external_id=MISSING), "external_id", "required field", id="external-id"
    ),
    pytest.param(
        TransactionCreateParams,
        transaction(posted=datetime(2026, 2, 12)),
        "posted",
        "is a naive datetime",
        id="posted-naive",
    ),
    pytest.param(
        TransactionCreateParams,
        transaction(posted=datetime(2026, 2, 12, tzinfo=NoOffset())),
        "posted",
        "is a naive datetime",
        id="posted-zone-without-offset",
    ),
    pytest.param(
        TransactionCreateParams,
        transaction(posted=date(2026, 2, 12)),
        "posted",
        "is a date, not a moment; pass a timezone-aware datetime",
        id="posted-date",
    ),
    pytest.param(
        TransactionCreateParams,
        transaction(posted="2026-02-12"),
        "posted",
        "'2026-02-12' has no UTC offset",
        id="posted-date-string",
    ),
    pytest.param(
        TransactionCreateParams,
        transaction(posted="2026-02-12T00:00:00.000"),
        "posted",
        "has no UTC offset; add 'Z'",
        id="posted-string-without-offset",
    ),
    pytest.param(
        TransactionCreateParams,
        transaction(posted="yesterday"),
        "posted",
        "'yesterday' is not an ISO-8601 timestamp",
        id="posted-not-a-timestamp",
    ),
    pytest.param(
        TransactionCreateParams,
        transaction(posted=1700000000),
        "posted",
        "expected a timezone-aware datetime or an ISO-8601 string, got int 1700000000",
        id="posted-epoch-seconds",
    ),
    # transactions.list
    pytest.param(
        TransactionListParams,
        {"reconciliation_status": "bogus"},
        "reconciliation_status",
        "'bogus' is not a reconciliation status; expected 'reconciled' or 'unreconciled'",
        id="list-status",
    ),
    pytest.param(TransactionListParams, {"account": ""}, "account", "must not be empty", id="list-account-empty"),
    pytest.param(TransactionListParams, {"account": ["a", "b"]}, "account", "got list", id="list-account-a-list"),
    pytest.param(TransactionListParams, {"limit": 5}, "limit", "unknown field", id="list-unknown-filter"),
    # transactions.create_allocations
    pytest.param(
        TransactionCreateAllocationsParams,
        allocations(),
        "allocation_updates",
        "must contain at least one allocation operation",
        id="allocations-no-op",
    ),
    pytest.param(
        TransactionCreateAllocationsParams,
        allocations({"op": "update", "id": "alloc_1"}),
        "allocation_updates[0].op",
        "'update' is not an allocation operation; expected 'add' or 'delete'",
        id="allocations-no-update-op",
    ),
    pytest.param(
        TransactionCreateAllocationsParams,
        allocations({"op": "delete"}),
        "allocation_updates[0].id",
        "required field is missing",
        id="allocation-delete-without-id",
    ),
    pytest.param(
        TransactionCreateAllocationsParams,
        allocations({"op": "add", **changed(ALLOCATION, type="invoice_refund")}),
        "allocation_updates[0].type",
        "is not an allocation type",
        id="allocation-add-type",
    ),
    pytest.param(
        TransactionCreateAllocationsParams,
        allocations({"op": "add", **changed(ALLOCATION, user={"id": "u", "external_id": "e"})}),
        "allocation_updates[0].user",
        "got both",
        id="allocation-add-user-both",
    ),
    pytest.param(
        TransactionCreateAllocationsParams,
        allocations({"op": "delete", "id": "alloc_1", "amount": "1"}),
        "allocation_updates[0].amount",
        "unknown field",
        id="allocation-delete-extra-key",
    ),
    pytest.param(
        TransactionCreateAllocationsParams,
        allocations(AllocationDeleteOp(id="alloc_1"), version=1.5),
        "version",
        "got float 1.5",
        id="allocations-version-fraction",
    ),
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


@pytest.mark.parametrize(
    ("params_cls", "fields", "path", "message"),
    [
        pytest.param(
            InvoiceUpdateParams,
            update({"op": "update", "id": "li", "amount": 5}),
            "line_items_update[0].amount",
            "expected a string of digits, got int 5",
            id="update-amount",
        ),
        pytest.param(
            TransactionCreateParams,
            transaction(amount=-5),
            "amount",
            "expected a string of digits, optionally negative, got int -5",
            id="transaction-amount",
        ),
        pytest.param(
            TransactionCreateParams,
            transaction(allocations=[changed(ALLOCATION, amount=7)]),
            "allocations[0].amount",
            "expected a string of digits, got int 7",
            id="allocation-amount",
        ),
        pytest.param(
            TransactionCreateParams,
            transaction(amount=1.5),
            "amount",
            "expected a string of digits, optionally negative, got float 1.5",
            id="float-amount-message-without-ints",
        ),
    ],
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
