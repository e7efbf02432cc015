"""The exception hierarchy and what each exception carries."""

from __future__ import annotations

import pytest

import fragment
import fragment._errors as errors_module

CHILDREN = {
    fragment.FragmentError: [fragment.ValidationError, fragment.APIError],
    ValueError: [fragment.ValidationError],
    fragment.APIError: [fragment.APIConnectionError, fragment.APIResponseValidationError, fragment.APIStatusError],
    fragment.APIConnectionError: [fragment.APITimeoutError],
    fragment.APIStatusError: [
        fragment.BadRequestError,
        fragment.AuthenticationError,
        fragment.PermissionDeniedError,
        fragment.NotFoundError,
        fragment.ConflictError,
        fragment.UnprocessableEntityError,
        fragment.RateLimitError,
        fragment.InternalServerError,
    ],
}
PARENTS = [(child, parent) for parent, children in CHILDREN.items() for child in children]


@pytest.mark.parametrize(("child", "parent"), PARENTS, ids=lambda cls: cls.__name__)
def test_the_hierarchy_is_as_documented(child: type[Exception], parent: type[Exception]) -> None:
    assert issubclass(child, parent)


@pytest.mark.parametrize(
    "error_class", [fragment.APIResponseValidationError, fragment.APIStatusError, fragment.APIConnectionError]
)
def test_api_errors_are_not_value_errors(error_class: type[Exception]) -> None:
    assert not issubclass(error_class, ValueError)


def test_the_module_docstring_draws_every_exception() -> None:
    tree = errors_module.__doc__ or ""

    assert [name for name in errors_module.__all__ if name != "FieldError" and name not in tree] == []


def test_every_exception_is_exported_from_the_package() -> None:
    for name in errors_module.__all__:
        assert getattr(fragment, name) is getattr(errors_module, name)


def test_a_status_error_carries_status_headers_and_body() -> None:
    error = fragment.RateLimitError(
        "Error code: 429 - slow down", status_code=429, headers={"retry-after": "1"}, body={"a": 1}
    )

    assert (error.status_code, error.headers["retry-after"], error.body) == (429, "1", {"a": 1})
    assert error.message == str(error) == "Error code: 429 - slow down"


def test_a_response_validation_error_carries_the_raw_body() -> None:
    error = fragment.APIResponseValidationError("not an invoice", status_code=200, body=b"<html>")

    assert (error.status_code, error.body, str(error)) == (200, b"<html>", "not an invoice")


def test_connection_errors_have_default_messages() -> None:
    assert str(fragment.APIConnectionError()) == "Connection error."
    assert str(fragment.APITimeoutError()) == "Request timed out."
    assert fragment.APITimeoutError().message == "Request timed out."


@pytest.mark.parametrize(
    ("error", "connect_failed"),
    [
        (fragment.APIConnectionError("reset"), False),
        (fragment.APITimeoutError(), False),
        (fragment.APIConnectionError("Cannot connect to https://x", connect_failed=True), True),
    ],
)
def test_a_connection_error_says_whether_no_connection_could_be_opened_at_all(
    error: fragment.APIConnectionError, connect_failed: bool
) -> None:
    assert error.connect_failed is connect_failed


def test_a_validation_error_lists_every_field_error() -> None:
    problems = [
        fragment.FieldError("invoice_id", "must not be empty, got ''"),
        fragment.FieldError("line_items", "required"),
    ]

    error = fragment.ValidationError(problems)

    assert error.errors == tuple(problems)
    assert error.path == "invoice_id"
    assert str(error) == "invoice_id: must not be empty, got ''; line_items: required"


def test_a_field_error_reads_as_path_then_message() -> None:
    problem = fragment.FieldError("line_items[2].currency_code", "'USDX' is not a supported currency code")

    assert str(problem) == "line_items[2].currency_code: 'USDX' is not a supported currency code"


def test_a_validation_error_can_be_caught_as_value_error() -> None:
    with pytest.raises(ValueError, match="amount"):
        raise fragment.ValidationError([fragment.FieldError("line_items[0].amount", "bad")])
