"""Declared operations: percent-encoded paths, how a call's arguments are sorted, both modes."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest

from fragment import AsyncFragment, Request, ValidationError
from fragment._operation import Blocking, ModeT, Operation, Resource, operation
from fragment.resources import Invoices
from fragment.testing import answer
from fragment.types import InvoiceCreateResponse, InvoiceRetrieveResponse

T = TypeVar("T")

RETRIEVED = (Path(__file__).parent / "samples" / "invoice_retrieve_response.json").read_bytes()


class AsyncioRunner:
    """A stand-in for the blocking client's portal: runs each call in a fresh event loop."""

    def run(self, open_call: Callable[[], Awaitable[T]]) -> T:
        async def call() -> T:
            return await open_call()

        return asyncio.run(call())

    def iterate(self, open_iterator: Callable[[], AsyncIterator[T]]) -> Iterator[T]:
        raise NotImplementedError


# --- paths ----------------------------------------------------------------------------------------


def invoice_path(*values: object) -> str:
    return Invoices.retrieve.operation.path_for(values)


@pytest.mark.parametrize(
    ("value", "segment"),
    [
        ("inv 1/é", "inv%201%2F%C3%A9"),
        ("a?b#c%d", "a%3Fb%23c%25d"),
        ("inv_2024-001.x~y", "inv_2024-001.x~y"),
        ("a+b&c=d", "a%2Bb%26c%3Dd"),
    ],
)
def test_a_path_value_is_percent_encoded_as_exactly_one_segment(value: str, segment: str) -> None:
    assert invoice_path(value) == f"/invoices/{segment}"


def test_path_values_fill_the_template_in_order() -> None:
    template = "/widgets/{id}/parts/{part}"
    declared = Operation("widgets.part", "GET", template, InvoiceCreateResponse)

    assert declared.path_params == ("id", "part")
    assert declared.path_for(("a/b", "c d")) == "/widgets/a%2Fb/parts/c%20d"


def test_a_path_without_parameters_is_the_template() -> None:
    assert Invoices.list.operation.path_for(()) == "/invoices"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "id: must not be empty, got ''"),
        (5, "id: expected a non-empty string, got int 5"),
        (None, "id: expected a non-empty string, got NoneType None"),
        (b"inv", "id: expected a non-empty string, got bytes b'inv'"),
    ],
)
def test_an_empty_or_non_string_path_value_is_refused_naming_the_parameter(value: object, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        invoice_path(value)

    assert str(caught.value) == message
    assert caught.value.path == "id"


# --- the declaration ------------------------------------------------------------------------------


def test_an_operation_is_its_declaration() -> None:
    declared = Invoices.create.operation

    assert (declared.name, declared.method, declared.path) == ("invoices.create", "POST", "/invoices")
    assert declared.response is InvoiceCreateResponse
    assert not declared.version_guarded


async def test_a_wrong_call_names_the_operation_as_users_reach_it(client: AsyncFragment) -> None:
    with pytest.raises(TypeError) as caught:
        await client.external_accounts.create(colour="red")

    assert str(caught.value) == "external_accounts.create() got an unexpected keyword argument 'colour'"


def test_positional_parameters_that_differ_from_the_path_are_refused_when_declared() -> None:
    with pytest.raises(TypeError, match=r"retrieve\(\): positional parameters \[\] differ from the path's"):

        class Broken(Resource[ModeT]):
            @operation("GET", "/widgets/{id}", response=InvoiceCreateResponse)
            def retrieve(self, *, id: str) -> None:
                """Declared with a keyword where the path has a parameter."""


def test_a_bound_operation_shows_the_declared_name_docstring_and_signature(client: AsyncFragment) -> None:
    create = client.invoices.create

    assert create.__name__ == "create"
    assert create.__doc__ == Invoices.create.__doc__
    assert list(inspect.signature(create).parameters) == ["invoice_id", "line_items", "options"]
    assert list(inspect.signature(client.invoices.retrieve).parameters) == ["id", "options"]


# --- binding a call's arguments ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(
            lambda client: client.invoices.create(invoice_id="inv_1"),
            "invoices.create() missing required keyword-only argument(s): 'line_items'",
            id="missing-keyword",
        ),
        pytest.param(
            lambda client: client.invoices.create(invoice_id="inv_1", line_items=[], colour="red"),
            "invoices.create() got an unexpected keyword argument 'colour'",
            id="unknown-keyword",
        ),
        pytest.param(
            lambda client: client.invoices.create("inv_1", []),
            "invoices.create() takes 0 positional argument(s), got 2",
            id="positional-for-keywords",
        ),
        pytest.param(
            lambda client: client.invoices.retrieve(),
            "invoices.retrieve() takes 1 positional argument(s), got 0",
            id="missing-path-value",
        ),
        pytest.param(
            lambda client: client.invoices.retrieve("a", "b"),
            "invoices.retrieve() takes 1 positional argument(s), got 2",
            id="too-many-path-values",
        ),
        pytest.param(
            lambda client: client.invoices.retrieve(id="a"),
            "invoices.retrieve() takes 1 positional argument(s), got 0",
            id="path-value-by-keyword",
        ),
    ],
)
async def test_a_call_with_wrong_arguments_raises_type_error_and_sends_nothing(
    client: AsyncFragment,
    api_requests: Sequence[Request],
    call: Callable[[AsyncFragment], Awaitable[Any]],
    message: str,
) -> None:
    with pytest.raises(TypeError) as caught:
        await call(client)

    assert str(caught.value) == message
    assert api_requests == []


async def test_a_field_passed_as_none_is_left_out_as_if_not_given(
    client: AsyncFragment, api_requests: Sequence[Request]
) -> None:
    with pytest.raises(ValidationError) as caught:
        await client.invoices.create(invoice_id="inv_1", line_items=None)

    assert caught.value.path == "line_items"
    assert api_requests == []


# --- a call through the pipeline --------------------------------------------------------------------


async def test_a_get_sends_the_encoded_path_and_no_body_even_with_extra_body(
    client: AsyncFragment, answers: list[Any], api_requests: Sequence[Request], client_options: dict[str, str]
) -> None:
    answers.append(answer(200, RETRIEVED))

    invoice = await client.invoices.retrieve("inv 1/é", extra_body={"ignored": True}, extra_query={"expand": "x"})

    assert isinstance(invoice, InvoiceRetrieveResponse)
    (sent,) = api_requests
    assert sent.method == "GET"
    assert sent.url == f"{client_options['base_url']}/invoices/inv%201%2F%C3%A9?expand=x"
    assert sent.body is None
    assert "Content-Type" not in sent.headers


@pytest.mark.parametrize("bad_id", ["", 42])
async def test_a_bad_path_value_is_refused_before_sending(
    client: AsyncFragment, api_requests: Sequence[Request], bad_id: object
) -> None:
    with pytest.raises(ValidationError, match=r"^id: "):
        await client.invoices.retrieve(bad_id)  # type: ignore[arg-type]

    assert api_requests == []


def test_a_resource_given_a_runner_blocks_and_returns_the_result(
    make_client: Callable[..., AsyncFragment], answers: list[Any], api_requests: Sequence[Request]
) -> None:
    answers.append(answer(200, RETRIEVED))
    invoices: Invoices[Blocking] = Invoices(make_client(), AsyncioRunner())

    invoice = invoices.retrieve("inv/1", extra_headers={"X-Trace": "t1"})

    assert isinstance(invoice, InvoiceRetrieveResponse)
    assert api_requests[0].url.endswith("/invoices/inv%2F1")
    assert api_requests[0].headers["X-Trace"] == "t1"  # keyword arguments travel to the portal too
