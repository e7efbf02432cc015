"""Compare this checkout's throughput with another checkout's, in one interleaved run.

Usage: ``python tests/bench/compare.py OTHER_CHECKOUT [--rounds N]``, for example after
``git worktree add /tmp/v0.1 8d65a16``. Each contender of each checkout runs in its own
process (its own ``tests/bench/contenders.py``, with ``PYTHONPATH`` set to that checkout),
against one fixed-answer server, alternating which checkout goes first each round. Both
trees are compiled first, so neither pays for compiling its modules inside a timed run.
Prints the medians and this checkout's ratio to the other.
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import subprocess
import sys
from pathlib import Path

from run import free_port, run_contender

HERE = Path(__file__).resolve().parent
THIS_CHECKOUT = HERE.parent.parent
CONTENDERS = [("floor", 20_000), ("async_create_many", 20_000), ("async_create_sequential", 4_000)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="another checkout of this repository")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    checkouts = {"other": args.other.resolve(), "this": THIS_CHECKOUT}
    for checkout in checkouts.values():
        compileall.compile_dir(checkout / "fragment", quiet=1)
    port = free_port()
    server = subprocess.Popen([sys.executable, str(HERE / "server.py"), str(port)], stdout=subprocess.PIPE, text=True)
    rates: dict[tuple[str, str], list[float]] = {}
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        for round_number in range(args.rounds):
            order = list(checkouts.items())[:: 1 if round_number % 2 == 0 else -1]
            for name, count in CONTENDERS:
                for label, checkout in order:
                    rates.setdefault((name, label), []).append(run_contender(name, count, port, checkout)["rate"])
            print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr)
    finally:
        server.terminate()
        server.wait()
    print("\n| contender | other | this | this / other |\n|---|---:|---:|---:|")
    for name, _ in CONTENDERS:
        other, this = (statistics.median(rates[(name, label)]) for label in ("other", "this"))
        print(f"| {name} | {other:,.0f}/s | {this:,.0f}/s | {this / other:.2f} |")


if __name__ == "__main__":
    main()
