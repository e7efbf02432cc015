"""Raw responses: an operation's HTTP answer with its status, headers and timing, parsed on demand.

``client.invoices.with_raw_response.create(...)`` (and ``client.with_raw_response.invoices.create``)
runs the very same pipeline as ``client.invoices.create``; it returns a :class:`RawResponse`
instead of the model. Errors are raised exactly as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

if TYPE_CHECKING:
    from ._client import AsyncFragment
    from ._operation import AsyncRaw, BlockingRaw, Runner
    from .resources.external_accounts import ExternalAccounts
    from .resources.invoices import Invoices
    from .resources.products import Products
    from .resources.roles import Roles
    from .resources.transactions import Transactions
    from .resources.users import Users

__all__ = ["AsyncRawClient", "BlockingRawClient", "RawResponse"]

R = TypeVar("R")


@attrs.frozen
class RawResponse(Generic[R]):
    """The HTTP answer to one operation, and the way to its model.

    It holds what the API sent (status, headers, body) and how the call went (retries,
    elapsed time); never a request header, so never a secret.

    .. versionadded:: 0.2.0
    """

    status_code: int
    """The HTTP status of the answer."""
    headers: Mapping[str, str]
    """The answer's headers, case-insensitive: a request ID for a support ticket, rate-limit headers."""
    content: bytes = attrs.field(repr=False)
    """The answer's body, as received."""
    method: str
    """The request's method."""
    url: str
    """The request's URL (percent-encoded, with its query)."""
    retries: int
    """How many times the request was sent again before this answer (0: the first try)."""
    elapsed: timedelta
    """From the first send of the call to this answer, retries and their waits included."""
    _parse: Callable[[], R] = attrs.field(repr=False, alias="parse")

    def parse(self) -> R:
        """The answer as the operation's model (what the call without ``with_raw_response`` returns).

        :raises APIResponseValidationError: the body is not the documented shape.
        """
        return self._parse()


class _RawClient:
    """Every resource of a client, as its ``with_raw_response`` view."""

    def __init__(self, client: AsyncFragment, runner: Runner | None) -> None:
        from .resources import RESOURCES

        for name, resource in RESOURCES.items():
            setattr(self, name, resource(client, runner, raw=True))


class AsyncRawClient(_RawClient):
    """``AsyncFragment.with_raw_response``: each operation returns a :class:`RawResponse`.

    .. versionadded:: 0.2.0
    """

    invoices: Invoices[AsyncRaw]
    products: Products[AsyncRaw]
    roles: Roles[AsyncRaw]
    users: Users[AsyncRaw]
    external_accounts: ExternalAccounts[AsyncRaw]
    transactions: Transactions[AsyncRaw]


class BlockingRawClient(_RawClient):
    """``Fragment.with_raw_response``: each operation returns a :class:`RawResponse`.

    .. versionadded:: 0.2.0
    """

    invoices: Invoices[BlockingRaw]
    products: Products[BlockingRaw]
    roles: Roles[BlockingRaw]
    users: Users[BlockingRaw]
    external_accounts: ExternalAccounts[BlockingRaw]
    transactions: Transactions[BlockingRaw]


def raw_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    method: str,
    url: str,
    retries: int,
    elapsed: float,
    parse: Callable[[], Any],
) -> RawResponse[Any]:
    """Build a :class:`RawResponse` (the pipeline's single place for it)."""
    return RawResponse(status, headers, body, method, url, retries, timedelta(seconds=elapsed), parse)
