"""Event hooks, aiohttp trace configs and OpenTelemetry spans, against the emulator over real sockets."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import aiohttp
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from fragment import AsyncFragment, Fragment, RequestEvent, ResponseEvent, RetryEvent
from fragment.otel import tracing_hooks
from fragment.testing import Emulator, Faults


class RetriedTwice:
    """Every answer is a server error until the second retry is announced; then the faults stop."""

    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator
        self.retries = 0
        emulator.faults = Faults(server_error=1.0)

    def __call__(self, event: RetryEvent) -> None:
        self.retries += 1
        if self.retries == 2:
            self._emulator.faults = Faults()


async def test_hooks_fire_in_order_for_a_create_retried_twice(
    fragment_emulator: Emulator, seed_invoice: dict[str, Any], fragment_instant_retries: None
) -> None:
    events: list[Any] = []
    heal = RetriedTwice(fragment_emulator)

    def on_retry(event: RetryEvent) -> None:
        events.append(event)
        heal(event)

    async with AsyncFragment(
        **fragment_emulator.client_options(), on_request=events.append, on_response=events.append, on_retry=on_retry
    ) as client:
        await client.invoices.create(**seed_invoice)

    create = [event for event in events if event.operation == "invoices.create"]
    kinds = [(type(event).__name__, event.attempt) for event in create]
    assert kinds == [
        ("RequestEvent", 0),
        ("ResponseEvent", 0),
        ("RetryEvent", 0),
        ("RequestEvent", 1),
        ("ResponseEvent", 1),
        ("RetryEvent", 1),
        ("RequestEvent", 2),
        ("ResponseEvent", 2),
    ]
    responses = [event for event in create if isinstance(event, ResponseEvent)]
    assert [event.final for event in responses] == [False, False, True]
    assert responses[-1].status == 201 and all(event.status and event.status >= 500 for event in responses[:2])
    assert {(event.method, event.path) for event in create} == {("POST", "/invoices")}
    assert len({event.call for event in create}) == 1


async def test_events_hold_no_secret(fragment_emulator: Emulator, seed_invoice: dict[str, Any]) -> None:
    events: list[Any] = []
    options = fragment_emulator.client_options()
    async with AsyncFragment(**options, on_request=events.append, on_response=events.append) as client:
        await client.invoices.create(**seed_invoice)

    shown = "".join(map(repr, events))
    assert options["client_secret"] not in shown and "Bearer" not in shown and "Basic" not in shown
    assert [event.operation for event in events if isinstance(event, RequestEvent)] == [
        "oauth2.token",
        "invoices.create",
    ]


async def test_aiohttp_trace_configs_are_passed_to_the_session(
    fragment_emulator: Emulator, seed_invoice: dict[str, Any]
) -> None:
    started: list[str] = []

    async def on_request_start(session: Any, context: Any, params: aiohttp.TraceRequestStartParams) -> None:
        started.append(params.url.path)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    async with AsyncFragment(**fragment_emulator.client_options(), trace_configs=[trace]) as client:
        await client.invoices.create(**seed_invoice)

    assert started == ["/oauth2/token", "/invoices"]


def test_the_blocking_client_fires_the_same_hooks(fragment_emulator: Emulator, seed_invoice: dict[str, Any]) -> None:
    events: list[ResponseEvent] = []
    with Fragment(**fragment_emulator.client_options(), on_response=events.append) as client:
        client.invoices.create(**seed_invoice)

    assert [(event.operation, event.status) for event in events] == [("oauth2.token", 200), ("invoices.create", 201)]


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


async def test_a_retried_create_is_one_span_with_a_child_per_attempt_and_retries_as_events(
    fragment_emulator: Emulator,
    seed_invoice: dict[str, Any],
    spans: InMemorySpanExporter,
    fragment_instant_retries: None,
) -> None:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    hooks = tracing_hooks(provider)
    heal = RetriedTwice(fragment_emulator)

    def on_retry(event: RetryEvent) -> None:
        hooks["on_retry"](event)
        heal(event)

    async with AsyncFragment(
        **fragment_emulator.client_options(),
        on_request=hooks["on_request"],
        on_response=hooks["on_response"],
        on_retry=on_retry,
    ) as client:
        await client.invoices.create(**seed_invoice)

    finished = spans.get_finished_spans()
    (create,) = [span for span in finished if span.name == "invoices.create"]
    attempts = [span for span in finished if span.parent is not None and span.parent.span_id == create.context.span_id]
    assert [span.kind for span in attempts] == [SpanKind.CLIENT] * 3
    assert [span.attributes.get("http.response.status_code") for span in attempts][-1] == 201
    assert [span.attributes.get("http.request.resend_count") for span in attempts] == [None, 1, 2]
    assert attempts[0].status.status_code is StatusCode.ERROR
    assert {span.attributes["http.request.method"] for span in attempts} == {"POST"}
    assert attempts[0].attributes["url.full"].endswith("/invoices")
    assert [event.name for event in create.events] == ["retry", "retry"]
    assert create.status.status_code is not StatusCode.ERROR
    assert create.attributes["fragment.attempts"] == 3


def test_import_fragment_does_not_import_opentelemetry() -> None:
    code = "import sys, fragment; assert not any(m.startswith('opentelemetry') for m in sys.modules), 'loaded'"

    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)

    assert completed.returncode == 0, completed.stderr
