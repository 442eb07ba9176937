"""Build scaling: `crossthink-data build` on a synthetic pool of 10k, 100k and 1M source rows.

Input: two sources in their upstream local layouts, built from real question text:
``mmlu_train`` (headerless CSVs, half the rows) cycling the real MMLU auxiliary_train rows of
``../shared/data/training_standins`` and ``math_train`` (Hub-layout parquet, the other half)
cycling the real MATH train problems (without ../shared: the rows of ``tests/data/sources``).
Every row gets ``(variant N)`` appended to its question, so rows stay distinct: exact dedup finds
nothing, and although MinHash clusters the variants of one question, the number in each keeps
them apart (dedup's duplicate-group rule compares numbers), so the pool is not collapsed.

Each size runs the whole recipe (sources -> filter H -> templates -> decontamination against the
real benchmarks -> exact + MinHash dedup -> blends ``crossthink`` and ``natural`` -> export of the
one repo) in a fresh process (``python -m crossthink_data.cli build``, tasks=1, one core), so the
peak RSS is that build's own (the highest of ``os.wait4``'s ``ru_maxrss`` and the per-stage peaks).
rows/s is source rows over the build's wall time. A per-stage line shows each stage's seconds and
its own peak RSS: the driver resets Linux's peak counter (``/proc/self/clear_refs``) before each
stage and reads ``VmHWM`` after it, so a stage is charged only for what it holds itself.

Targets (issue 11): rows/s at 1M >= 0.8x the 100k figure; peak RSS at 1M <= 1.5x the 100k figure.
Sizes: ``CROSSTHINK_BENCH_BUILD_SIZES`` (comma-separated rows, default ``10000,100000``): the 1M
build took 31 minutes on this shared 2-core machine, too long for the default ``make bench``; run it
with ``CROSSTHINK_BENCH_BUILD_SIZES=10000,100000,1000000 python -m benchmarks build``.
Measured here (quiet machine, load average about 1): 10k 604 rows/s, 558 MiB; 100k 1,187 rows/s,
556 MiB; 1M 1,239 rows/s, 580 MiB: 1M/100k rows/s 1.04x, peak RSS 1.04x. The plateau is
decontamination's benchmark index (~550 MiB at every size). Before parquet was read without
pyarrow's pre-buffering (:func:`crossthink_data.storage.parquet_file`) and dedup's cluster members
became numpy records, the same 1M build peaked at 1,049 MiB against 662 MiB at 100k (1.58x): every
pass over the pool's 1.1M-row files held memory in proportion to the file (export alone 973 MiB).
"""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.bench_curation import _benchmark_dir

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data" / "training_standins"
LOCAL = REPO / "tests" / "data" / "sources"
SIZES_ENV = "CROSSTHINK_BENCH_BUILD_SIZES"
DEFAULT_SIZES = (10_000, 100_000)
MMLU_FILES = ("science_elementary.csv", "science_middle.csv")
SEED = 2511
EXACT_REPOSTS = 0.03  # share of rows that re-post a recent row with case and spacing changed
NEAR_REPOSTS = 0.03  # ... with a lead-in added
PARQUET_ROWS = 50_000  # rows per math_train parquet file (row groups of 10k)

# Runs the CLI with each stage timed: prints one JSON line per stage (seconds, its own peak RSS).
DRIVER = """
import json, resource, sys, time

from crossthink_data.curation import build, decont, dedup
from crossthink_data.sources import stage


def peak_kib():
    # VmHWM: this process's peak RSS since the last reset (Linux); children count through getrusage
    with open("/proc/self/status") as status:
        own = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    return max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def reset_peak():
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def timed(module, name, label):
    inner = getattr(module, name)

    def wrapper(*args, **kwargs):
        before = peak_kib()
        reset_peak()
        start = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            line = {"stage": label, "s": time.perf_counter() - start, "own_kib": peak_kib(), "before_kib": before}
            print("STAGE " + json.dumps(line), file=sys.__stderr__, flush=True)

    setattr(module, name, wrapper)


timed(stage, "run_source", "sources")
timed(decont, "decontaminate", "decont")
timed(dedup, "dedup", "dedup")
timed(build, "run_blends", "blends")
timed(build, "export_build", "export")

from crossthink_data.cli import main

sys.argv = ["crossthink-data", *sys.argv[1:]]
main()
"""


