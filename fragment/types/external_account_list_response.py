"""What ``external_accounts.list`` returns."""

from __future__ import annotations

import attrs

from ._model import Model
from .external_account import ExternalAccount

__all__ = ["ExternalAccountListResponse"]


@attrs.frozen
class ExternalAccountListResponse(Model):
    """The answer to ``external_accounts.list``: every external account of the workspace.

    .. versionadded:: 0.2.0
    """

    data: list[ExternalAccount]
    """The workspace's external accounts."""
