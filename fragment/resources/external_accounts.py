"""The external accounts resource: ``client.external_accounts``."""

from __future__ import annotations

from typing import Unpack

from .. import _operation as declare
from .. import types

__all__ = ["ExternalAccounts"]


class ExternalAccounts(declare.Resource[declare.ModeT]):
    """External account operations (``client.external_accounts``): the bank or processor accounts money moves on.

    .. versionadded:: 0.2.0
    """

    with_raw_response: declare.RawView[ExternalAccounts[declare.AsyncRaw], ExternalAccounts[declare.BlockingRaw]] = (
        declare.RawView()
    )

    @declare.operation(
        "POST",
        "/external-accounts",
        body=types.ExternalAccountCreateParams,
        response=types.ExternalAccountCreateResponse,
    )
    def create(self, *, external_id: str, name: str, **options: Unpack[declare.RequestOptions]) -> None:
        """Create an external account.

        :param external_id: your system's ID for the account.
        :param name: a human-readable name.
        :raises ValidationError: a field is empty or not a string; nothing was sent.
        :raises ConflictError: an account with this external ID exists.
        """

    create_many, create_many_iter = declare.batches(create, types.ExternalAccountCreateParams, key="external_id")

    @declare.operation("GET", "/external-accounts", response=types.ExternalAccountListResponse)
    def list(self, **options: Unpack[declare.RequestOptions]) -> None:
        """List every external account of the workspace."""
