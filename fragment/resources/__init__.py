"""One module per API resource; each operation is one declaration, written once for both clients."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._operation import Resource
from .external_accounts import ExternalAccounts
from .invoices import Invoices
from .products import Products
from .roles import Roles
from .transactions import Transactions
from .users import Users

__all__ = ["RESOURCES", "ExternalAccounts", "Invoices", "Products", "Roles", "Transactions", "Users"]

RESOURCES: Mapping[str, type[Resource[Any]]] = {
    "invoices": Invoices,
    "products": Products,
    "roles": Roles,
    "users": Users,
    "external_accounts": ExternalAccounts,
    "transactions": Transactions,
}
"""Every resource, by its attribute name on the clients."""
