"""The per-call cost of the blocking facade's portal hop.

Runs N sequential ``Fragment.invoices.create`` calls and N sequential awaits of
``AsyncFragment.invoices.create`` against one emulator (``python -m fragment.testing``, in its
own process so that it does not compete with the clients for the GIL), interleaved over
several rounds, and prints the median rate of each and the per-call difference.

Usage: ``python tests/bench/portal_overhead.py [--count 500] [--rounds 5]``
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fragment import AsyncFragment, Fragment
from fragment.testing import ClientOptions

LINE_ITEMS: list[dict[str, Any]] = [
    {
        "amount": "1000",
        "currency_code": "USD",
        "description": "Professional services for January 2026",
        "product_id": "prod_1234567890",
        "type": "payout",
        "user_id": "user_ext_456",
    }
]
_ids = itertools.count()


def next_id(kind: str) -> str:
    return f"{kind}_{next(_ids)}"


@contextmanager
def emulator_process() -> Iterator[ClientOptions]:
    """Start the emulator in a child process; yield the client options it printed."""
    env = {**os.environ, "FRAGMENT_LOG": ""}
    process = subprocess.Popen(
        [sys.executable, "-m", "fragment.testing", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        exported: dict[str, str] = {}
        while len(exported) < 4:
            line = process.stdout.readline()
            if not line:
                raise RuntimeError("the emulator exited before printing its address")
            name, _, value = line.removeprefix("export ").strip().partition("=")
            exported[name] = shlex.split(value)[0]
        yield ClientOptions(
            base_url=exported["FRAGMENT_BASE_URL"],
            token_url=exported["FRAGMENT_TOKEN_URL"],
            client_id=exported["FRAGMENT_CLIENT_ID"],
            client_secret=exported["FRAGMENT_CLIENT_SECRET"],
        )
    finally:
        process.terminate()
        process.wait()


def time_sync(client: Fragment, count: int) -> float:
    began = time.perf_counter()
    for _ in range(count):
        client.invoices.create(invoice_id=next_id("sync"), line_items=LINE_ITEMS)
    return time.perf_counter() - began


async def time_async(client: AsyncFragment, count: int) -> float:
    began = time.perf_counter()
    for _ in range(count):
        await client.invoices.create(invoice_id=next_id("async"), line_items=LINE_ITEMS)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=500, help="sequential creates per contender and round")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds; medians are printed")
    args = parser.parse_args()

    with emulator_process() as options:
        sync_client = Fragment(**options)
        async_client = AsyncFragment(**options)
        runner = asyncio.Runner()
        # Warm both up: the token, the pooled connection, the portal thread.
        sync_client.invoices.create(invoice_id=next_id("warm"), line_items=LINE_ITEMS)
        runner.run(async_client.invoices.create(invoice_id=next_id("warm"), line_items=LINE_ITEMS))
        sync_times: list[float] = []
        async_times: list[float] = []
        for _ in range(args.rounds):
            async_times.append(runner.run(time_async(async_client, args.count)))
            sync_times.append(time_sync(sync_client, args.count))
        runner.run(async_client.close())
        runner.close()
        sync_client.close()

    sync_seconds = statistics.median(sync_times)
    async_seconds = statistics.median(async_times)
    overhead_us = (sync_seconds - async_seconds) / args.count * 1e6
    print(f"python {sys.version.split()[0]}, {args.count} sequential creates x {args.rounds} rounds (medians)")
    for label, seconds in (("AsyncFragment awaits", async_seconds), ("Fragment (portal)", sync_seconds)):
        print(f"{label:<21}: {args.count / seconds:8.0f} invoices/s, {seconds / args.count * 1e6:7.1f} us/call")
    ratio = sync_seconds / async_seconds
    print(f"{'portal hop overhead':<21}: {overhead_us:+8.1f} us/call ({ratio:.2f}x the async time per call)")


if __name__ == "__main__":
    main()
