"""What ``roles.create`` sends."""

from __future__ import annotations

import attrs

from ._model import Model

__all__ = ["RoleCreateParams"]


@attrs.frozen
class RoleCreateParams(Model):
    """The arguments of one ``roles.create`` call, as a value.

    .. versionadded:: 0.2.0
    """

    role: str
    """The role's name."""
