"""Curation throughput: decontamination and deduplication of 200,000 records, ours vs plain Python.

Records are built from real question text: each is a real training-source question (MATH train,
MMLU auxiliary_train, ARC, GSM8K; from ../shared/data, else the rows shipped in the repo) followed
by the first sentence of another real question, so 200k rows are distinct the way a large pool is.
Then, as in a real multi-source pool: 10% are re-posts of earlier rows by another source with
case and spacing changed (exact duplicates after normalisation), 5% re-posts with a lead-in
added (near duplicates), and 1% are benchmark questions copied verbatim. The benchmark folder
(../shared/data/benchmarks) also holds GSM8K test, whose questions are among the base rows, so
about 13% of the records are contaminated.

Ours: ``crossthink_data.curation.decont.decontaminate`` and ``.dedup.dedup`` end to end on one core
(datatrove LocalPipelineExecutor, tasks=1): parquet in, parquet and reports out.
Peer, same run, same rules, same single core: a straightforward pandas/Python version: the same
normalisation and n-gram index in a dict with the overlap rule applied row by row; exact dedup
with ``sort_values`` + ``drop_duplicates`` on the same key; MinHash with the same shingles and
LSH banding in numpy per row, union-find over band collisions, the same trust order and the same
duplicate-group rule (template, answer, math expressions / numbers / all-caps words).
The peer is in memory (no files, no resumability), so it is a fair floor for what the framework
costs. We print records/s for both, the ratio, and whether they keep the same rows.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from crossthink_data.record import QARecord, arrow_schema

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
N_RECORDS = 200_000
SEED = 2504
SOURCES = ("mmlu_train", "numina_math", "natural_reasoning", "syn_qa")


def _base_questions() -> list[tuple[str, str, list[str] | None, str]]:
    """(domain, question, options, answer) of real training-source rows."""
    rows: list[tuple[str, str, list[str] | None, str]] = []
    standins = SHARED / "training_standins"
    if standins.exists():
        for r in json.loads((standins / "math_train" / "math_train.json").read_text()):
            if str(r.get("answer", "")).strip():
                rows.append(("math", r["problem"], None, str(r["answer"])))
        for path in sorted((standins / "mmlu_auxiliary_train").glob("*.csv")):
            for r in csv.reader(path.open()):
                rows.append(("gpr", r[0], r[1:5], r[5]))
        gsm = SHARED / "benchmarks" / "gsm8k" / "test.jsonl"
    else:  # a clone without ../shared: the rows shipped in the repo
        for path in sorted((REPO / "tests" / "data" / "curation" / "mmlu_train").glob("*.csv")):
            for r in csv.reader(path.open()):
                rows.append(("gpr", r[0], r[1:5], r[5]))
        gsm = REPO / "crossthink_data" / "demo_data" / "gsm8k" / "test.jsonl"
    for line in gsm.read_text().splitlines():
        r = json.loads(line)
        rows.append(("math", r["question"], None, r["answer"].split("####")[-1].strip()))
    return rows


def _benchmark_dir() -> Path:
    shared = SHARED / "benchmarks"
    return shared if shared.exists() else REPO / "tests" / "data" / "curation" / "benchmarks"


def build_records(n: int = N_RECORDS) -> list[dict]:
    from crossthink_data.curation.decont import load_benchmark_dir

    rng = random.Random(SEED)
    base = _base_questions()
    bench = [i for i in load_benchmark_dir(_benchmark_dir()) if len(i.question.split()) > 8]
    records: list[dict] = []
    while len(records) < n:
        roll = rng.random()
        if records and roll < 0.10:
            row = dict(rng.choice(records))
            row["question"] = "  " + row["question"].upper().replace(" ", "  ")
        elif records and roll < 0.15:
            row = dict(rng.choice(records))
            row["question"] = "Answer the following question. " + row["question"]
        elif roll < 0.16:
            item = rng.choice(bench)
            row = {"domain": "math", "question": item.question, "options": None, "answer": item.gold or "0"}
        else:
            domain, question, options, answer = rng.choice(base)
            tail = rng.choice(base)[1].split(". ")[0][:200]
            row = {"domain": domain, "question": question + " " + tail, "options": options, "answer": answer}
        row["source"] = rng.choice(SOURCES)
        category = "math" if row["domain"] == "math" else "stem"
        rec = QARecord(
            row["source"], row["domain"], category, row["question"], row["answer"], options=row["options"]
        )
        records.append(rec.to_dict())
    return records


# ---------------------------------------------------------------- the peer (pandas / plain Python)


def peer_decont(df: pd.DataFrame, bench_dir: Path, n: int = 12, min_overlap: float = 0.5) -> pd.Series:
    from datatrove.utils.text import simplify_text

    from crossthink_data.curation.decont import load_benchmark_dir
    from crossthink_data.curation.text import DEFAULT_NORM

    def words(text: str) -> list[str]:
        return simplify_text(text, DEFAULT_NORM).split()

    index: dict[str, str] = {}
    short: dict[str, str] = {}
    for item in load_benchmark_dir(bench_dir):
        q, gold = words(item.query), words(item.gold)
        for i in range(len(q) - n + 1):
            index[" ".join(q[i : i + n])] = item.task
        for i in range(len(gold) - n + 1):
            index[" ".join(gold[i : i + n])] = item.task
        for i in range(n - 1):  # n-grams spanning the end of the question and the start of the answer
            if len(q) >= n - 1 - i and len(gold) >= i + 1:
                index[" ".join(q[-n + 1 + i :] + gold[: i + 1])] = item.task
        label = words(item.question)
        if 0 < len(label) < n:
            short[" ".join(label)] = item.task
            short[" ".join(words(item.content))] = item.task

    def contaminated(row) -> bool:
        question = words(row["question"])
        options = row["options"]
        content = words(row["question"] + ("\n" + "\n".join(options) if options is not None else ""))
        best = 0.0
        for ws in (question, content):
            grams = [" ".join(ws[i : i + n]) for i in range(len(ws) - n + 1)]
            if grams:
                best = max(best, sum(g in index for g in grams) / len(grams))
        if 0 < len(question) < n and " ".join(content) in short:
            return True
        return best > 0 and best >= min_overlap

    return ~df.apply(contaminated, axis=1)


def peer_dedup(
    df: pd.DataFrame, trust: tuple[str, ...], n: int = 5, bands: int = 14, rows: int = 8
) -> pd.DataFrame:
    from datatrove.data import Document
    from datatrove.utils.hashing import HashConfig, create_hash_func
    from datatrove.utils.text import simplify_text

    from crossthink_data.curation.dedup import exact_key, near_duplicate_group, trust_priority
    from crossthink_data.curation.text import DEFAULT_NORM

    def doc(row) -> Document:
        meta = {
            "options": row["options"],
            "answer": row["answer"],
            "answer_text": row["answer_text"],
            "template": None,
        }
        return Document(text=row["question"], id=row["id"], metadata=meta)

    df = df.copy()
    df["priority"] = df["source"].map(lambda s: trust_priority(s, trust))
    df["key"] = df.apply(lambda r: exact_key(doc(r)), axis=1)
    df["order"] = np.arange(len(df))
    df = (
        df.sort_values(["priority", "order"], ascending=[False, True])
        .drop_duplicates("key")
        .sort_values("order")
    )
    hash_func = create_hash_func(HashConfig())
    mersenne = np.uint64((1 << 61) - 1)
    gen = np.random.RandomState(1)
    a = gen.randint(1, mersenne, dtype=np.uint64, size=(1, bands * rows))
    b = gen.randint(0, mersenne, dtype=np.uint64, size=(1, bands * rows))
    buckets: dict[tuple, int] = {}
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    positions = df["order"].to_numpy()
    for pos, question, options in zip(positions, df["question"], df["options"]):
        text = question if options is None else question + "\n" + "\n".join(options)
        ws = simplify_text(text, DEFAULT_NORM).split()
        if len(ws) < n:
            continue
        shingles = np.fromiter(
            (hash_func(" ".join(ws[i : i + n])) for i in range(len(ws) - n + 1)), dtype=np.uint64
        )
        sig = np.min((shingles.reshape(-1, 1) * a + b) % mersenne, axis=0)
        for band in range(bands):
            key = (band, *sig[band * rows : (band + 1) * rows].tolist())
            other = buckets.setdefault(key, pos)
            if other != pos:
                ra, rb = find(other), find(pos)
                if ra != rb:
                    parent[rb] = ra
    roots = {p: find(p) for p in parent}
    root_set = set(roots.values())
    df["cluster"] = [roots.get(p, p if p in root_set else -1) for p in positions]
    df["group"] = df.apply(lambda r: near_duplicate_group(doc(r)), axis=1)
    clustered = df[df["cluster"] >= 0].sort_values(["priority", "order"], ascending=[False, True])
    losers = clustered[clustered.duplicated(["cluster", "group"])]["order"]
    return df[~df["order"].isin(set(losers))]


# ---------------------------------------------------------------- main


def main() -> None:
    from crossthink_data.curation.decont import decontaminate
    from crossthink_data.curation.dedup import DEFAULT_TRUST_ORDER, dedup

    work = Path(tempfile.mkdtemp(prefix="bench_curation_"))
    try:
        start = time.perf_counter()
        records = build_records()
        table = pa.Table.from_pylist(records, schema=arrow_schema())
        (work / "in").mkdir()
        pq.write_table(table, work / "in" / "rows.parquet")
        print(
            f"built {len(records):,} records from real question text in {time.perf_counter() - start:.1f} s"
        )
        bench_dir = _benchmark_dir()

        t = time.perf_counter()
        report = decontaminate(work / "in", work / "decont", bench_dir)
        ours_decont = time.perf_counter() - t
        t = time.perf_counter()
        df = pq.read_table(work / "in" / "rows.parquet").to_pandas()
        df["options"] = df["options"].map(lambda o: list(o) if o is not None else None)
        kept_mask = peer_decont(df, bench_dir)
        peer_decont_s = time.perf_counter() - t
        ours_kept = set(pq.read_table(work / "decont" / "data").column("id").to_pylist())
        same = ours_kept == set(df.loc[kept_mask, "id"])
        print(
            f"decontaminate: ours {N_RECORDS / ours_decont:,.0f} records/s ({ours_decont:.1f} s), "
            f"pandas peer {N_RECORDS / peer_decont_s:,.0f} records/s ({peer_decont_s:.1f} s), "
            f"ratio {peer_decont_s / ours_decont:.2f}x; removed {report.removed:,} "
            f"(peer {int((~kept_mask).sum()):,}, same rows kept: {same})"
        )

        t = time.perf_counter()
        dreport = dedup(work / "in", work / "dedup")
        ours_dedup = time.perf_counter() - t
        t = time.perf_counter()
        df = pq.read_table(work / "in" / "rows.parquet").to_pandas()
        df["options"] = df["options"].map(lambda o: list(o) if o is not None else None)
        peer_kept = peer_dedup(df, DEFAULT_TRUST_ORDER)
        peer_dedup_s = time.perf_counter() - t
        ours_ids = set(pq.read_table(work / "dedup" / "data").column("id").to_pylist())
        print(
            f"dedup (exact + MinHash): ours {N_RECORDS / ours_dedup:,.0f} records/s ({ours_dedup:.1f} s), "
            f"pandas peer {N_RECORDS / peer_dedup_s:,.0f} records/s ({peer_dedup_s:.1f} s), "
            f"ratio {peer_dedup_s / ours_dedup:.2f}x; kept {dreport.kept:,} "
            f"(exact removed {sum(dreport.exact_removed.values()):,}, near {sum(dreport.near_removed.values()):,}; "
            f"peer kept {len(peer_kept):,}, same rows kept: {ours_ids == set(peer_kept['id'])})"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
