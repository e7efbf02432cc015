"""The API side of the emulator: the aiohttp.web application and the path every request takes.

An API request goes through, in this order:

1. routing: an unknown path is a JSON 404, a known path with another method a JSON 405;
2. authentication: without a valid, unexpired bearer token the answer is 401, before any
   fault is drawn or any rate-limit token taken;
3. the body is read whole (at most :data:`MAX_BODY_BYTES`, else a JSON 413);
4. faults are drawn, then the rate limit is applied, then a fault drawn before the store;
5. the operation's handler answers (validation, the store's rules);
6. a successful answer may still be lost (reset after commit) or delayed (slow);
7. every answer then waits out the emulator's latency, if it has one (the token endpoint
   answers at once: a client fetches a token once an hour, not once a request).

Only answers sent are counted in the stats, under the route's path template.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from .. import _json
from ._admin import ADMIN_PREFIX, make_admin_app
from ._answers import Answer, error_answer
from ._faults import Fault, retry_after_ms
from ._routes import ROUTES, Route
from ._state import STATE, EmulatorState

__all__ = ["MAX_BODY_BYTES", "TOKEN_PATH", "make_app"]

logger = logging.getLogger("fragment.testing")

TOKEN_PATH = "/oauth2/token"
MAX_BODY_BYTES = 1024 * 1024
"""The largest request body accepted (1 MiB, aiohttp's default); a larger one gets 413."""

_UNAUTHENTICATED = error_answer(
    401,
    "authentication_error",
    "a valid, unexpired bearer token is required",
    headers={"WWW-Authenticate": 'Bearer realm="fragment-emulator"'},
)
_TOO_LARGE = error_answer(
    413, "request_too_large", f"the request body is larger than the emulator's limit of {MAX_BODY_BYTES} bytes"
)


def make_app(state: EmulatorState) -> web.Application:
    """The emulator's application: the API's endpoints, plus the admin surface under ``/_emulator/``."""
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[_json_routing_errors])
    app[STATE] = state
    app.router.add_post(TOKEN_PATH, _token)
    for route in ROUTES:
        app.router.add_route(route.method, route.path, _handler(route))
    app.add_subapp(ADMIN_PREFIX, make_admin_app())
    app.on_shutdown.append(_wake_slow_answers)
    return app


async def _wake_slow_answers(app: web.Application) -> None:
    app[STATE].closing.set()


@web.middleware
async def _json_routing_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Answer the router's 404 and 405 in JSON, like every other error."""
    try:
        return await handler(request)
    except web.HTTPMethodNotAllowed as exc:
        allowed = ", ".join(sorted(exc.allowed_methods))
        message = f"{request.method} is not allowed on {request.path}; allowed: {allowed}"
        return _response(error_answer(405, "method_not_allowed", message, headers={"Allow": allowed}))
    except web.HTTPNotFound:
        return _response(error_answer(404, "not_found", f"no endpoint {request.method} {request.path}"))


def _response(answer: Answer) -> web.Response:
    return web.Response(body=answer.body, status=answer.status, content_type="application/json", headers=answer.headers)


def _send(state: EmulatorState, path: str, answer: Answer) -> web.Response:
    state.stats.answer(path, answer.status)
    return _response(answer)


def _drop_connection(request: web.Request) -> web.StreamResponse:
    """Close the connection without answering: the client sees the server disconnect.

    The returned response is never sent: aiohttp finds the transport closing, treats it as
    a client that went away and writes nothing (raising from the handler instead would make
    aiohttp log an error and try to answer 500).
    """
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=500)


# --- the token endpoint --------------------------------------------------------------------


async def _token(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    return _send(state, TOKEN_PATH, await _token_answer(state, request))


async def _token_answer(state: EmulatorState, request: web.Request) -> Answer:
    client = state.tokens.authenticate(request.headers.get("Authorization"))
    if client is None:
        return error_answer(
            401,
            "invalid_client",
            "client authentication failed: unknown client, wrong secret or no HTTP Basic credentials",
            headers={"WWW-Authenticate": 'Basic realm="fragment-emulator"'},
        )
    try:
        form = await request.post()
    except web.HTTPRequestEntityTooLarge:
        return _TOO_LARGE
    grant_type = form.get("grant_type")
    if grant_type != "client_credentials":
        return error_answer(
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
    return Answer(200, _json.dumps(body), {"Cache-Control": "no-store"})


# --- the API's operations ------------------------------------------------------------------


def _handler(route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        response = await _serve(request, route)
        latency = request.app[STATE].latency
        if latency is not None and request.transport is not None and not request.transport.is_closing():
            # A sleep, not a block: other requests are served meanwhile, as by a real API.
            await asyncio.sleep(latency.draw())
        return response

    handle.__name__ = route.operation
    return handle


async def _serve(request: web.Request, route: Route) -> web.StreamResponse:
    state = request.app[STATE]
    client = state.tokens.client_for(request.headers.get("Authorization"))
    if client is None:
        return _send(state, route.path, _UNAUTHENTICATED)
    try:
        # Read the whole body first: closing a socket with unread data would send an RST
        # rather than the orderly close a reset fault is meant to produce.
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _send(state, route.path, _TOO_LARGE)
    # Drawn even when throttled: the faults then depend only on the order of requests.
    draw = state.faults.draw()

    throttled = _throttled(state, client.workspace_id)
    if throttled is not None:
        return _send(state, route.path, throttled)
    if draw.before_commit is not None:
        _count_fault(state, draw.before_commit, route)
        if draw.before_commit is Fault.RESET_BEFORE_COMMIT:
            return _drop_connection(request)
        return _send(state, route.path, _injected_error(state, draw.before_commit, draw.server_status))

    answer = route.respond(state.store, client.workspace_id, request.raw_path, request.query, body)
    logger.debug("%s in workspace %r: %d", route.operation, client.workspace_id, answer.status)
    if answer.status >= 300:
        return _send(state, route.path, answer)  # nothing changed: there is no answer to lose
    if draw.reset_after_commit:
        _count_fault(state, Fault.RESET_AFTER_COMMIT, route)
        return _drop_connection(request)
    if draw.slow:
        _count_fault(state, Fault.SLOW, route)
        # Waiting on the shutdown event rather than sleeping lets the server stop at once.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(state.closing.wait(), timeout=state.faults.faults.slow_seconds)
    return _send(state, route.path, answer)


def _throttled(state: EmulatorState, workspace_id: str) -> Answer | None:
    """The 429 of the workspace's empty rate-limit bucket, or None when the request may pass."""
    if state.buckets is None:
        return None
    wait = state.buckets.take(workspace_id)
    if wait <= 0:
        return None
    state.stats.fault(Fault.THROTTLED.value)
    return error_answer(
        429, "rate_limit_error", "rate limit exceeded", headers={"retry-after-ms": retry_after_ms(wait)}
    )


def _count_fault(state: EmulatorState, fault: Fault, route: Route) -> None:
    state.stats.fault(fault.value)
    logger.info("injecting %s into %s %s", fault.value, route.method, route.path)


def _injected_error(state: EmulatorState, fault: Fault, server_status: int) -> Answer:
    retry_after = {"retry-after-ms": str(state.faults.faults.retry_after_ms)}
    if fault is Fault.RATE_LIMITED:
        return error_answer(429, "rate_limit_error", "injected rate limit", headers=retry_after)
    # A 503 says "come back soon", so it carries a retry-after; a 500 leaves the client to
    # its own backoff. That way both of the client's delay paths get exercised.
    headers = retry_after if server_status == 503 else None
    return error_answer(server_status, "api_error", "injected server error", headers=headers)
