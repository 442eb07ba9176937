"""Filter H + templates throughput on 200k records built from real rows, against pandas `apply`.

Ours: `crossthink_data.columnar.filter_and_render` (the path the datatrove steps use) over a
pyarrow table of records, per template, in batches, on one core.
Peer: pandas `DataFrame.apply(axis=1)` per template, applying the same rule table's scalar
predicates (`crossthink_data.filters.RULES`, declared once) to each row, then the scalar
templates. Both start from the records in memory and must keep exactly the same rows. A "row" is one (record, template) pair; each record goes through both.
Target (issue 2): >= 100k rows/s on one core and >= 3x the pandas baseline.
"""

from __future__ import annotations

import csv
import json
import time
from itertools import cycle, islice
from pathlib import Path

import pyarrow as pa

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


class _PandasRow:
    """A pandas row read through the attributes filter H's scalar predicates use (no QARecord built)."""

    __slots__ = ("answer", "answer_text", "domain", "options", "question")
    is_mcq = QARecord.is_mcq
    open_answer = QARecord.open_answer

    def __init__(self, row) -> None:
        self.question, self.options, self.answer = row["question"], row["options"], row["answer"]
        self.answer_text, self.domain = row["answer_text"], row["domain"]


def _pandas_rules(row, template: str) -> bool:
    """Filter H row-wise: the rule table's scalar predicates (crossthink_data.filters.RULES), in order."""
    return filter_h_failure(_PandasRow(row), template) is None


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
