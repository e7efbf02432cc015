"""The capacity benchmark: how much of a rate limit adaptive batches use, alone and four at once.

For each scenario an emulator runs in its own process with a latency (and a tenth of it as
seeded jitter) and a token-bucket rate limit per workspace (bursts of a tenth of a second's
tokens); one or four client processes, each a ``create_many_iter`` with default settings
(no ``concurrency``, ``max_retries`` 2) in the same workspace, create invoices for a fixed
time. The share of the limit is what they created over what the bucket allowed in that time
(``rate * seconds + burst``); the 429 share is the emulator's count of 429 answers over its
``POST /invoices`` requests.

Roles: ``capacity.py server PORT RATE LATENCY CLIENTS`` (prints ``ready``, then its stats as
JSON when its standard input closes) and ``capacity.py client PORT CLIENT_ID SECONDS``
(prints its counts as JSON). ``run.py`` drives them through :func:`run_scenario`.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
from workload import LINE_ITEM

HERE = Path(__file__).parent
WORKSPACE = "ws_bench"
SECRET = "bench-secret"


@attrs.frozen
class Scenario:
    latency: float
    rate: float
    processes: int
    seconds: float

    @property
    def burst(self) -> int:
        return max(1, int(self.rate / 10))


@attrs.frozen
class Outcome:
    scenario: Scenario
    elapsed: float
    created: list[int]
    failed: int
    throttled_share: float

    @property
    def capacity(self) -> float:
        return self.scenario.rate * self.elapsed + self.scenario.burst

    @property
    def share(self) -> float:
        return sum(self.created) / self.capacity

    @property
    def per_process(self) -> list[float]:
        """Each process's creations over its fair share of the capacity."""
        fair = self.capacity / self.scenario.processes
        return [mine / fair for mine in self.created]


def client_id(number: int) -> str:
    return f"bench-{number}"


def serve(port: int, rate: float, latency: float, clients: int) -> None:
    from fragment.testing import Emulator, EmulatorClient, Faults, RateLimit

    emulator = Emulator(
        port=port,
        clients=[EmulatorClient(client_id(number), SECRET, WORKSPACE) for number in range(clients)],
        rate_limit=RateLimit(rate, burst=max(1, int(rate / 10))),
        latency=latency,
        latency_jitter=latency / 10,
        faults=Faults(seed=1),
    )
    with emulator.in_thread():
        print("ready", flush=True)
        sys.stdin.read()  # until the runner closes it
        stats = emulator.stats
        requests = stats.requests.get("/invoices", 0)
        throttled = stats.status_count("/invoices", 429)
    print(json.dumps({"requests": requests, "throttled": throttled}), flush=True)


async def create_for(port: int, me: str, seconds: float) -> dict[str, Any]:
    from fragment import AsyncFragment

    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + seconds

    def invoices() -> Iterator[dict[str, Any]]:
        number = 0
        while time.monotonic() < deadline:
            yield {"invoice_id": f"{me}-{number}", "line_items": [LINE_ITEM]}
            number += 1

    created = failed = 0
    async with AsyncFragment(
        base_url=base, token_url=f"{base}/oauth2/token", client_id=me, client_secret=SECRET
    ) as client:
        await client.invoices.list()  # the token, before the clock starts to matter
        started = time.monotonic()
        async for result in client.invoices.create_many_iter(invoices()):
            created += result.ok
            failed += not result.ok
        elapsed = time.monotonic() - started
    return {"created": created, "failed": failed, "elapsed": elapsed}


def read_counts(client: subprocess.Popen[str], timeout: float) -> dict[str, Any]:
    output, _ = client.communicate(timeout=timeout)
    counts: dict[str, Any] = json.loads(output.splitlines()[-1])
    return counts


def run_scenario(scenario: Scenario, port: int) -> Outcome:
    """Run one scenario: the emulator, then its client processes all at once."""
    env = {**os.environ, "FRAGMENT_LOG": ""}
    server = subprocess.Popen(
        [sys.executable, __file__, "server", str(port), str(scenario.rate), str(scenario.latency), "4"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert server.stdin is not None and server.stdout is not None
    try:
        assert server.stdout.readline().strip() == "ready"
        clients = [
            subprocess.Popen(
                [sys.executable, __file__, "client", str(port), client_id(number), str(scenario.seconds)],
                stdout=subprocess.PIPE,
                text=True,
                env=env,
            )
            for number in range(scenario.processes)
        ]
        counts = [read_counts(client, scenario.seconds + 120) for client in clients]
        server.stdin.close()
        stats = json.loads(server.stdout.readline())
    finally:
        if server.poll() is None and not server.stdin.closed:
            server.kill()  # something above failed: do not leave the emulator running
        server.wait(timeout=30)
    return Outcome(
        scenario,
        elapsed=max(count["elapsed"] for count in counts),
        created=[count["created"] for count in counts],
        failed=sum(count["failed"] for count in counts),
        throttled_share=stats["throttled"] / max(stats["requests"], 1),
    )


def main() -> None:
    role, port = sys.argv[1], int(sys.argv[2])
    if role == "server":
        serve(port, float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
    else:
        print(json.dumps(asyncio.run(create_for(port, sys.argv[3], float(sys.argv[4])))))


if __name__ == "__main__":
    main()
