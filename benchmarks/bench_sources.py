"""Sharded sources: `crossthink-data sources --tasks 2 --workers 2` against `--tasks 1`, 100k rows.

Input: a 100,000-row MMLU auxiliary_train copy in the adapter's upstream layout (headerless CSV
files, ``science_elementary.csv`` 80k rows and ``science_middle.csv`` 20k: uneven files, so the
split has to cut inside a file), built by cycling the real rows of
``../shared/data/training_standins/mmlu_auxiliary_train`` (1,218 rows; the 8 of
``tests/data/sources`` without ../shared) with a variant number appended to each question so
every row is distinct.
Both runs go through ``run_source`` (records, mcq and open configs, each a datatrove local
executor), so the figure includes process start-up and the reads each task does to find its block.
They must write exactly the same rows (task files read in rank order). Rounds alternate; the best
round of each is reported, with every round's figures and the load average (the machine is shared).
Target (issue 10, item 3): >= 1.6x on 2 cores.
"""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
import time
from itertools import cycle, islice
from pathlib import Path

import pyarrow.parquet as pq

from crossthink_data.sources.pipeline import CONFIGS, parquet_files, run_source

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data" / "training_standins" / "mmlu_auxiliary_train"
LOCAL = REPO / "tests" / "data" / "sources" / "mmlu_auxiliary_train"
FILES = {"science_elementary.csv": 80_000, "science_middle.csv": 20_000}
ROUNDS = 3


def write_source(folder: Path) -> int:
    """The 100k-row local copy (upstream CSV layout) under ``folder``; returns the real rows cycled."""
    real = SHARED if SHARED.is_dir() else LOCAL
    rows = [
        row for path in sorted(real.glob("*.csv")) for row in csv.reader(path.open(encoding="utf-8")) if row
    ]
    variants = enumerate(cycle(rows))
    for name, count in FILES.items():
        with (folder / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            for index, (question, *rest) in islice(variants, count):
                writer.writerow([f"{question} (variant {index})", *rest])
    return len(rows)


def written(work: Path) -> dict[str, list[dict]]:
    """Every config's rows, task files in rank order."""
    return {
        config: [
            row
            for path in parquet_files(work, "mmlu_train", config)
            for row in pq.read_table(path).to_pylist()
        ]
        for config in CONFIGS
    }


def timed(source: Path, work: Path, tasks: int, workers: int) -> float:
    # datatrove logs every task to stderr (its workers inherit this process's sys.stderr): keep the figures readable
    with open(os.devnull, "w") as sink, contextlib.redirect_stderr(sink):
        start = time.perf_counter()
        run_source("mmlu_train", work, from_dir=str(source), tasks=tasks, workers=workers)
        return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        source = scratch / "mmlu_auxiliary_train"
        source.mkdir()
        real = write_source(source)
        total = sum(FILES.values())
        print(
            f"input: {total:,} MMLU auxiliary_train rows (cycled from {real:,} real rows), configs {CONFIGS}"
        )
        times: dict[str, list[float]] = {"tasks=1": [], "tasks=2 workers=2": []}
        for round_ in range(ROUNDS):
            load = os.getloadavg()[0]
            one = timed(source, scratch / f"one{round_}", tasks=1, workers=1)
            two = timed(source, scratch / f"two{round_}", tasks=2, workers=2)
            times["tasks=1"].append(one)
            times["tasks=2 workers=2"].append(two)
            print(
                f"round {round_ + 1}: tasks=1 {one:6.1f} s, tasks=2 workers=2 {two:6.1f} s (load avg {load:.1f})"
            )
        identical = written(scratch / "one0") == written(scratch / "two0")
        kept = {config: len(rows) for config, rows in written(scratch / "one0").items()}
    best_one, best_two = min(times["tasks=1"]), min(times["tasks=2 workers=2"])
    print(f"tasks=1:           {total / best_one:8.0f} rows/s ({best_one:.1f} s, best of {ROUNDS})")
    print(f"tasks=2 workers=2: {total / best_two:8.0f} rows/s ({best_two:.1f} s, best of {ROUNDS})")
    print(f"rows kept per config: {kept}; identical rows, ids and order: {identical}")
    print(f"speed-up tasks=2/tasks=1: {best_one / best_two:.2f}x on {os.cpu_count()} cores (target >= 1.6x)")


if __name__ == "__main__":
    main()
