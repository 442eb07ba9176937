"""Benchmark row adapters, short names and the local-data switch, on real benchmark rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crossthink_eval.benchmarks import (
    AGIEVAL_SUBSETS,
    BENCHMARKS,
    DATA_DIR_ENV,
    BenchmarkRowError,
    UnknownBenchmarkError,
    agieval_item,
    data_sources,
    gpqa_item,
    local_data_dir,
    local_rows,
    read_benchmarks,
    resolve_benchmark,
    supergpqa_item,
)
from tests.helpers.paths import TEST_DATA

BENCH = TEST_DATA / "benchmarks"


def jsonl(relative: str) -> list[dict]:
    return [json.loads(line) for line in (BENCH / relative).read_text(encoding="utf-8").splitlines()]


def test_seven_benchmarks_with_prefixed_task_names():
    assert list(BENCHMARKS) == [
        "math_500",
        "amc23",
        "mmlu",
        "mmlu_pro",
        "gpqa_diamond",
        "agieval",
        "supergpqa",
    ]
    assert {b.task_name for b in BENCHMARKS.values()} == {
        "crossthink_math_500",
        "crossthink_amc23",
        "crossthink_mmlu",
        "crossthink_mmlu_pro",
        "crossthink_gpqa_diamond",
        "crossthink_agieval",
        "crossthink_supergpqa",
    }


def test_short_and_prefixed_names_resolve_and_unknown_names_list_the_choices():
    assert resolve_benchmark("math_500") is resolve_benchmark("crossthink_math_500")
    with pytest.raises(UnknownBenchmarkError, match=r"'math500'.*math_500, amc23, mmlu"):
        resolve_benchmark("math500")
    with pytest.raises(UnknownBenchmarkError, match="gpqa"):
        resolve_benchmark("gpqa:diamond")


def test_task_names_do_not_clash_with_lighteval_builtins():
    """lighteval refuses custom tasks named like a built-in; the registry would raise."""
    from lighteval.tasks.registry import Registry

    from crossthink_eval import crossthink_tasks
    from crossthink_eval.lighteval_setup import ensure_offline_ready

    ensure_offline_ready()  # lighteval's registry otherwise downloads tinyBenchmarks.pkl
    builtins = Registry.load_all_task_configs()
    ours = {config.name for config in crossthink_tasks.TASKS_TABLE}
    assert ours and not ours & set(builtins)
    assert "math_500" in builtins and "mmlu_pro" in builtins  # the names ours would have clashed with


def test_supergpqa_sample_options_are_split_out_of_the_question():
    for row in jsonl("supergpqa_sample300/test.jsonl"):
        item = supergpqa_item(row)
        letter, text = row["answer"].split(". ", 1)
        assert item.gold == letter
        assert item.options["ABCDEFGHIJ".index(letter)] == text.strip()
        assert "Options are:" not in item.question


def test_supergpqa_upstream_schema():
    """A row in m-a-p/SuperGPQA's schema (options list + answer_letter), written for the test."""
    row = {
        "question": "Which gas makes up most of Earth's atmosphere?",
        "options": ["Oxygen", "Nitrogen", "Argon", "Carbon dioxide"],
        "answer": "Nitrogen",
        "answer_letter": "B",
        "discipline": "Science",
    }
    item = supergpqa_item(row)
    assert (item.gold, item.options, item.question) == ("B", row["options"], row["question"])


def test_agieval_hub_copy_reads_like_the_upstream_rows():
    """hails/agieval-* (lm-eval-harness) preformats rows; this one is aqua-rat's first real row
    rewritten in that format for the test."""
    upstream = jsonl("agieval_v1/aqua-rat.jsonl")[0]
    harness = {
        "query": "Q: "
        + upstream["question"]
        + " Answer Choices: "
        + " ".join(upstream["options"])
        + "\nA: Among A through E, the answer is",
        "choices": upstream["options"],
        "gold": [0],
    }
    a, b = agieval_item(upstream), agieval_item(harness)
    assert (a.question, a.options, a.gold, a.kind) == (b.question, b.options, b.gold, b.kind)
    assert a.gold == upstream["label"] == "A"