def sizes() -> list[int]:
    raw = os.environ.get(SIZES_ENV, "")
    if not raw.strip():
        return list(DEFAULT_SIZES)
    try:
        return [int(s.replace("_", "")) for s in raw.split(",") if s.strip()]
    except ValueError:
        raise SystemExit(f"{SIZES_ENV} must be comma-separated row counts, got {raw!r}") from None


def _real_rows() -> tuple[list[list[str]], list[dict]]:
    """Real MMLU auxiliary_train CSV rows and real MATH train rows."""
    root = SHARED if SHARED.is_dir() else LOCAL
    mmlu = [
        row
        for name in MMLU_FILES
        for row in csv.reader((root / "mmlu_auxiliary_train" / name).open(encoding="utf-8"))
        if row
    ]
    math = json.loads((root / "math_train" / "math_train.json").read_text(encoding="utf-8"))
    return mmlu, [r for r in math if str(r.get("answer", "")).strip()]


def _vocabulary(texts: list[str]) -> list[str]:
    return sorted({w.lower() for text in texts for w in text.split() if w.isalpha() and len(w) > 2})


def _variant(text: str, rng: random.Random, vocabulary: list[str]) -> str:
    """``text`` with every fourth plain word (from a random offset) swapped for a word of the corpus:
    each 5-word shingle holds a swapped word, so two variants of one question share almost no
    shingle (no MinHash cluster), as distinct questions of a real pool do."""
    words = text.split(" ")
    offset = rng.randrange(4)
    for i in range(offset, len(words), 4):
        if words[i].isalpha():
            words[i] = rng.choice(vocabulary)
    return " ".join(words)


