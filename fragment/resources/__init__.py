"""One module per API resource; each operation is one declaration, written once for both clients."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._operation import Resource
from .invoices import Invoices

__all__ = ["RESOURCES", "Invoices"]

RESOURCES: Mapping[str, type[Resource[Any]]] = {
    "invoices": Invoices,
}
"""Every resource, by its attribute name on the clients."""
