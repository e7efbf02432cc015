"""The benchmark of SPEC section 9, run by ``nox -s bench``.

Starts the fixed-answer server in its own process, runs every contender in its own process,
interleaved over several rounds, and prints medians as invoices/s and as ratios to the
floor (bare aiohttp). Then the memory bound of ``create_many_iter``, the import cost, and
the capacity table (``capacity.py``): how much of a rate limit adaptive batches use against
an emulator with latency, alone and four at once.

Usage: ``python tests/bench/run.py [--rounds N] [--count N] [--sequential N] [--rss-count N]
[--capacity-seconds S] [--only throughput|capacity]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
from pathlib import Path

from capacity import Outcome, Scenario, run_scenario

HERE = Path(__file__).parent
CONCURRENT = ["floor", "floor_warm", "async_create_many", "async_create_many_adaptive", "sync_create_many"]
SEQUENTIAL = ["async_create_sequential", "sync_create_sequential"]
CAPACITY = [(0.005, 2000.0, 1), (0.05, 500.0, 1), (0.2, 50.0, 1), (0.05, 500.0, 4)]
"""(latency in seconds, rate limit per second, processes) of each capacity scenario."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_contender(name: str, count: int, port: int, checkout: Path | None = None) -> dict[str, float]:
    """Run one contender in its own process: this checkout's, or ``checkout``'s (compare.py)."""
    env = {**os.environ, "FRAGMENT_LOG": ""}
    script = HERE / "contenders.py"
    if checkout is not None:
        env["PYTHONPATH"] = str(checkout)
        script = checkout / "tests" / "bench" / "contenders.py"
    output = subprocess.run(
        [sys.executable, str(script), name, str(count), str(port)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=checkout,
        timeout=600,
    ).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


def import_cost() -> tuple[float, list[str]]:
    code = (
        "import sys, time; before = set(sys.modules); t = time.perf_counter(); import fragment; "
        "elapsed = time.perf_counter() - t; new = sorted(m for m in set(sys.modules) - before "
        "if m.split('.')[0] in {'fragment', 'aiohttp', 'anyio', 'attrs', 'cattrs', 'orjson', 'tqdm'}); "
        "import json; print(json.dumps([elapsed, new]))"
    )
    elapsed, modules = json.loads(
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    )
    return elapsed, modules


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--count", type=int, default=20000, help="invoices per concurrent contender and round")
    parser.add_argument("--sequential", type=int, default=2000, help="invoices per sequential contender and round")
    parser.add_argument("--rss-count", type=int, default=100_000)
    parser.add_argument("--capacity-seconds", type=float, default=30.0, help="seconds of each capacity scenario")
    parser.add_argument("--only", choices=["throughput", "capacity"])
    args = parser.parse_args()

    if args.only != "capacity":
        throughput(args)
    if args.only != "throughput":
        capacity(args.capacity_seconds)


def capacity(seconds: float) -> None:
    outcomes: list[Outcome] = []
    for latency, rate, processes in CAPACITY:
        # The slowest scenario gets more time: at 50/s, 30 s hold only 1,500 answers.
        scenario = Scenario(latency, rate, processes, seconds * (2 if rate < 100 else 1))
        outcomes.append(run_scenario(scenario, free_port()))
        print(f"capacity scenario {len(outcomes)}/{len(CAPACITY)} done", file=sys.stderr)
    print("\nCapacity: adaptive create_many_iter (default settings) against the emulator with a latency")
    print("(jitter: a tenth of it) and a token bucket per workspace (bursts of a tenth of a second):\n")
    print(
        "| latency | limit | processes | share of the limit | 429 share | failed | time | per process, of fair share |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    for outcome in outcomes:
        scenario = outcome.scenario
        per = ", ".join(f"{share:.2f}" for share in outcome.per_process) if scenario.processes > 1 else ""
        print(
            f"| {scenario.latency * 1000:.0f} ms | {scenario.rate:,.0f}/s | {scenario.processes} "
            f"| {outcome.share:.3f} | {outcome.throttled_share:.2%} | {outcome.failed} "
            f"| {outcome.elapsed:.1f} s | {per} |"
        )
    print("\ntargets: one process >= 0.95 with <= 2% 429s; four together >= 0.90 with <= 5% 429s,")
    print("none below 0.5 of its fair share")


def throughput(args: argparse.Namespace) -> None:
    port = free_port()
    server = subprocess.Popen([sys.executable, str(HERE / "server.py"), str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        rates: dict[str, list[float]] = {name: [] for name in CONCURRENT + SEQUENTIAL}
        for round_number in range(args.rounds):
            # Rotate the order each round so no contender always runs first (or last).
            turn = round_number % len(CONCURRENT)
            order = CONCURRENT[turn:] + CONCURRENT[:turn] + SEQUENTIAL
            for name in order:
                count = args.count if name in CONCURRENT else args.sequential
                rates[name].append(run_contender(name, count, port)["rate"])
            print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr)
        rss = run_contender("iter_rss", args.rss_count, port)
    finally:
        server.terminate()
        server.wait()

    medians = {name: statistics.median(values) for name, values in rates.items()}
    floor = medians["floor"]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"
    print(f"\nmachine: {machine}")
    print(f"medians of {args.rounds} rounds; {args.count} invoices per concurrent run, ", end="")
    print(f"{args.sequential} per sequential run\n")
    print(f"| {'contender':<44} | {'invoices/s':>10} | {'ratio':>14} | target |")
    print(f"|{'-' * 46}|{'-' * 12}|{'-' * 16}|--------|")
    warm = medians["floor_warm"]
    rows = [
        ("floor: bare aiohttp, concurrency 64", medians["floor"], "1.00 of floor", "1.0"),
        ("floor, with the SDK's allocator warm-up", warm, f"{warm / floor:.2f} of floor", ""),
        (
            "AsyncFragment.create_many, concurrency 64",
            medians["async_create_many"],
            f"{medians['async_create_many'] / floor:.2f} of floor",
            ">= 0.8",
        ),
        (
            "  the same, against the warm floor",
            medians["async_create_many"],
            f"{medians['async_create_many'] / warm:.2f} of warm",
            "",
        ),
        (
            "AsyncFragment.create_many, adaptive (default)",
            medians["async_create_many_adaptive"],
            f"{medians['async_create_many_adaptive'] / floor:.2f} of floor",
            "",
        ),
        (
            "Fragment.create_many, concurrency 64",
            medians["sync_create_many"],
            f"{medians['sync_create_many'] / medians['async_create_many']:.2f} of async",
            ">= 0.9",
        ),
        ("AsyncFragment.create, sequential", medians["async_create_sequential"], "", ""),
        (
            "Fragment.create, sequential",
            medians["sync_create_sequential"],
            f"{medians['sync_create_sequential'] / medians['async_create_sequential']:.2f} of async",
            "",
        ),
    ]
    for label, rate, ratio, target in rows:
        print(f"| {label:<44} | {rate:>10,.0f} | {ratio:>14} | {target:>6} |")
    hop = 1e6 / medians["sync_create_sequential"] - 1e6 / medians["async_create_sequential"]
    print(f"\nportal hop overhead per sequential call: {hop:,.0f} µs")
    growth = rss["rss_growth_mb"]
    print(f"create_many_iter over {args.rss_count:,} invoices: peak RSS growth {growth:.1f} MB (target <= 30 MB)")
    elapsed, modules = import_cost()
    print(f"import fragment: {elapsed * 1000:.0f} ms; loads {len(modules)} modules of note")
    heavy = [
        m for m in modules if m.split(".")[:2] in (["fragment", "_cli"], ["fragment", "testing"], ["aiohttp", "web"])
    ]
    print(f"CLI, emulator or aiohttp.web imported by `import fragment`: {heavy or 'none'}")


if __name__ == "__main__":
    main()
