"""OpenTelemetry tracing for fragment's clients: a span per operation, a child span per attempt.

Install the extra (``pip install 'fragment-billing[otel]'``) and pass the hooks to a client::

    from fragment import AsyncFragment
    from fragment.otel import tracing_hooks

    client = AsyncFragment(**tracing_hooks())

Each call (``invoices.create``, the token request, ``client.request``) is a span named after
it, a child of whatever span is current when the call starts. Each attempt is a ``CLIENT``
child span with the HTTP semantic-convention attributes (``http.request.method``,
``url.full``, ``server.address``, ``server.port``, ``http.response.status_code``,
``http.request.resend_count``, ``error.type``). A retry is an event on the call's span, with
its delay and reason. Nothing here sees a header, a body or a secret: the hooks only get the
client's events. ``import fragment`` never imports this module, nor OpenTelemetry.

.. versionadded:: 0.2.0
"""

from __future__ import annotations

from typing import Any, TypedDict
from urllib.parse import urlsplit

from opentelemetry import context, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, TracerProvider

from . import __version__
from ._events import RequestEvent, ResponseEvent, RetryEvent

__all__ = ["TracingHooks", "tracing_hooks"]


class TracingHooks(TypedDict):
    """The keyword arguments of :class:`~fragment.AsyncFragment` / :class:`~fragment.Fragment` that trace."""

    on_request: Any
    on_response: Any
    on_retry: Any


def tracing_hooks(tracer_provider: TracerProvider | None = None) -> TracingHooks:
    """Event hooks that record fragment's calls as OpenTelemetry spans.

    :param tracer_provider: where the spans go; the global provider when omitted.
    """
    tracer = trace.get_tracer("fragment", __version__, tracer_provider=tracer_provider)
    spans = _Spans(tracer)
    return TracingHooks(on_request=spans.request, on_response=spans.response, on_retry=spans.retry)


class _Spans:
    """The open spans of calls in flight, by call number."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer
        self._calls: dict[int, tuple[Span, Span | None]] = {}

    def request(self, event: RequestEvent) -> None:
        call_span = self._calls[event.call][0] if event.call in self._calls else self._start_call(event)
        attempt = self._tracer.start_span(
            f"{event.method} {event.operation}",
            context=trace.set_span_in_context(call_span, context.get_current()),
            kind=SpanKind.CLIENT,
            attributes=_http_attributes(event),
        )
        self._calls[event.call] = (call_span, attempt)

    def _start_call(self, event: RequestEvent) -> Span:
        attributes = {"fragment.operation": event.operation, "http.request.method": event.method}
        return self._tracer.start_span(event.operation, attributes=attributes)

    def response(self, event: ResponseEvent) -> None:
        call_span, attempt = self._calls.get(event.call, (None, None))
        if call_span is None:
            return
        failed = event.status is None or event.status >= 400
        if attempt is not None:
            if event.status is not None:
                attempt.set_attribute("http.response.status_code", event.status)
            if failed:
                attempt.set_attribute("error.type", str(event.status) if event.status else "connection_error")
                attempt.set_status(Status(StatusCode.ERROR, event.error))
            attempt.end()
        self._calls[event.call] = (call_span, None)
        if event.final:
            call_span.set_attribute("fragment.attempts", event.attempt + 1)
            if failed:
                call_span.set_status(Status(StatusCode.ERROR, event.error or f"status {event.status}"))
            call_span.end()
            del self._calls[event.call]

    def retry(self, event: RetryEvent) -> None:
        call_span = self._calls.get(event.call, (None, None))[0]
        if call_span is not None:
            attributes = {"fragment.attempt": event.attempt, "fragment.retry.delay": event.delay}
            call_span.add_event("retry", {**attributes, "fragment.retry.reason": event.reason})


def _http_attributes(event: RequestEvent) -> dict[str, Any]:
    url = urlsplit(event.url)
    attributes: dict[str, Any] = {
        "http.request.method": event.method,
        "url.full": event.url,
        "server.address": url.hostname or "",
        "fragment.operation": event.operation,
    }
    if url.port is not None or url.scheme:
        attributes["server.port"] = url.port or (443 if url.scheme == "https" else 80)
    if event.attempt:
        attributes["http.request.resend_count"] = event.attempt
    return attributes
