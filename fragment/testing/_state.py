"""What the emulator's handlers share: tokens, store, counters and fault generators."""

from __future__ import annotations

import asyncio

import attrs
from aiohttp import web

from ._faults import FaultInjector, Latency, WorkspaceBuckets
from ._stats import StatsRecorder
from ._store import Store
from ._tokens import TokenIssuer

__all__ = ["STATE", "EmulatorState"]


@attrs.define
class EmulatorState:
    """The emulator's state; every part a test's thread may touch is thread safe."""

    tokens: TokenIssuer
    store: Store
    stats: StatsRecorder
    faults: FaultInjector
    buckets: WorkspaceBuckets | None = None
    """The rate limit, one token bucket per workspace; None for no limit."""
    latency: Latency | None = None
    """How long each API answer waits before it is sent; None for at once."""
    closing: asyncio.Event = attrs.field(factory=asyncio.Event)
    """Set when the server shuts down, so that slow answers stop waiting (server loop only)."""

    def reset(self) -> None:
        """Forget every stored resource and count, and restart the faults from their seed.

        Issued tokens stay valid: clients keep theirs across a reset.
        """
        self.store.clear()
        self.stats.reset()
        self.faults.reset()
        if self.buckets is not None:
            self.buckets.reset()


STATE = web.AppKey("fragment_emulator_state", EmulatorState)
"""Where the applications keep the state."""
