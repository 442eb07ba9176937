"""The curation half of `make demo` on the shipped demo sources (real ARC, GSM8K and AGIEval rows)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest


@pytest.mark.slow
def test_demo_builds_the_headline_blend_from_the_demo_subsets(tmp_path: Path) -> None:
    from datasets import load_dataset

    from crossthink_data.curation.demo import run
    from crossthink_data.sources import DEMO_SOURCES
    from crossthink_data.sources.subsets import build_source_subset

    for name, from_dir in DEMO_SOURCES.items():
        build_source_subset(name, tmp_path, tmp_path / "_work", from_dir=from_dir)
    path = run(tmp_path)
    assert path == str(tmp_path / "blend-crossthink")  # a storage URL: here a local path
    dataset = load_dataset(str(path), "default", split="train")
    domains = Counter(dataset["domain"])
    assert domains["math"] > 100 and abs(domains["gpr"] - 2 * domains["math"]) <= 1
    # AGIEval's math rows come from the MATH test split, like MATH-500: decontamination finds them
    report = json.loads((tmp_path / "_curation" / "1_decont" / "report.json").read_text())
    assert report["per_benchmark"]["math500"]["hits"] > 0
    sources = {e["source"] for e in report["per_benchmark"]["math500"]["examples"]}
    assert sources == {"agieval_math"}
    removed_questions = {e["question"][:300] for e in report["per_benchmark"]["math500"]["examples"]}
    assert not removed_questions & {q[:300] for q in dataset["question"]}
