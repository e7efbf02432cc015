"""One benchmark contender per process: ``python contenders.py NAME COUNT PORT`` prints JSON.

Every contender creates COUNT invoices against the fixed-answer server and reports
invoices per second; ``iter_rss`` reports the peak RSS growth of a 100,000-invoice
``create_many_iter`` instead.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
from workload import LINE_ITEM

CONCURRENCY = 64


def invoices(count: int) -> Iterator[dict[str, Any]]:
    return ({"invoice_id": f"invoice_{n}", "line_items": [LINE_ITEM]} for n in range(count))


def client_options(port: int) -> dict[str, Any]:
    base = f"http://127.0.0.1:{port}"
    return {"base_url": base, "token_url": f"{base}/oauth2/token", "client_id": "bench", "client_secret": "bench"}


async def floor(count: int, port: int) -> None:
    """Bare aiohttp: json.dumps bodies, json.loads answers, no models, no checks."""
    url = f"http://127.0.0.1:{port}/invoices"
    headers = {"Content-Type": "application/json", "Authorization": "Bearer bench-token"}
    source = iter(range(count))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:

        async def worker() -> None:
            for n in source:
                body = json.dumps({"invoiceId": f"invoice_{n}", "lineItems": [LINE_ITEM]})
                async with session.post(url, data=body, headers=headers) as response:
                    json.loads(await response.read())

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


async def floor_warm(count: int, port: int) -> None:
    """The floor, after the allocator warm-up that AiohttpTransport does when it opens a session.

    Without it, glibc maps and unmaps asyncio's 256 KiB read buffer for every answer (see
    ``_let_reads_reuse_memory`` in fragment/_transport.py): this floor shows what the SDK's
    own code costs when both read the same way.
    """
    bytearray(2 * 256 * 1024)
    await floor(count, port)


async def async_create_many(count: int, port: int) -> None:
    from fragment import AsyncFragment

    async with AsyncFragment(**client_options(port)) as client:
        results = await client.invoices.create_many(invoices(count), concurrency=CONCURRENCY)
    assert all(r.ok for r in results)


async def async_create_many_adaptive(count: int, port: int) -> None:
    from fragment import AsyncFragment

    async with AsyncFragment(**client_options(port)) as client:
        results = await client.invoices.create_many(invoices(count))
    assert all(r.ok for r in results)


def sync_create_many(count: int, port: int) -> None:
    from fragment import Fragment

    with Fragment(**client_options(port)) as client:
        results = client.invoices.create_many(invoices(count), concurrency=CONCURRENCY)
    assert all(r.ok for r in results)


async def async_create_sequential(count: int, port: int) -> None:
    from fragment import AsyncFragment

    async with AsyncFragment(**client_options(port)) as client:
        for item in invoices(count):
            await client.invoices.create(**item)


def sync_create_sequential(count: int, port: int) -> None:
    from fragment import Fragment

    with Fragment(**client_options(port)) as client:
        for item in invoices(count):
            client.invoices.create(**item)


async def iter_rss(count: int, port: int) -> dict[str, float]:
    """Peak RSS growth while streaming ``count`` invoices through create_many_iter."""
    from fragment import AsyncFragment

    async with AsyncFragment(**client_options(port)) as client:
        await client.invoices.create_many(invoices(200), concurrency=CONCURRENCY)  # warm up pools and caches
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        ok = 0
        async for result in client.invoices.create_many_iter(invoices(count), concurrency=CONCURRENCY):
            ok += result.ok
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert ok == count
    return {"rss_growth_mb": (peak - baseline) / 1024}


CONTENDERS: dict[str, Callable[[int, int], Any]] = {
    "floor": floor,
    "floor_warm": floor_warm,
    "async_create_many": async_create_many,
    "async_create_many_adaptive": async_create_many_adaptive,
    "sync_create_many": sync_create_many,
    "async_create_sequential": async_create_sequential,
    "sync_create_sequential": sync_create_sequential,
    "iter_rss": iter_rss,
}


def main() -> None:
    name, count, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    contender = CONTENDERS[name]
    started = time.perf_counter()
    outcome = asyncio.run(contender(count, port)) if asyncio.iscoroutinefunction(contender) else contender(count, port)
    elapsed = time.perf_counter() - started
    print(json.dumps({"name": name, "count": count, "seconds": elapsed, "rate": count / elapsed, **(outcome or {})}))


if __name__ == "__main__":
    main()
