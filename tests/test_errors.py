"""The exception hierarchy and what each exception carries."""

from __future__ import annotations

import pytest

import fragment
from fragment import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    FieldError,
    FragmentError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
    ValidationError,
    _errors,
)

PARENTS = [
    (ValidationError, FragmentError),
    (ValidationError, ValueError),
    (APIError, FragmentError),
    (APIConnectionError, APIError),
    (APITimeoutError, APIConnectionError),
    (APIResponseValidationError, APIError),
    (APIStatusError, APIError),
    (BadRequestError, APIStatusError),
    (AuthenticationError, APIStatusError),
    (PermissionDeniedError, APIStatusError),
    (NotFoundError, APIStatusError),
    (ConflictError, APIStatusError),
    (UnprocessableEntityError, APIStatusError),
    (RateLimitError, APIStatusError),
    (InternalServerError, APIStatusError),
]


@pytest.mark.parametrize(("child", "parent"), PARENTS, ids=lambda cls: cls.__name__)
def test_the_hierarchy_is_as_documented(child: type[Exception], parent: type[Exception]) -> None:
    assert issubclass(child, parent)


@pytest.mark.parametrize("error_class", [APIResponseValidationError, APIStatusError, APIConnectionError])
def test_api_errors_are_not_value_errors(error_class: type[Exception]) -> None:
    assert not issubclass(error_class, ValueError)


def test_the_module_docstring_draws_every_exception() -> None:
    doc = _errors.__doc__ or ""

    for name in _errors.__all__:
        if name != "FieldError":
            assert name in doc


def test_every_exception_is_exported_from_the_package() -> None:
    for name in _errors.__all__:
        assert getattr(fragment, name) is getattr(_errors, name)


def test_a_status_error_carries_status_headers_and_body() -> None:
    error = RateLimitError("Error code: 429 - slow down", status_code=429, headers={"retry-after": "1"}, body={"a": 1})

    assert (error.status_code, error.headers["retry-after"], error.body) == (429, "1", {"a": 1})
    assert error.message == str(error) == "Error code: 429 - slow down"


def test_a_response_validation_error_carries_the_raw_body() -> None:
    error = APIResponseValidationError("not an invoice", status_code=200, body=b"<html>")

    assert (error.status_code, error.body, str(error)) == (200, b"<html>", "not an invoice")


def test_connection_errors_have_default_messages() -> None:
    assert str(APIConnectionError()) == "Connection error."
    assert str(APITimeoutError()) == "Request timed out."
    assert APITimeoutError().message == "Request timed out."


def test_a_validation_error_lists_every_field_error() -> None:
    problems = [FieldError("invoice_id", "must not be empty, got ''"), FieldError("line_items", "required")]

    error = ValidationError(problems)

    assert error.errors == tuple(problems)
    assert error.path == "invoice_id"
    assert str(error) == "invoice_id: must not be empty, got ''; line_items: required"


def test_a_field_error_reads_as_path_then_message() -> None:
    assert str(FieldError("line_items[2].currency_code", "'USDX' is not a supported currency code")) == (
        "line_items[2].currency_code: 'USDX' is not a supported currency code"
    )


def test_a_validation_error_can_be_caught_as_value_error() -> None:
    with pytest.raises(ValueError, match="amount"):
        raise ValidationError([FieldError("line_items[0].amount", "bad")])
