"""A user (a party to invoices) as the API returns it."""

from __future__ import annotations

import attrs

from ._model import Model

__all__ = ["User"]


@attrs.frozen
class User(Model):
    """A user of the workspace.

    .. versionadded:: 0.2.0
    """

    id: str
    """The user's ID, assigned by the API."""
    external_id: str
    """Your system's ID for the user; line items refer to users by it."""
    role: str
    """The name of the user's role."""
