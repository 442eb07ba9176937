"""The build's output is ONE Hub dataset repo: recipes, configs, the veRL format, errors, resuming.

The paper recipe cannot download its sources here: it is run end to end with ``--from-dir``
overrides on real rows (MMLU auxiliary train, MATH train) and, for the sources with no rows offline
(Natural Reasoning, NuminaMath, NVIDIA's release), rows written for the test in each upstream schema.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from datasets import load_dataset
from typer.testing import CliRunner

from crossthink_data.cli import app
from crossthink_data.config import ConfigError
from crossthink_data.curation.blends import PAPER_BLENDS, BlendSpec
from crossthink_data.curation.build import BuildConfig, apply_overrides, default_work_dir
from crossthink_data.curation.dedup import DedupSettings
from crossthink_data.paper import TABLE1_QUESTIONS, TABLE1_TOTAL
from crossthink_data.recipes import recipe_location, shipped_recipes
from crossthink_data.record import QARecord
from crossthink_data.sources import SOURCES, get_source
from crossthink_data.verl import verl_row

PAPER_TARGETS = {  # the figures the issue asks for, typed here independently of paper.yaml
    "mmlu_train": 99_842,
    "crossthink_qa": 192_930,
    "natural_reasoning": 100_000,
    "numina_math": 87_350,
    "crossthink_math": 100_000,  # "PersonaSkill-MATH" (NVIDIA released 99,880 of them)
    "math_train": 8_523,
}


# ---- recipes ---------------------------------------------------------------------------------------


def test_shipped_recipes_and_unknown_names():
    assert shipped_recipes() == ["demo", "paper"]
    with pytest.raises(FileNotFoundError, match="shipped recipe: demo, paper"):
        recipe_location("papers")
    result = CliRunner().invoke(app, ["build", "no_such_recipe"])
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 1 and len(lines) == 1 and "demo, paper" in lines[0]


def test_paper_recipe_parses_and_resolves_every_source_and_blend():
    location, name = recipe_location("paper")
    config = BuildConfig.load(location)
    assert name == "paper" and {s.name: s.target for s in config.sources} == PAPER_TARGETS
    assert sum(PAPER_TARGETS.values()) == 588_645  # Table 1's total
    assert {s.name: s.sample for s in config.sources} == PAPER_TARGETS  # each sampled to the paper's count
    assert TABLE1_QUESTIONS == PAPER_TARGETS and TABLE1_TOTAL == 588_645  # the one home of the figures
    for source in config.sources:
        adapter = get_source(source.name)
        assert adapter.hub_id and source.from_dir is None  # read from the Hub by default
    assert sorted(config.blends) == sorted(PAPER_BLENDS) and config.default_blend == "crossthink"
    assert [BlendSpec.load(b).name for b in config.blends] == config.blends
    tasks = config.decontaminate.benchmarks.split(",")
    assert {t.removeprefix("crossthink_") for t in tasks} == {
        "math_500", "amc23", "mmlu", "mmlu_pro", "gpqa_diamond", "agieval", "supergpqa"
    }  # fmt: skip
    assert config.dedup == DedupSettings(near=True)
    assert config.difficulty_settings is None  # optional: off unless switched on
    on = BuildConfig.load(location, ["difficulty.enabled=true", "difficulty.samples=4"])
    assert on.difficulty_settings.samples == 4 and on.difficulty_settings.generation.model
    text = Path(location).read_text()
    for figure in ("99,842", "192,930", "100,000", "87,350", "8,523", "588,645", "Table 1"):
        assert figure in text  # every target cites where it comes from


def test_overrides_are_strict():
    data = {"sources": ["mmlu_train"], "dedup": {}}
    assert apply_overrides(data, ["dedup.near=false", "tasks=2"]) == {
        "sources": ["mmlu_train"], "dedup": {"near": False}, "tasks": 2
    }  # fmt: skip
    assert apply_overrides(data, [], ["mmlu_train=/data/x"])["sources"] == [
        {"name": "mmlu_train", "from_dir": "/data/x"}
    ]
    with pytest.raises(ConfigError, match="no source 'gsm8k'"):
        apply_overrides(data, [], ["gsm8k=/data/x"])
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        apply_overrides(data, ["dedup"])
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['blend'\]"):
        BuildConfig.from_dict(apply_overrides(data, ["blend=[x]"]))
    assert default_work_dir("demo_output/crossthink") == "demo_output/_work/crossthink"
    assert default_work_dir("s3://bucket/data/crossthink") == "s3://bucket/data/_work/crossthink"
    with pytest.raises(ConfigError, match="set work_dir"):
        default_work_dir("s3://bucket")


# ---- the paper recipe, offline ---------------------------------------------------------------------

NATURAL_REASONING = [  # written for the test in facebook/natural_reasoning's schema
    {"question": f"A car travels {d} km in 2 hours at constant speed. What is its speed in km/h?",
     "reference_answer": f"{d // 2} km/h", "responses": []}
    for d in (60, 80, 100, 120, 140, 160)
]  # fmt: skip
NUMINA = [  # written for the test in AI-MO/NuminaMath-CoT's schema
    {"source": "synthetic_math", "problem": f"Compute ${a} \\times {a + 1}$.",
     "solution": f"The product is $\\boxed{{{a * (a + 1)}}}$.", "messages": []}
    for a in (11, 13, 17, 19, 23, 29)
]  # fmt: skip
QA_OPTIONS = "A. Mercury\nB. Venus\nC. Earth\nD. Mars"
CROSSTHINK_QA = [  # written for the test in nvidia/Nemotron-CrossThink's documented schema
    {"data_source": "syn_qa", "prompt": [], "reward_model": {"style": "rule", "ground_truth": gold},
     "meta_data": {"question": f"{stem}\n{QA_OPTIONS}", "index": i}}
    for i, (stem, gold) in enumerate([
        ("Which planet is closest to the Sun?", "A"),
        ("Which planet is known as the red planet?", "D"),
        ("Which planet do humans live on?", "C"),
        ("Which planet is the hottest in the solar system?", "B"),
    ])
]  # fmt: skip
CROSSTHINK_MATH = [
    {"data_source": "math", "prompt": [], "reward_model": {"style": "rule", "ground_truth": str(n * 7)},
     "meta_data": {"question": f"A baker packs {n} boxes of 7 rolls. How many rolls is that?", "index": n}}
    for n in (3, 4, 5, 6, 8, 9)
]  # fmt: skip


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path.parent


@pytest.mark.slow
def test_paper_recipe_end_to_end_on_local_samples(test_data: Path, tmp_path: Path):
    samples = {
        "mmlu_train": test_data / "curation" / "mmlu_train",
        "math_train": test_data / "sources" / "math_train",
        "natural_reasoning": write_jsonl(tmp_path / "nr" / "train.jsonl", NATURAL_REASONING),
        "numina_math": write_jsonl(tmp_path / "numina" / "train.jsonl", NUMINA),
        "crossthink_qa": write_jsonl(
            tmp_path / "nv" / "Data" / "Nemotron-CrossThink-QA.jsonl", CROSSTHINK_QA
        ).parent,
        "crossthink_math": write_jsonl(
            tmp_path / "nv" / "Data" / "Nemotron-CrossThink-Math.jsonl", CROSSTHINK_MATH
        ).parent,
    }
    repo = tmp_path / "out" / "crossthink"
    args = ["build", "paper", "--output", str(repo), "--workers", "1"]
    for name, folder in samples.items():
        args += ["--from-dir", f"{name}={folder}"]
    args += ["--set", f"decontaminate.benchmarks={test_data / 'curation' / 'benchmarks'}"]
    args += ["--set", "decontaminate.custom_tasks=null"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    header, body = (repo / "README.md").read_text().split("---\n", 2)[1:]
    meta = yaml.safe_load(header)
    configs = [c["config_name"] for c in meta["configs"]]
    for blend in PAPER_BLENDS:
        assert f"blend-{blend}" in configs and f"blend-{blend}-verl" in configs
    for source in PAPER_TARGETS:
        assert f"{source}-records" in configs, source
    assert {"mmlu_train-mcq", "crossthink_qa-mcq", "numina_math-open", "natural_reasoning-open"} <= set(
        configs
    )
    declared = {i["config_name"]: i["splits"][0]["num_examples"] for i in meta["dataset_info"]}
    for name in configs:
        assert load_dataset(str(repo), name, split="train").num_rows == declared[name] > 0, name
    # Natural Reasoning is CC-BY-NC: the banner, and its configs marked in the table
    assert "Not for commercial use" in body and "cc-by-nc-4.0" in meta["license"]
    assert "| `natural_reasoning-open` | 6 | open | natural_reasoning | `cc-by-nc-4.0` (NC) |" in body
    # the paper's figures beside this build's
    assert "| `crossthink_qa` | 192,930 | 4 |" in body and "| `mmlu_train` | 99,842 |" in body


# ---- veRL round trip ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_verl_config_reads_back_into_the_same_records(demo_build):
    repo = str(demo_build["repo"])
    blend = load_dataset(repo, "blend-crossthink", split="train")
    verl = load_dataset(repo, "blend-crossthink-verl", split="train")
    assert verl.num_rows == blend.num_rows
    for index, (row, out) in enumerate(zip(blend, verl, strict=True)):
        assert out["data_source"] == row["source"] and out["ability"] == row["domain"]
        assert out["prompt"] == row["prompt"]
        assert out["reward_model"] == {"style": "rule", "ground_truth": row["ground_truth"]}
        extra = out["extra_info"]
        assert (extra["id"], extra["kind"], extra["options"], extra["index"]) == (
            row["id"], row["kind"], row["options"], index
        )  # fmt: skip
        adapter = SOURCES["crossthink_math" if row["domain"] == "math" else "crossthink_qa"]
        assert adapter.to_record(out).to_dict() == QARecord.from_dict(row).to_dict()


def test_verl_row_of_an_open_math_row():
    record = QARecord(source="gsm8k", domain="math", category="math", question="1+1?", answer="2")
    from crossthink_data.templates import render

    row = verl_row(render(record, "open"), 5)
    assert row["reward_model"] == {"style": "rule", "ground_truth": "2"} and row["ability"] == "math"
    assert row["extra_info"]["kind"] == "math" and row["extra_info"]["index"] == 5
    assert get_source("crossthink_qa").to_record(row) == record


# ---- the card against the paper's Table 1 ------------------------------------------------------------


def test_card_sets_the_papers_counts_beside_ours_and_says_why_ours_is_smaller():
    from crossthink_data.hub.dataset_card import blends_table, targets_table

    report = {
        "sources": [
            {"source": "numina_math", "config": "records", "kept": 860_000},
            {"source": "mmlu_train", "config": "records", "kept": 99_842},
            {"source": "crossthink_qa", "config": "records", "kept": 187_496},
        ],
        "sample": {"questions": {"numina_math": {"before": 700_000, "kept": 87_350},
                                 "mmlu_train": {"before": 99_000, "kept": 99_000},
                                 "crossthink_qa": {"before": 187_000, "kept": 187_000}}},
        "decontaminate": {"kept": 1}, "dedup": {"kept": 1},
        "blends": {"natural": {"rows": 10, "questions": 10, "form": "source",
                               "questions_per_source": {"numina_math": 87_350, "mmlu_train": 98_990,
                                                        "crossthink_qa": 187_000}},
                   "mcq_2to1": {"rows": 9, "questions": 9, "form": "per_question",
                                "questions_per_source": {"mmlu_train": 9}}},
    }  # fmt: skip
    table = targets_table({"numina_math": 87_350, "mmlu_train": 99_842, "crossthink_qa": 192_930}, report)
    assert "| `numina_math` | 87,350 | 860,000 | 700,000 | 87,350 | 87,350 | - |" in table
    assert (
        "| `mmlu_train` | 99,842 | 99,842 | 99,000 | 99,000 | 98,990 | filter H kept 99,000 questions; "
        "decontamination, dedup removed 10 |"
    ) in table
    assert (
        "| `crossthink_qa` | 192,930 | 187,496 | 187,000 | 187,000 | 187,000 | the upstream source has 187,496 valid records; filter H kept 187,000 questions |"
        in table
    )
    blends = blends_table(report)
    assert (
        "| `blend-natural` | 10 | 10 | own form | numina_math 87,350, mmlu_train 98,990, crossthink_qa 187,000 |"
        in blends
    )
    assert "| `blend-mcq_2to1` | 9 | 9 | template per question | mmlu_train 9 |" in blends
