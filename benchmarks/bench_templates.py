"""Filter H + templates throughput on 200k records built from real rows, against pandas `apply`.

Ours: `crossthink_data.columnar.filter_and_render` (the path the datatrove steps use) over a
pyarrow table of records, per template, in batches, on one core.
Peer: the straightforward pandas implementation of the same rules (same regexes and limits),
`DataFrame.apply(axis=1)` per template. Both start from the records in memory and must keep
exactly the same rows. A "row" is one (record, template) pair; each record goes through both.
Target (issue 2): >= 100k rows/s on one core and >= 3x the pandas baseline.
"""

from __future__ import annotations

import csv
import json
import re
import time
from itertools import cycle, islice
from pathlib import Path

import pyarrow as pa

from crossthink_data import filters
from crossthink_data.columnar import filter_and_render
from crossthink_data.filters import filter_h_failure
from crossthink_data.record import QARecord, arrow_schema
from crossthink_data.templates import mcq_prompt_text, open_prompt_text, render

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
LOCAL = Path(__file__).resolve().parents[1] / "tests" / "data" / "foundation"
N_RECORDS = 200_000
TEMPLATES = ("mcq", "open")


def real_records() -> list[QARecord]:
    """Real MMLU test rows (MCQ) and MATH-500 rows (open math); all of MMLU when ../shared is here."""
    mmlu_dir = SHARED / "benchmarks" / "mmlu" / "test"
    csv_files = sorted(mmlu_dir.glob("*.csv")) if mmlu_dir.is_dir() else sorted(LOCAL.glob("*.csv"))
    math_file = SHARED / "benchmarks" / "math500" / "test.jsonl"
    math_file = math_file if math_file.is_file() else LOCAL / "math500_first120.jsonl"
    records = []
    for path in csv_files:
        with open(path, newline="") as handle:
            for row in csv.DictReader(handle):
                records.append(
                    QARecord(
                        source="mmlu",
                        domain="gpr",
                        category="stem",
                        subject=path.stem.removesuffix("_test"),
                        question=row["question"],
                        options=[row[f"choice{i}"] for i in range(4)],
                        answer="ABCD"[int(row["answer"])],
                    )
                )
    for line in math_file.read_text().splitlines():
        row = json.loads(line)
        records.append(
            QARecord("math500", "math", "math", row["problem"], row["answer"], subject=row["subject"])
        )
    return records


BATCH_ROWS = 50_000


def ours(table) -> dict[str, int]:
    kept = dict.fromkeys(TEMPLATES, 0)
    for batch in table.to_batches(max_chunksize=BATCH_ROWS):
        batch_table = pa.Table.from_batches([batch])
        for template in TEMPLATES:
            rendered, _ = filter_and_render(batch_table, template)
            kept[template] += rendered.num_rows
    return kept


def scalar(records: list[QARecord]) -> dict[str, int]:
    """The reference per-record functions, for the record (and a check that all three agree)."""
    kept = dict.fromkeys(TEMPLATES, 0)
    for record in records:
        for template in TEMPLATES:
            if filter_h_failure(record, template) is None:
                render(record, template)
                kept[template] += 1
    return kept


def _pandas_rules(row, template: str) -> bool:
    """Filter H written row-wise the obvious way (same regexes, limits and rule order)."""
    question, options, is_mcq = row["question"], row["options"], row["options"] is not None
    open_answer = (row["answer_text"] if is_mcq else row["answer"]) or ""
    if len(question.strip()) < filters.MIN_QUESTION_CHARS or filters.is_garbled(question):
        return False
    gold = open_answer if template == "open" else row["answer"]
    if not gold.strip() or "\ufffd" in gold:
        return False
    if template == "mcq":
        if not is_mcq:
            return False
        index = "ABCDEFGHIJKLMNOPQRSTUVWXYZ".find(row["answer"])
        norm = [" ".join(o.lower().split()).strip(" .;,") for o in options]
        return 0 <= index < len(options) and len(set(norm)) == len(norm)
    if is_mcq and (
        filters._OPTION_DEPENDENT.search(question) or filters._OPTION_DEPENDENT_ANSWER.search(open_answer)
    ):
        return False
    if row["domain"] != "math":
        return len(re.findall(r"\S+", open_answer)) <= filters.MAX_OPEN_ANSWER_WORDS
    answer = open_answer.strip()
    return (
        0 < len(answer) <= filters.MAX_MATH_ANSWER_CHARS
        and answer.count("{") == answer.count("}")
        and not filters._NON_CHECKABLE_MATH.search(answer)
        and len(filters._PROSE_WORD.findall(answer)) <= filters.MAX_OPEN_ANSWER_WORDS
    )


def _pandas_render(row, template: str) -> dict:
    if template == "mcq":
        content, truth = mcq_prompt_text(row["question"], row["options"]), row["answer"]
    else:
        content = open_prompt_text(row["question"], math=row["domain"] == "math")
        truth = (row["answer_text"] if row["options"] is not None else row["answer"]).strip()
    return {"prompt": [{"role": "user", "content": content}], "ground_truth": truth}


def pandas_baseline(frame) -> dict[str, int]:
    kept = {}
    for template in TEMPLATES:
        mask = frame.apply(_pandas_rules, axis=1, template=template)
        rendered = frame[mask].apply(_pandas_render, axis=1, template=template)
        kept[template] = len(rendered)
    return kept


def _timed(fn, *args) -> tuple[dict[str, int], float]:
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def main() -> None:
    import pandas as pd

    base = real_records()
    records = list(islice(cycle(base), N_RECORDS))
    rows = [r.to_dict() for r in records]
    print(f"{len(records):,} records cycled from {len(base):,} real rows (MMLU test + MATH-500)")
    table = pa.Table.from_pylist(rows, schema=arrow_schema())
    frame = pd.DataFrame(rows)

    kept_ours, ours_s = _timed(ours, table)
    kept_pandas, pandas_s = _timed(pandas_baseline, frame)
    kept_scalar, scalar_s = _timed(scalar, records[:20_000])
    scalar_s *= len(records) / 20_000

    pairs = len(records) * len(TEMPLATES)
    print(f"kept per template: ours {kept_ours}, pandas {kept_pandas}")
    print(
        "ours and pandas keep the same rows"
        if kept_ours == kept_pandas
        else "WARNING: ours and pandas disagree"
    )
    for name, seconds in (
        ("ours (columnar)", ours_s),
        ("pandas apply", pandas_s),
        ("ours (scalar)", scalar_s),
    ):
        print(f"{name:16s}: {pairs / seconds:12,.0f} rows/s  {len(records) / seconds:12,.0f} records/s")
    print(
        f"ratio ours/pandas: {pandas_s / ours_s:.2f}x  (targets: >= 100,000 rows/s on one core, >= 3x pandas)"
    )


if __name__ == "__main__":
    main()
