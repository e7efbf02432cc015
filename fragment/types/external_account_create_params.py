"""What ``external_accounts.create`` sends."""

from __future__ import annotations

import attrs

from ._model import Model

__all__ = ["ExternalAccountCreateParams"]


@attrs.frozen
class ExternalAccountCreateParams(Model):
    """The arguments of one ``external_accounts.create`` call, as a value.

    .. versionadded:: 0.2.0
    """

    external_id: str
    """Your system's ID for the account."""
    name: str
    """A human-readable name."""
