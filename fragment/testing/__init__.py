"""A local Fragment emulator for tests and demos: ``fragment.testing``.

It serves the token endpoint and all 18 operations of the API over a real socket, statefully
and per workspace, with the client's own validation, idempotent creates, versioned updates,
invoice balances from transactions' allocations, and seeded fault injection::

    from fragment import AsyncFragment
    from fragment.testing import Emulator, Faults

    async with Emulator(faults=Faults(server_error=0.2)) as emu:
        async with AsyncFragment(**emu.client_options(), max_retries=5) as client:
            await client.invoices.create(invoice_id="inv_1", line_items=[...])
        assert len(emu.invoices()) == 1

Importing ``fragment`` never imports this package (nor ``aiohttp.web``).
"""

from ._config import EmulatorClient, Faults, RateLimit
from ._mock_transport import MockTransport, answer
from ._server import ClientOptions, Emulator
from ._stats import Stats
from ._switch import instant_retries, set_instant_retries

__all__ = [
    "ClientOptions",
    "Emulator",
    "EmulatorClient",
    "Faults",
    "MockTransport",
    "RateLimit",
    "Stats",
    "answer",
    "instant_retries",
    "set_instant_retries",
]
