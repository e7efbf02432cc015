"""The base every model shares: export to plain dicts and JSON."""

from __future__ import annotations

from typing import Any


class Model:
    """Mixin giving frozen attrs models ``to_dict()`` and ``to_json()``.

    The wire mapping lives in :mod:`fragment._wire`; it is imported on call because the
    models must stay importable without cattrs being configured first.
    """

    __slots__ = ()

    def to_dict(self, *, use_api_names: bool = True) -> dict[str, Any]:
        """Return the model as JSON-ready built-in types.

        With ``use_api_names`` (the default) keys are the API's wire names
        (``invoiceId``, ``currencyCode``, ...); otherwise the Python attribute names.
        Datetimes become ISO-8601 strings; optional fields that are None are left out, as
        they are on the wire.
        """
        from .._wire import model_to_dict

        return model_to_dict(self, use_api_names=use_api_names)

    def to_json(self, *, use_api_names: bool = True, indent: int | None = 2) -> str:
        """Return the model as a JSON string (see :meth:`to_dict` for the keys)."""
        import json

        return json.dumps(self.to_dict(use_api_names=use_api_names), indent=indent)
