"""`make bench`: run every benchmarks/bench_*.py module's `main()` in turn.

Each benchmark measures our code and a peer in the same run and prints the ratio, so numbers
are comparable on whatever machine runs them. `python -m benchmarks NAME...` runs a subset.
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    names = sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
    wanted = [n if n.startswith("bench_") else f"bench_{n}" for n in argv]
    if wanted:
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(names)}")
            return 2
        names = wanted
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        start = time.perf_counter()
        importlib.import_module(f"benchmarks.{name}").main()
        print(f"--- {name} took {time.perf_counter() - start:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
