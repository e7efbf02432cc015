"""The admin surface, for tests only: inspect stored resources and counters, reset state.

It lives under ``/_emulator/``, away from the API's paths, and is not counted in the stats.
The real API has nothing like it, so code under test must never depend on it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from .. import _json
from ._render import KINDS, stored
from ._state import STATE

__all__ = ["ADMIN_PREFIX", "make_admin_app"]

ADMIN_PREFIX = "/_emulator/"


def make_admin_app() -> web.Application:
    """The admin application, mounted under :data:`ADMIN_PREFIX` by the API application."""
    app = web.Application()
    for kind in KINDS:
        # Spelled as the API spells the resource's path: /_emulator/external-accounts.
        app.router.add_get("/" + kind.replace("_", "-"), _stored(kind))
    app.router.add_get("/stats", _stats)
    app.router.add_post("/reset", _reset)
    return app


def _json_response(body: object) -> web.Response:
    return web.Response(body=_json.dumps(body), content_type="application/json")


def _stored(kind: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    """``GET /_emulator/<kind>[?workspace_id=ws]``: ``{"data": [resource, ...]}``, e.g. ``/_emulator/invoices``."""

    async def listing(request: web.Request) -> web.Response:
        workspace_id = request.query.get("workspace_id") or None
        return _json_response({"data": stored(request.config_dict[STATE].store, kind, workspace_id)})

    return listing


async def _stats(request: web.Request) -> web.Response:
    """``GET /_emulator/stats``: the counters, as :meth:`Stats.to_dict` gives them."""
    return _json_response(request.config_dict[STATE].stats.snapshot().to_dict())


async def _reset(request: web.Request) -> web.Response:
    """``POST /_emulator/reset``: forget every stored resource and count; answers 204."""
    request.config_dict[STATE].reset()
    return web.Response(status=204)
