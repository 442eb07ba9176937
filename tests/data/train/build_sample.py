"""Rebuild ``crossthink_sample/``: a tiny CrossThink dataset in the Hub folder layout.

Real rows from ``/work/shared/data/training_standins`` (MMLU auxiliary_train science and MATH
train), rendered with the project's templates and written as one parquet file per config with
the project's arrow schema, plus a README whose YAML ``configs`` lets
``datasets.load_dataset(folder, config)`` find them. Run from the repository root:

    .venv/bin/python tests/data/train/build_sample.py [/work/shared/data]
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from crossthink_data.record import QARecord, arrow_schema
from crossthink_data.templates import render

OUT = Path(__file__).resolve().parent / "crossthink_sample"
SHARED = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/data")
STANDINS = SHARED / "training_standins"


def mmlu_records(name: str, limit: int) -> list[QARecord]:
    records = []
    with open(STANDINS / "mmlu_auxiliary_train" / f"{name}.csv", newline="") as handle:
        for question, *choices, answer in csv.reader(handle):
            if len(question) > 220:  # short prompts keep the tiny-model tests fast
                continue
            records.append(
                QARecord(
                    source="mmlu_train",
                    domain="gpr",
                    category="stem",
                    subject=name,
                    question=question,
                    options=choices,
                    answer=answer,
                    provenance={"upstream": "xetdata/LLM_Evolution@60895c6a", "license": "MIT"},
                )
            )
            if len(records) == limit:
                break
    return records


def open_gpr_records(limit: int) -> list[QARecord]:
    """MCQs whose stem stands without its options and whose gold text is short (filter H's rule)."""
    chosen = []
    for record in mmlu_records("science_middle", 400):
        stem = record.question.lower()
        if "following" in stem or "which of these" in stem or len(record.open_answer.split()) > 10:
            continue
        chosen.append(record)
        if len(chosen) == limit:
            break
    return chosen


def math_records(limit: int) -> list[QARecord]:
    rows = json.loads((STANDINS / "math_train" / "math_train.json").read_text())
    records = []
    for row in rows:
        if len(row["problem"]) > 200:
            continue
        records.append(
            QARecord(
                source="math_train",
                domain="math",
                category="math",
                subject=row.get("type"),
                question=row["problem"],
                answer=row["answer"],
                provenance={"upstream": "agentica-project/rllm@874daa4a", "license": "MIT"},
            )
        )
        if len(records) == limit:
            break
    return records


def write(config: str, rows: list[dict]) -> None:
    folder = OUT / "data" / config
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist(rows, schema=arrow_schema(templated=True))
    pq.write_table(table, folder / "train-00000-of-00001.parquet")
    print(f"{config}: {len(rows)} rows")


def main() -> None:
    mcq = [render(r, "mcq") for r in mmlu_records("science_elementary", 24)]
    open_rows = [render(r, "open") for r in open_gpr_records(12)] + [
        render(r, "open") for r in math_records(12)
    ]
    write("mcq", mcq)
    write("open", open_rows)
    # A two-source, three-kind mix, interleaved so every few rows cover every kind.
    blend = [row for triple in zip(mcq[:8], open_rows[:8], open_rows[12:20], strict=True) for row in triple]
    write("blend-tiny", blend)


if __name__ == "__main__":
    main()
