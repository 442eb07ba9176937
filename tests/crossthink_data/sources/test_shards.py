"""Sources shard like datatrove readers: each task reads and maps only its own block of rows.

Real rows: the shipped demo sources (ARC, GSM8K), the two real MMLU auxiliary_train CSV files of
tests/data/sources (read by MMLU's own headerless-CSV reader) and GSM8K rows rewritten as Hub-layout
parquet with small row groups. The expected blocks come from ``datasets``' own
``shard(contiguous=True)`` and from counting the raw files with the csv module, not from the code
under test.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crossthink_data.record import QARecord, RecordError
from crossthink_data.sources import DEMO_SOURCES, get_source
from crossthink_data.sources.pipeline import CONFIGS, SourceRecordReader, parquet_files, run_source
from crossthink_data.sources.shards import parquet_part, rank_range
from tests.helpers.paths import TEST_DATA

MMLU = TEST_DATA / "sources" / "mmlu_auxiliary_train"


def mmlu_csv_questions() -> list[str]:
    """The question column of the MMLU CSVs, in file order, read with the csv module."""
    return [
        row[0]
        for path in sorted(MMLU.glob("*.csv"))
        for row in csv.reader(path.open(encoding="utf-8"))
        if row
    ]


@pytest.fixture(scope="module")
def gsm8k_parquet(tmp_path_factory) -> Path:
    """The 300 real GSM8K demo rows in the Hub layout ``main/*.parquet``: two files, 16-row groups."""
    folder = tmp_path_factory.mktemp("gsm8k_parquet")
    rows = [json.loads(line) for line in (DEMO_SOURCES["gsm8k"] / "test.jsonl").read_text().splitlines()]
    (folder / "main").mkdir()
    for index, chunk in enumerate((rows[:130], rows[130:])):
        path = folder / "main" / f"train-0000{index}-of-00002.parquet"
        pq.write_table(pa.Table.from_pylist(chunk), path, row_group_size=16)
    return folder


# ---- the split -----------------------------------------------------------------------------------
@pytest.mark.parametrize("total", [0, 1, 2, 7, 300, 1218])
@pytest.mark.parametrize("world_size", [1, 2, 3, 8])
def test_rank_range_is_datasets_contiguous_shard(total, world_size):
    from datasets import Dataset

    dataset = Dataset.from_dict({"i": list(range(total))})
    blocks = [rank_range(total, rank, world_size) for rank in range(world_size)]
    for rank, block in enumerate(blocks):
        if block:  # datasets 5.2 raises on an empty shard instead of returning one
            assert list(block) == dataset.shard(num_shards=world_size, index=rank, contiguous=True)["i"]
    assert [i for block in blocks for i in block] == list(range(total))
    assert max(map(len, blocks)) - min(map(len, blocks)) <= 1


def test_rank_range_rejects_a_rank_outside_the_world():
    with pytest.raises(ValueError, match="rank 3 is not a task of world_size 3"):
        rank_range(10, 3, 3)


@pytest.mark.parametrize(("start", "stop"), [(0, None), (0, 16), (5, 16), (15, 17), (40, 100), (129, 130)])
def test_parquet_block_reads_exactly_its_rows(gsm8k_parquet, start, stop):
    path = sorted((gsm8k_parquet / "main").glob("*.parquet"))[0]
    everything = pq.read_table(path).to_pylist()
    assert list(parquet_part(str(path)).read(start, stop)) == everything[start:stop]
    assert parquet_part(str(path)).count() == 130


# ---- each task maps only its own rows ------------------------------------------------------------
def test_each_rank_maps_only_its_block(monkeypatch):
    adapter = get_source("mmlu_train")
    mapped: list[str] = []
    to_record = type(adapter).to_record
    monkeypatch.setattr(
        type(adapter), "to_record", lambda self, row: mapped.append(row["question"]) or to_record(self, row)
    )

    questions = mmlu_csv_questions()
    assert (
        len(questions) == 5 + 3
    )  # science_elementary.csv + science_middle.csv (tests/data/sources/README.md)
    seen = []
    for rank, block in enumerate([(0, 1, 2), (3, 4, 5), (6, 7)]):  # 8 rows over 3 tasks
        mapped.clear()
        reader = SourceRecordReader("mmlu_train", from_dir=str(MMLU))
        documents = list(reader.run(None, rank, 3))
        assert mapped == [questions[i] for i in block]  # the task maps its own rows, and only those
        positions = [json.loads(d.metadata["provenance"])["row_index"] for d in documents]
        assert positions == list(block)
        seen += positions
    everything = [
        r.provenance["row_index"] for r in adapter.records(from_dir=MMLU) if isinstance(r, QARecord)
    ]
    assert seen == everything


def test_blocks_cross_file_boundaries_and_keep_global_positions():
    adapter = get_source("mmlu_train")
    whole = list(adapter.indexed_rows(MMLU))
    blocks = [list(adapter.indexed_rows(MMLU, rank=rank, world_size=2)) for rank in range(2)]
    assert blocks[0] + blocks[1] == whole
    assert [i for i, _ in blocks[1]] == [4, 5, 6, 7]  # 8 rows / 2: the block starts in the first file ...
    assert {row["subject"] for _, row in blocks[1]} == {
        "science_elementary",
        "science_middle",
    }  # ... ends in the second


def test_counts_given_once_are_not_counted_again_by_the_tasks(monkeypatch):
    from crossthink_data.sources import shards

    adapter = get_source("mmlu_train")
    counts = adapter.row_counts(MMLU)
    assert counts == [5, 3]  # science_elementary.csv, science_middle.csv
    whole = list(adapter.indexed_rows(MMLU))
    monkeypatch.setattr(shards, "count_rows", lambda *args: pytest.fail("a task counted the source again"))
    blocks = [list(adapter.indexed_rows(MMLU, rank=rank, world_size=2, counts=counts)) for rank in range(2)]
    assert blocks[0] + blocks[1] == whole
    with pytest.raises(ValueError, match="3 row counts for 2 parts: the source changed"):
        list(adapter.indexed_rows(MMLU, rank=0, world_size=2, counts=[5, 3, 1]))


def test_limit_caps_the_whole_source_before_the_split():
    adapter = get_source("gsm8k")
    blocks = [
        list(adapter.indexed_rows(DEMO_SOURCES["gsm8k"], limit=5, rank=r, world_size=3)) for r in range(3)
    ]
    assert [[i for i, _ in block] for block in blocks] == [[0, 1], [2, 3], [4]]


def test_hub_datasets_are_split_by_select_over_all_configs(monkeypatch):
    import datasets

    sizes = {"algebra": 5, "counting_and_probability": 0, "geometry": 3}
    calls = []

    def fake_load(hub_id, config, split):
        calls.append(config)
        rows = [
            {"problem": f"{config} {i}", "solution": f"\\boxed{{{i}}}", "type": config}
            for i in range(sizes.get(config, 1))
        ]
        return (
            datasets.Dataset.from_list(rows)
            if rows
            else datasets.Dataset.from_dict({"problem": [], "solution": [], "type": []})
        )

    monkeypatch.setattr(datasets, "load_dataset", fake_load)
    adapter = get_source("math_train")
    whole = list(adapter.indexed_records())
    assert len(whole) == 5 + 0 + 3 + 4  # four more configs with one row each
    blocks = [list(adapter.indexed_records(rank=rank, world_size=4)) for rank in range(4)]
    assert [item.question for block in blocks for _, item in block] == [item.question for _, item in whole]
    assert [[i for i, _ in block] for block in blocks] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]]


# ---- N tasks write exactly the rows of one task --------------------------------------------------
def written(work: Path, source: str, config: str) -> list[dict]:
    return [row for path in parquet_files(work, source, config) for row in pq.read_table(path).to_pylist()]


def rejects(work: Path, source: str) -> Counter:
    return Counter(
        json.loads(line)["id"]
        for path in (work / source / "rejects").rglob("*.jsonl")
        for line in path.read_text().splitlines()
    )


@pytest.mark.parametrize("source", ["arc_challenge", "gsm8k", "mmlu_train", "gsm8k_parquet"])
def test_three_tasks_write_the_rows_of_one_task(tmp_path, source, gsm8k_parquet):
    from_dir = {"mmlu_train": MMLU, "gsm8k_parquet": gsm8k_parquet}.get(source) or DEMO_SOURCES[source]
    name = source.removesuffix("_parquet")
    one = run_source(name, tmp_path / "one", from_dir=str(from_dir), tasks=1)
    three = run_source(name, tmp_path / "three", from_dir=str(from_dir), tasks=3, workers=1)
    assert one == three  # rows in, kept and dropped by rule, per config
    # same rows, same ids, same order (the task files read in rank order), in every config
    for config in CONFIGS:
        assert written(tmp_path / "three", name, config) == written(tmp_path / "one", name, config)
    assert len(parquet_files(tmp_path / "three", name, "records")) == 3  # every task wrote its share
    assert len(written(tmp_path / "one", name, "records")) == one[0].kept > 0
    assert rejects(tmp_path / "three", name) == rejects(tmp_path / "one", name)
    if source == "arc_challenge":  # the demo ARC rows have rejects: the test would pass vacuously otherwise
        assert sum(rejects(tmp_path / "one", name).values()) > 0


def test_invalid_rows_keep_their_global_position_in_every_task():
    adapter = get_source("arc_challenge")
    errors_one = [
        (i, str(e))
        for i, e in adapter.indexed_records(DEMO_SOURCES["arc_challenge"])
        if isinstance(e, RecordError)
    ]
    errors_three = [
        (i, str(e))
        for rank in range(3)
        for i, e in adapter.indexed_records(DEMO_SOURCES["arc_challenge"], rank=rank, world_size=3)
        if isinstance(e, RecordError)
    ]
    assert errors_three == errors_one and errors_one