def test_agieval_passage_goes_before_the_question():
    row = jsonl("agieval_v1/lsat-ar.jsonl")[0]
    item = agieval_item(row)
    assert item.question.startswith(row["passage"]) and item.question.endswith(row["question"])


def test_gpqa_option_order_is_stable_and_holds_the_correct_answer():
    row = jsonl("gpqa_diamond/test.jsonl")[0]
    first, again = gpqa_item(row), gpqa_item(dict(row))
    assert first == again
    assert first.options[ord(first.gold) - ord("A")] == row["Correct Answer"]
    assert sorted(first.options) == sorted(
        [
            row["Correct Answer"],
            row["Incorrect Answer 1"],
            row["Incorrect Answer 2"],
            row["Incorrect Answer 3"],
        ]
    )


def test_bad_rows_name_the_benchmark_and_the_problem():
    with pytest.raises(BenchmarkRowError, match="agieval: label 'F'"):
        agieval_item({"question": "q", "options": ["(A)x", "(B)y"], "label": "F"})
    with pytest.raises(BenchmarkRowError, match="mmlu_pro: gold index 5 outside 2 options"):
        BENCHMARKS["mmlu_pro"].adapter({"question": "q", "options": ["x", "y"], "answer_index": 5})
    with pytest.raises(BenchmarkRowError, match="amc23: row has no answer"):
        BENCHMARKS["amc23"].adapter({"question": "q"})


def test_hub_sources_by_default(monkeypatch):
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    assert local_data_dir() is None
    math = data_sources(BENCHMARKS["math_500"])
    assert math == {None: math[None]} and math[None].hf_repo == "HuggingFaceH4/MATH-500"
    agieval = data_sources(BENCHMARKS["agieval"])
    assert set(agieval) == set(AGIEVAL_SUBSETS)
    assert agieval["lsat-ar"].hf_repo == "hails/agieval-lsat-ar"
    assert data_sources(BENCHMARKS["gpqa_diamond"])[None].split == "train"


def _view_rows(source) -> list[dict]:
    return [json.loads(line) for line in (Path(source.hf_repo) / "test.jsonl").read_text().splitlines()]


def test_local_layout_of_shared_benchmarks(tmp_path, monkeypatch):
    """Each local (sub)task is a view folder holding exactly the rows the one reader read."""
    monkeypatch.setenv("CROSSTHINK_EVAL_VIEW_DIR", str(tmp_path / "views"))
    data_dir = local_data_dir(str(BENCH))
    assert _view_rows(data_sources(BENCHMARKS["math_500"], data_dir)[None]) == jsonl("math500/test.jsonl")
    assert _view_rows(data_sources(BENCHMARKS["mmlu"], data_dir)[None]) == jsonl("mmlu_stem/test.jsonl")
    supergpqa = data_sources(BENCHMARKS["supergpqa"], data_dir)[None]
    assert _view_rows(supergpqa) == jsonl("supergpqa_sample300/test.jsonl")
    agieval = data_sources(BENCHMARKS["agieval"], data_dir)
    assert set(agieval) == set(AGIEVAL_SUBSETS)
    view = Path(agieval["lsat-ar"].hf_repo)
    assert _view_rows(agieval["lsat-ar"]) == jsonl("agieval_v1/lsat-ar.jsonl")
    assert list(view.iterdir()) == [view / "test.jsonl"]  # one subset per folder


def _mmlu_release(root: Path) -> None:
    """The original MMLU release's layout (as ../shared/data/benchmarks/mmlu): dev/val/test csv files."""
    header = "question,choice0,choice1,choice2,choice3,answer\n"
    for split in ("dev", "val", "test"):
        (root / "mmlu" / split).mkdir(parents=True)
    (root / "mmlu" / "test" / "anatomy_test.csv").write_text(
        header + "Which organ pumps blood?,Heart,Liver,Lung,Skin,0\n"
    )
    (root / "mmlu" / "test" / "high_school_us_history_test.csv").write_text(
        header + '"In which year did the war end, as the passage says?",1861,1865,1870,1880,1\n'
    )
    (root / "mmlu" / "val" / "anatomy_val.csv").write_text("Not a test question?,a,b,c,d,A\n")
    (root / "mmlu_stem").mkdir()
    (root / "mmlu_stem" / "test.jsonl").write_text((BENCH / "mmlu_stem" / "test.jsonl").read_text())


