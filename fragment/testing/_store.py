"""The emulator's data: one :class:`Workspace` per client workspace, behind one lock."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TypeVar

from ._workspace import Identified, Table, Workspace, new_order

__all__ = ["Store"]

R = TypeVar("R", bound=Identified)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _random_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


class Store:
    """Every workspace's resources; thread safe.

    The server's handlers change it from the server's loop, and tests read it from their
    own thread, so every access holds the lock. Workspaces never see each other: a request
    only ever opens its client's workspace.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] = _utc_now,
        new_id: Callable[[str], str] = _random_id,
    ) -> None:
        self._clock = clock
        self._new_id = new_id
        self._lock = threading.Lock()
        self._order = new_order()
        self._workspaces: dict[str, Workspace] = {}

    @contextlib.contextmanager
    def open(self, workspace_id: str) -> Iterator[Workspace]:
        """Hold the lock and give the workspace (created empty on first use)."""
        with self._lock:
            workspace = self._workspaces.get(workspace_id)
            if workspace is None:
                workspace = Workspace(workspace_id, clock=self._clock, new_id=self._new_id, order=self._order)
                self._workspaces[workspace_id] = workspace
            yield workspace

    def records(self, table: Callable[[Workspace], Table[R]], workspace_id: str | None = None) -> list[R]:
        """The records of one kind (``table`` picks it) in creation order; every workspace's when None."""
        with self._lock:
            chosen = [
                workspace
                for workspace in self._workspaces.values()
                if workspace_id is None or workspace.id == workspace_id
            ]
            numbered = [entry for workspace in chosen for entry in table(workspace).numbered()]
        return [record for _, record in sorted(numbered, key=lambda entry: entry[0])]

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._workspaces.clear()
