"""The external accounts resource: ``client.external_accounts``."""

from __future__ import annotations

from typing import Unpack

from .._operation import (
    AsyncRaw,
    BlockingRaw,
    CreateMany,
    CreateManyIter,
    ModeT,
    RawView,
    RequestOptions,
    Resource,
    operation,
)
from ..types import ExternalAccountCreateParams, ExternalAccountCreateResponse, ExternalAccountListResponse

__all__ = ["ExternalAccounts"]


class ExternalAccounts(Resource[ModeT]):
    """External account operations (``client.external_accounts``): the bank or processor accounts money moves on.

    .. versionadded:: 0.2.0
    """

    with_raw_response: RawView[ExternalAccounts[AsyncRaw], ExternalAccounts[BlockingRaw]] = RawView()
    """The same operations, returning a :class:`~fragment.RawResponse` (status, headers, timing)."""

    @operation("POST", "/external-accounts", body=ExternalAccountCreateParams, response=ExternalAccountCreateResponse)
    def create(self, *, external_id: str, name: str, **options: Unpack[RequestOptions]) -> None:
        """Create an external account.

        :param external_id: your system's ID for the account.
        :param name: a human-readable name.
        :param options: :class:`~fragment.RequestOptions` for this request only.
        :raises ValidationError: a field is empty or not a string; nothing was sent.
        :raises ConflictError: an account with this external ID exists.
        :raises APIStatusError: any other error answer, after retries.
        :raises APIConnectionError: no answer, after retries.

        .. versionadded:: 0.2.0
        """

    create_many = CreateMany(create, ExternalAccountCreateParams, key="external_id")
    create_many_iter = CreateManyIter(create, ExternalAccountCreateParams, key="external_id")

    @operation("GET", "/external-accounts", response=ExternalAccountListResponse)
    def list(self, **options: Unpack[RequestOptions]) -> None:
        """List every external account of the workspace.

        :param options: :class:`~fragment.RequestOptions` for this request only.
        :raises APIStatusError: an error answer, after retries.
        :raises APIConnectionError: no answer, after retries.

        .. versionadded:: 0.2.0
        """