def test_mmlu_reads_the_full_57_subject_test_set_when_the_folder_has_it(tmp_path):
    _mmlu_release(tmp_path)
    (part,) = local_rows(BENCHMARKS["mmlu"], tmp_path)
    items = list(part.items())
    assert [(i.subject, i.gold, i.options[int(i.gold == "B")]) for i in items] == [
        ("anatomy", "A", "Heart"),
        ("high_school_us_history", "B", "1865"),
    ]
    assert part.task == "mmlu:test"  # the test split only: the val row is not read


def test_mmlu_full_set_on_the_shared_data():
    """../shared/data/benchmarks/mmlu holds the 57 subjects' 14,042 test questions."""
    shared = Path("/work/shared/data/benchmarks")
    if not (shared / "mmlu" / "test").is_dir():
        pytest.skip("no shared MMLU copy on this machine")
    (part,) = local_rows(BENCHMARKS["mmlu"], shared)
    subjects = {row["subject"] for row in part.rows}
    assert len(subjects) == 57 and len(part.rows) == 14042


def test_read_benchmarks_by_any_name_and_gpqa_with_its_options():
    """Short names, task names and folder names pick the same benchmark; GPQA's columns become options."""
    picked = [p.benchmark.short_name for p in read_benchmarks(BENCH, ["crossthink_gpqa_diamond", "math500"])]
    assert picked == ["gpqa_diamond", "math_500"]
    (gpqa,) = read_benchmarks(BENCH, ["gpqa_diamond"])
    row = gpqa.rows[0]
    item = next(gpqa.items())
    assert sorted(item.options) == sorted(
        [row["Correct Answer"]] + [row[f"Incorrect Answer {i}"] for i in (1, 2, 3)]
    )
    assert item.options["ABCD".index(item.gold)] == row["Correct Answer"]
    with pytest.raises(UnknownBenchmarkError):
        list(read_benchmarks(BENCH, ["aime24"]))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        list(read_benchmarks(BENCH / "missing"))


def test_local_dir_without_a_benchmark_or_subset(tmp_path, monkeypatch):
    monkeypatch.setenv("CROSSTHINK_EVAL_VIEW_DIR", str(tmp_path / "views"))
    (tmp_path / "agieval_v1").mkdir()
    (tmp_path / "agieval_v1" / "sat-math.jsonl").write_text(
        (BENCH / "agieval_v1" / "sat-math.jsonl").read_text()
    )
    assert data_sources(BENCHMARKS["math_500"], tmp_path) == {}
    assert list(data_sources(BENCHMARKS["agieval"], tmp_path)) == ["sat-math"]
    with pytest.raises(FileNotFoundError, match="is not a directory"):
        local_data_dir(str(tmp_path / "missing"))


def test_local_rows_load_with_datasets_as_lighteval_loads_them(tmp_path, monkeypatch):
    """lighteval calls load_dataset(path=hf_repo, name=hf_subset) and scores `split`."""
    from datasets import load_dataset

    monkeypatch.setenv("CROSSTHINK_EVAL_VIEW_DIR", str(tmp_path / "views"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    data_dir = local_data_dir(str(BENCH))
    counts = {}
    for benchmark in BENCHMARKS.values():
        for subset, source in data_sources(benchmark, data_dir).items():
            split = load_dataset(source.hf_repo, name=source.hf_subset)[source.split]
            items = [benchmark.adapter(row) for row in split]
            counts[(benchmark.short_name, subset)] = len(items)
    assert counts[("mmlu_pro", None)] == 6
    assert counts[("agieval", "math")] == 2
    assert counts[("gpqa_diamond", None)] == 3
    assert len(counts) == 6 + len(AGIEVAL_SUBSETS)
