"""The admin surface, for tests only: inspect stored invoices and counters, reset state.

It lives under ``/_emulator/``, away from the API's paths, and is not counted in the stats.
The real API has nothing like it, so code under test must never depend on it.
"""

from __future__ import annotations

from aiohttp import web

from .. import _json
from ._state import STATE

__all__ = ["ADMIN_PREFIX", "make_admin_app"]

ADMIN_PREFIX = "/_emulator/"


def make_admin_app() -> web.Application:
    """The admin application, mounted under :data:`ADMIN_PREFIX` by the API application."""
    app = web.Application()
    app.router.add_get("/invoices", _invoices)
    app.router.add_get("/stats", _stats)
    app.router.add_post("/reset", _reset)
    return app


def _json_response(body: object) -> web.Response:
    return web.Response(body=_json.dumps(body), content_type="application/json")


async def _invoices(request: web.Request) -> web.Response:
    """``GET /_emulator/invoices[?workspace_id=ws]``: ``{"data": [invoice, ...]}``."""
    workspace_id = request.query.get("workspace_id") or None
    return _json_response({"data": request.config_dict[STATE].store.invoices(workspace_id)})


async def _stats(request: web.Request) -> web.Response:
    """``GET /_emulator/stats``: the counters, as :meth:`Stats.to_dict` gives them."""
    return _json_response(request.config_dict[STATE].stats.snapshot().to_dict())


async def _reset(request: web.Request) -> web.Response:
    """``POST /_emulator/reset``: clear invoices and counters; answers 204."""
    request.config_dict[STATE].reset()
    return web.Response(status=204)
