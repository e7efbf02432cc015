"""What ``external_accounts.create`` returns."""

from __future__ import annotations

import attrs

from ._model import Model
from .external_account import ExternalAccount

__all__ = ["ExternalAccountCreateResponse"]


@attrs.frozen
class ExternalAccountCreateResponse(Model):
    """The answer to ``external_accounts.create``.

    .. versionadded:: 0.2.0
    """

    data: ExternalAccount
    """The created external account."""
