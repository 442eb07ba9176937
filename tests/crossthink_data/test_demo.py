"""`make demo` end to end on the shipped real rows: ONE Hub repo whose every config loads with its
declared features, and whose card carries the build's own reports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from datasets import Features, load_dataset

from crossthink_data.curation.blends import PAPER_BLENDS
from crossthink_data.record import features

pytestmark = pytest.mark.slow

SOURCE_CONFIGS = {
    "arc_challenge-records",
    "arc_challenge-mcq",
    "arc_challenge-open",
    "gsm8k-records",
    "gsm8k-open",  # GSM8K and AGIEval math have no options: no mcq config
    "agieval_math-records",
    "agieval_math-open",
}


def card_metadata(folder: Path) -> tuple[dict, str]:
    text = (folder / "README.md").read_text()
    assert text.startswith("---\n")
    _, header, body = text.split("---\n", 2)
    return yaml.safe_load(header), body


def test_demo_writes_one_repo_with_every_config(demo_build):
    repo, work = demo_build["repo"], demo_build["work"]
    assert sorted(p.name for p in repo.parent.iterdir()) == ["_work", "crossthink"]
    assert (work / "build_summary.json").exists() and not (repo / "_work").exists()
    blends = {f"blend-{b}" for b in PAPER_BLENDS} | {f"blend-{b}-verl" for b in PAPER_BLENDS}
    assert {p.name for p in (repo / "data").iterdir()} == SOURCE_CONFIGS | blends
    printed = demo_build["printed"]
    assert 'load_dataset("' in printed and "blend-crossthink (default)" in printed
    assert all(name in printed for name in SOURCE_CONFIGS)


def test_every_config_loads_with_its_declared_features(demo_build):
    repo = demo_build["repo"]
    meta, _ = card_metadata(repo)
    declared = {info["config_name"]: info for info in meta["dataset_info"]}
    defaults = [c["config_name"] for c in meta["configs"] if c.get("default")]
    assert defaults == ["blend-crossthink"]
    for config in meta["configs"]:
        name = config["config_name"]
        dataset = load_dataset(str(repo), name, split="train")
        assert dataset.features == Features._from_yaml_list(declared[name]["features"]), name
        assert dataset.num_rows == declared[name]["splits"][0]["num_examples"] > 0, name
        if name.endswith(("-mcq", "-open")) or (name.startswith("blend-") and not name.endswith("-verl")):
            assert dataset.features == features(templated=True), name
        if name.endswith("-records"):
            assert dataset.features == features(templated=False), name
        if name.endswith("-verl"):
            assert list(dataset.features) == [
                "data_source",
                "prompt",
                "ability",
                "reward_model",
                "extra_info",
            ]
    default = load_dataset(str(repo), split="train")  # no config name: the default config
    assert default.num_rows == declared["blend-crossthink"]["splits"][0]["num_examples"]


def test_demo_configs_hold_the_expected_real_rows(demo_build):
    repo = demo_build["repo"]
    arc = load_dataset(str(repo), "arc_challenge-mcq", split="train")
    assert set(arc["kind"]) == {"mcq"} and set(arc["ground_truth"]) <= set("ABCDE")
    gsm8k = load_dataset(str(repo), "gsm8k-open", split="train")
    # GSM8K test row 1 (Janet's ducks): the gold after "####" is 18.
    ducks = [row for row in gsm8k if row["question"].startswith("Janet")]
    assert ducks and ducks[0]["ground_truth"] == "18" and ducks[0]["kind"] == "math"
    # a source's records are the ones that survived curation: decontamination removed AGIEval rows
    records = load_dataset(str(repo), "agieval_math-records", split="train")
    templated = load_dataset(str(repo), "agieval_math-open", split="train")
    assert sorted(records["id"]) == sorted(templated["id"]) and records.num_rows < 300


def test_card_numbers_are_the_build_reports(demo_build):
    """Every figure checked here is read from the build's reports, and the card must show it."""
    summary = json.loads((demo_build["work"] / "build_summary.json").read_text())
    _, body = card_metadata(demo_build["repo"])
    decont = summary["decontaminate"]
    math500 = decont["per_benchmark"]["math500"]
    assert math500["hits"] > 0  # AGIEval's math rows come from MATH test, like MATH-500
    ngram = math500["examples"][0]["ngram"]
    assert f"| `math500` | {math500['hits']:,} | `{ngram}` | agieval_math |" in body
    assert f"{decont['rows_in']:,} rows in, {decont['removed']:,} removed" in body
    dedup = summary["dedup"]
    assert f"{dedup['rows_in']:,} rows in" in body and f"{dedup['kept']:,} kept" in body
    for s in summary["sources"]:
        dropped = ", ".join(f"{r}: {n:,}" for r, n in sorted(s["dropped"].items(), key=lambda kv: -kv[1]))
        assert (
            f"| `{s['source']}` | {s['config']} | {s['rows_in']:,} | {s['kept']:,} | {dropped or 'none'} |"
            in body
        )
    for name, blend in summary["blends"].items():
        assert re.search(rf"\| `blend-{name}`( \(default\))? \| {blend['rows']:,} \|", body), name
    assert "16 pages extracted" in body  # the shipped Common Crawl pages went through the miner
    charts = sorted((demo_build["repo"] / "assets").glob("*.png"))
    assert {c.name for c in charts} >= {"pipeline.png", "composition.png", "filter_h.png"}
    assert all(f"assets/{chart.name}" in body for chart in charts)
    assert "Not for commercial use" not in body  # no CC-BY-NC source in the demo
