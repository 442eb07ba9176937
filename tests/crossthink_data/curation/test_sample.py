"""Sampling each source to a number of questions (the paper recipe's Table 1 counts): by question,
seeded, independent of the pool's file layout, and typed in the recipe."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crossthink_data.config import ConfigError
from crossthink_data.curation.build import BuildConfig
from crossthink_data.curation.sample import sample_sources


def _pool() -> pa.Table:
    """40 MCQ questions of source `big` (a T_MCQ and a T_Open row each), 30 open questions of
    `numina`, 5 of `small`."""
    rows = []
    for i in range(40):
        rows += [
            {"id": f"big-{i:02d}", "source": "big", "template": t, "question": f"q{i}"}
            for t in ("mcq", "open")
        ]
    rows += [
        {"id": f"numina-{i:02d}", "source": "numina", "template": "open", "question": f"m{i}"}
        for i in range(30)
    ]
    rows += [
        {"id": f"small-{i}", "source": "small", "template": "open", "question": f"s{i}"} for i in range(5)
    ]
    return pa.Table.from_pylist(rows)


def _write(table: pa.Table, folder: Path, cuts: list[int]) -> str:
    folder.mkdir(parents=True)
    bounds = [0, *cuts, table.num_rows]
    for i, (lo, hi) in enumerate(zip(bounds, bounds[1:])):
        pq.write_table(table.slice(lo, hi - lo), folder / f"{i:05d}_part.parquet")
    return str(folder)


def _kept(stage: Path) -> pa.Table:
    return pa.concat_tables([pq.read_table(f) for f in sorted((stage / "data").glob("*.parquet"))])


def test_each_capped_source_keeps_its_count_of_questions_with_all_their_rows(tmp_path: Path) -> None:
    pool = _pool()
    caps = {"big": 10, "numina": 12, "small": 8}
    report = sample_sources(_write(pool, tmp_path / "pool", [17, 50]), str(tmp_path / "s"), caps, seed=3)
    kept = _kept(tmp_path / "s")
    questions = {s: {i for i, src in zip(kept["id"].to_pylist(), kept["source"].to_pylist()) if src == s}
                 for s in caps}  # fmt: skip
    assert {s: len(ids) for s, ids in questions.items()} == {"big": 10, "numina": 12, "small": 5}
    templates = Counter(
        t for i, t in zip(kept["id"].to_pylist(), kept["template"].to_pylist()) if i in questions["big"]
    )
    assert templates == {"mcq": 10, "open": 10}  # a kept question keeps both rows
    assert report["questions"] == {
        "big": {"before": 40, "kept": 10}, "numina": {"before": 30, "kept": 12}, "small": {"before": 5, "kept": 5}
    }  # fmt: skip
    assert (report["rows_in"], report["kept"]) == (115, 20 + 12 + 5)
    assert json.loads((tmp_path / "s" / "report.json").read_text()) == report


def test_the_sample_is_seeded_and_independent_of_the_file_layout(tmp_path: Path) -> None:
    pool = _pool()
    caps = {"big": 10, "numina": 12}

    def ids(folder: str, stage: str, seed: int, cap: dict[str, int] = caps) -> set[str]:
        sample_sources(folder, str(tmp_path / stage), cap, seed)
        return set(_kept(tmp_path / stage)["id"].to_pylist())

    first = ids(_write(pool, tmp_path / "a", [17, 50]), "s1", 0)
    reversed_pool = pool.take(list(reversed(range(pool.num_rows))))
    assert ids(_write(reversed_pool, tmp_path / "b", [3, 90, 100]), "s2", 0) == first  # same seed
    assert ids(str(tmp_path / "a"), "s3", 1) != first  # another seed, another sample
    larger = ids(str(tmp_path / "a"), "s4", 0, {"big": 20, "numina": 12})
    assert first <= larger  # raising the cap keeps every question the smaller sample kept


def test_recipe_sample_is_a_typed_setting() -> None:
    base = {"sources": [{"name": "mmlu_train", "sample": 5}], "dedup": {}}
    assert BuildConfig.from_dict(base).sources[0].sample == 5
    for bad, message in ((0, "at least 1"), ("5", "must be an integer")):
        with pytest.raises(ConfigError, match=message):
            BuildConfig.from_dict({**base, "sources": [{"name": "mmlu_train", "sample": bad}]})
    with pytest.raises(ConfigError, match="sample_seed"):
        BuildConfig.from_dict({**base, "sample_seed": -1})
