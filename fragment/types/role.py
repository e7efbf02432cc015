"""A role as the API returns it (``buyer``, ``seller``, ...): what users are and products name."""

from __future__ import annotations

import attrs

from ._model import Model

__all__ = ["Role"]


@attrs.frozen
class Role(Model):
    """A role of the workspace.

    .. versionadded:: 0.2.0
    """

    id: str
    """The role's ID, assigned by the API."""
    role: str
    """The role's name."""
