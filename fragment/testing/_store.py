"""The emulator's invoices, kept per workspace and idempotent by ``invoice_id``."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import attrs

from .. import _json
from .._wire import model_to_dict
from ..types import Data, DataLineItem, InvoiceCreateParams, InvoiceCreateResponse

__all__ = ["InvoiceStore", "Outcome"]


class Outcome(Enum):
    """What a create did to the store."""

    CREATED = 201
    REPLAYED = 200
    """The same invoice was already stored: answered with the stored one."""
    CONFLICT = 409
    """Another invoice with this ``invoice_id`` is stored: nothing changed."""


@attrs.frozen
class _Stored:
    params: InvoiceCreateParams
    answer: bytes
    """The JSON answer, encoded once: a replay answers byte for byte the same."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _line_item_id() -> str:
    return f"li_{uuid.uuid4().hex}"


class InvoiceStore:
    """Invoices keyed by ``(workspace_id, invoice_id)``; thread safe.

    Answers are built from the SDK's own models and wire converter, so the emulator and the
    client cannot disagree about wire names.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] = _utc_now,
        new_line_item_id: Callable[[], str] = _line_item_id,
    ) -> None:
        self._clock = clock
        self._new_line_item_id = new_line_item_id
        self._lock = threading.Lock()
        # A dict keeps insertion order, which is creation order across workspaces.
        self._invoices: dict[tuple[str, str], _Stored] = {}

    def create(self, workspace_id: str, params: InvoiceCreateParams) -> tuple[Outcome, bytes]:
        """Store ``params`` unless its ID is taken; return the outcome and the JSON answer.

        The answer of a conflict is empty: only the caller knows how to word the error.
        """
        key = (workspace_id, params.invoice_id)
        with self._lock:
            stored = self._invoices.get(key)
            if stored is not None:
                if stored.params == params:
                    return Outcome.REPLAYED, stored.answer
                return Outcome.CONFLICT, b""
            answer = _json.dumps(model_to_dict(self._answer(workspace_id, params)))
            self._invoices[key] = _Stored(params, answer)
            return Outcome.CREATED, answer

    def _answer(self, workspace_id: str, params: InvoiceCreateParams) -> InvoiceCreateResponse:
        now = self._clock()
        line_items = [
            DataLineItem(
                id=self._new_line_item_id(),
                amount=item.amount,
                currency_code=item.currency_code,
                description=item.description,
                product_id=item.product_id,
                type=item.type,
                user_id=item.user_id,
            )
            for item in params.line_items
        ]
        data = Data(
            id=params.invoice_id,
            created=now,
            status="active",
            version=1,
            workspace_id=workspace_id,
            line_items=line_items,
            modified=now,
        )
        return InvoiceCreateResponse(data=data)

    def invoices(self, workspace_id: str | None = None) -> list[dict[str, Any]]:
        """The stored invoices (the ``data`` objects, wire keys), in creation order.

        ``workspace_id=None`` lists every workspace. Each call returns fresh dicts.
        """
        with self._lock:
            answers = [
                stored.answer
                for (workspace, _), stored in self._invoices.items()
                if workspace_id is None or workspace == workspace_id
            ]
        return [_json.loads(answer)["data"] for answer in answers]

    def __len__(self) -> int:
        with self._lock:
            return len(self._invoices)

    def clear(self) -> None:
        """Forget every invoice."""
        with self._lock:
            self._invoices.clear()
