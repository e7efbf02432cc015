"""The API side of the emulator: the aiohttp.web handlers of the token and invoice endpoints."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

import attrs
from aiohttp import web

from .. import _json
from .._errors import ValidationError
from .._validation import validate_invoice
from .._wire import python_names
from ._admin import ADMIN_PREFIX, make_admin_app
from ._config import EmulatorClient
from ._faults import Fault, retry_after_ms
from ._state import STATE, EmulatorState
from ._store import Outcome

__all__ = ["INVOICES_PATH", "TOKEN_PATH", "make_app"]

logger = logging.getLogger("fragment.testing")

TOKEN_PATH = "/oauth2/token"
INVOICES_PATH = "/invoices"


def make_app(state: EmulatorState) -> web.Application:
    """The emulator's application: the API's two endpoints, plus the admin surface under ``/_emulator/``."""
    app = web.Application()
    app[STATE] = state
    app.router.add_post(TOKEN_PATH, _token)
    app.router.add_post(INVOICES_PATH, _create_invoice)
    app.add_subapp(ADMIN_PREFIX, make_admin_app())
    app.on_shutdown.append(_wake_slow_answers)
    return app


async def _wake_slow_answers(app: web.Application) -> None:
    app[STATE].closing.set()


@attrs.frozen
class _Answer:
    """An answer decided but not yet sent: a fault may still drop it."""

    status: int
    body: bytes
    headers: Mapping[str, str] | None = None


def _error_answer(
    status: int, kind: str, message: str, headers: Mapping[str, str] | None = None, **extra: Any
) -> _Answer:
    return _Answer(status, _json.dumps({"error": {"type": kind, "message": message, **extra}}), headers)


def _send(state: EmulatorState, path: str, answer: _Answer) -> web.Response:
    state.stats.answer(path, answer.status)
    return web.Response(body=answer.body, status=answer.status, content_type="application/json", headers=answer.headers)


def _drop_connection(request: web.Request) -> web.StreamResponse:
    """Close the connection without answering: the client sees the server disconnect.

    The returned response is never sent: aiohttp finds the transport closing, treats it as
    a client that went away and writes nothing (raising from the handler instead would make
    aiohttp log an error and try to answer 500).
    """
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=500)


async def _token(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    state.stats.request(TOKEN_PATH)
    return _send(state, TOKEN_PATH, await _token_answer(state, request))


async def _token_answer(state: EmulatorState, request: web.Request) -> _Answer:
    client = state.tokens.authenticate(request.headers.get("Authorization"))
    if client is None:
        return _error_answer(
            401,
            "invalid_client",
            "client authentication failed: unknown client, wrong secret or no HTTP Basic credentials",
            headers={"WWW-Authenticate": 'Basic realm="fragment-emulator"'},
        )
    form = await request.post()
    grant_type = form.get("grant_type")
    if grant_type != "client_credentials":
        return _error_answer(
            400, "unsupported_grant_type", f"grant_type must be 'client_credentials', got {grant_type!r}"
        )
    token = state.tokens.issue(client)
    state.stats.token_issued()
    logger.debug("issued an access token to client %r", client.client_id)
    lifetime = state.tokens.lifetime
    body = {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": int(lifetime) if lifetime.is_integer() else lifetime,
    }
    return _Answer(200, _json.dumps(body), {"Cache-Control": "no-store"})


async def _create_invoice(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    state.stats.request(INVOICES_PATH)
    # Read the whole body first: closing a socket with unread data would send an RST
    # rather than the orderly close a reset fault is meant to produce.
    raw = await request.read()
    draw = state.faults.draw()

    if state.bucket is not None:
        wait = state.bucket.take()
        if wait > 0:
            state.stats.fault(Fault.THROTTLED.value)
            answer = _error_answer(
                429, "rate_limit_error", "rate limit exceeded", headers={"retry-after-ms": retry_after_ms(wait)}
            )
            return _send(state, INVOICES_PATH, answer)

    if draw.before_commit is not None:
        _count_fault(state, draw.before_commit)
        if draw.before_commit is Fault.RESET_BEFORE_COMMIT:
            return _drop_connection(request)
        return _send(state, INVOICES_PATH, _injected_error(state, draw.before_commit, draw.server_status))

    client = state.tokens.client_for(request.headers.get("Authorization"))
    if client is None:
        answer = _error_answer(
            401,
            "authentication_error",
            "a valid, unexpired bearer token is required",
            headers={"WWW-Authenticate": 'Bearer realm="fragment-emulator"'},
        )
        return _send(state, INVOICES_PATH, answer)

    answer = _validate_and_store(state, client, raw)
    if answer.status == 400:
        return _send(state, INVOICES_PATH, answer)  # nothing reached the store
    if draw.reset_after_commit:
        _count_fault(state, Fault.RESET_AFTER_COMMIT)
        return _drop_connection(request)
    if draw.slow:
        _count_fault(state, Fault.SLOW)
        # Waiting on the shutdown event rather than sleeping lets the server stop at once.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(state.closing.wait(), timeout=state.faults.faults.slow_seconds)
    return _send(state, INVOICES_PATH, answer)


def _count_fault(state: EmulatorState, fault: Fault) -> None:
    state.stats.fault(fault.value)
    logger.info("injecting %s into POST %s", fault.value, INVOICES_PATH)


def _injected_error(state: EmulatorState, fault: Fault, server_status: int) -> _Answer:
    retry_after = {"retry-after-ms": str(state.faults.faults.retry_after_ms)}
    if fault is Fault.RATE_LIMITED:
        return _error_answer(429, "rate_limit_error", "injected rate limit", headers=retry_after)
    # A 503 says "come back soon", so it carries a retry-after; a 500 leaves the client to
    # its own backoff. That way both of the client's delay paths get exercised.
    headers = retry_after if server_status == 503 else None
    return _error_answer(server_status, "api_error", "injected server error", headers=headers)


def _validate_and_store(state: EmulatorState, client: EmulatorClient, raw: bytes) -> _Answer:
    try:
        body = _json.loads(raw)
    except ValueError:
        return _error_answer(400, "invalid_request_error", "the request body is not valid JSON")
    if not isinstance(body, dict):
        return _error_answer(
            400, "invalid_request_error", f"the request body must be a JSON object, got {type(body).__name__}"
        )
    try:
        # On the wire an amount is always a string: the int convenience is the SDK's.
        params = validate_invoice(python_names(body), int_amounts=False)
    except ValidationError as exc:
        errors = [{"path": error.path, "message": error.message} for error in exc.errors]
        return _error_answer(400, "validation_error", str(exc), errors=errors)

    outcome, answer = state.store.create(client.workspace_id, params)
    logger.debug("invoice %r in workspace %r: %s", params.invoice_id, client.workspace_id, outcome.name.lower())
    if outcome is Outcome.CONFLICT:
        return _error_answer(
            409,
            "conflict",
            f"invoice {params.invoice_id!r} already exists with different content",
            # A different invoice under a taken ID stays different: retrying cannot help.
            headers={"x-should-retry": "false"},
        )
    return _Answer(outcome.value, answer)