class Reposts:
    """Re-posts of recent rows, as a real pool has them: case and spacing changed (an exact
    duplicate after normalisation) or a lead-in added (a near duplicate)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.recent: deque[str] = deque(maxlen=1000)

    def question(self, fresh: str) -> str:
        roll = self.rng.random()
        if self.recent and roll < EXACT_REPOSTS:
            return "  " + self.rng.choice(self.recent).upper().replace(" ", "  ")
        if self.recent and roll < EXACT_REPOSTS + NEAR_REPOSTS:
            return "Answer the following question. " + self.rng.choice(self.recent)
        self.recent.append(fresh)
        return fresh


def write_sources(folder: Path, n: int) -> dict[str, Path]:
    """``n`` source rows (half MMLU CSV, half MATH parquet) under ``folder``; returns the from_dirs."""
    mmlu, math = _real_rows()
    rng = random.Random(SEED)
    vocabulary = _vocabulary([r[0] for r in mmlu] + [r["problem"] for r in math])
    n_mmlu = n // 2
    mmlu_dir, math_dir = folder / "mmlu_auxiliary_train", folder / "math_train"
    mmlu_dir.mkdir(parents=True)
    reposts = Reposts(rng)
    for i, name in enumerate(MMLU_FILES):
        count = n_mmlu // 2 + (n_mmlu % 2 if i == 0 else 0)
        with (mmlu_dir / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            for _ in range(count):
                question, *rest = rng.choice(mmlu)
                writer.writerow([reposts.question(_variant(question, rng, vocabulary)), *rest])
    reposts = Reposts(rng)
    left, part = n - n_mmlu, 0
    while left > 0:
        take = min(PARQUET_ROWS, left)
        chunk = []
        for _ in range(take):
            row = rng.choice(math)
            problem = reposts.question(_variant(row["problem"], rng, vocabulary))
            chunk.append({"problem": problem, "answer": str(row["answer"]), "type": row.get("type")})
        target = math_dir / "algebra" / f"train-{part:05d}-of-99999.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(chunk), target, row_group_size=10_000)
        left, part = left - take, part + 1
    return {"mmlu_train": mmlu_dir, "math_train": math_dir}


def write_recipe(folder: Path, from_dirs: dict[str, Path]) -> Path:
    recipe = {
        "name": "bench",
        "sources": [{"name": name, "from_dir": str(path)} for name, path in from_dirs.items()],
        "templates": ["mcq", "open"],
        "decontaminate": {"benchmarks": str(_benchmark_dir())},
        "dedup": {},
        "blends": ["crossthink", "natural"],
        "default_blend": "crossthink",
    }
    path = folder / "bench.yaml"
    path.write_text(json.dumps(recipe, indent=2), encoding="utf-8")  # JSON is YAML
    return path


def run_one(n: int) -> dict:
    """One build of ``n`` source rows in a fresh process: wall seconds, peak RSS, per-stage figures."""
    with tempfile.TemporaryDirectory(prefix=f"bench_build_{n}_") as tmp:
        scratch = Path(tmp)
        recipe = write_recipe(scratch, write_sources(scratch / "sources", n))
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        }
        command = [
            sys.executable,
            "-c",
            DRIVER,
            "build",
            str(recipe),
            "--output",
            str(scratch / "out" / "repo"),
        ]
        start = time.perf_counter()
        child = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
        )
        stderr = child.stderr.read()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        child.stderr.close()
        if child.returncode != 0:
            raise SystemExit(f"build of {n:,} rows failed ({child.returncode}): {stderr[-2000:]}")
        stages = [json.loads(line[6:]) for line in stderr.splitlines() if line.startswith("STAGE ")]
        summary = json.loads((scratch / "out" / "_work" / "repo" / "build_summary.json").read_text())
        repo = scratch / "out" / "repo"
        configs = {
            folder.name: sum(pq.ParquetFile(f).metadata.num_rows for f in folder.glob("*.parquet"))
            for folder in sorted((repo / "data").iterdir())
        }
    return {
        "rows": n,
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        # resetting VmHWM per stage leaves wait4 the peak since the last reset: take the max of all
        "peak_mib": max([usage.ru_maxrss] + [max(s["own_kib"], s["before_kib"]) for s in stages]) / 1024,
        "stages": stages,
        "configs": configs,
        "summary": summary,
    }


def _stage_line(stages: list[dict]) -> str:
    merged: dict[str, list[float]] = {}
    for s in stages:  # run_source runs once per source: add them up
        seconds, peak = merged.get(s["stage"], [0.0, 0.0])
        merged[s["stage"]] = [seconds + s["s"], max(peak, s["own_kib"] / 1024)]
    return ", ".join(f"{k} {v[0]:.1f} s (peak {v[1]:,.0f} MiB)" for k, v in merged.items())


def main() -> None:
    wanted = sizes()
    print(
        f"build of a synthetic pool (real MMLU/MATH question text, distinct variants), sizes {wanted}, one core"
    )
    results = {}
    for n in wanted:
        load = os.getloadavg()[0]
        r = run_one(n)
        results[n] = r
        configs, summary = r["configs"], r["summary"]
        dedup = summary["dedup"]
        print(
            f"{n:>9,} rows: {n / r['wall']:8,.0f} rows/s ({r['wall']:7.1f} s wall, {n / r['cpu']:,.0f} rows per CPU-s), "
            f"peak RSS {r['peak_mib']:6,.0f} MiB (load avg {load:.1f})"
        )
        print(
            f"           pool {summary['curated_rows']:,} curated rows (decont removed {summary['decontaminate']['removed']:,}, "
            f"dedup exact {sum(dedup['exact_removed'].values()):,}, near {sum(dedup['near_removed'].values()):,}); "
            f"blend-crossthink {configs.get('blend-crossthink', 0):,} rows, blend-natural {configs.get('blend-natural', 0):,}"
        )
        print(f"           stages: {_stage_line(r['stages'])}")
    if 100_000 in results and 1_000_000 in results:
        small, big = results[100_000], results[1_000_000]
        speed = (1_000_000 / big["wall"]) / (100_000 / small["wall"])
        cpu = (1_000_000 / big["cpu"]) / (100_000 / small["cpu"])
        memory = big["peak_mib"] / small["peak_mib"]
        print(
            f"1M vs 100k: rows/s {speed:.2f}x (per CPU-second {cpu:.2f}x; target >= 0.8x), "
            f"peak RSS {memory:.2f}x (target <= 1.5x)"
        )


if __name__ == "__main__":
    main()
