"""What ``users.create`` sends."""

from __future__ import annotations

import attrs

from ._model import Model

__all__ = ["UserCreateParams"]


@attrs.frozen
class UserCreateParams(Model):
    """The arguments of one ``users.create`` call, as a value.

    .. versionadded:: 0.2.0
    """

    external_id: str
    """Your system's ID for the user."""
    role: str
    """The name of an existing role."""
