"""Decontamination against real MATH-500 and AGIEval rows (tests/data/curation, see README there)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from crossthink_data.curation.decont import DecontSettings, decontaminate, load_benchmark_dir
from crossthink_data.record import QARecord
from crossthink_data.rows import iter_rows
from crossthink_data.sources import get_source
from crossthink_data.templates import render


def _bench(test_data: Path, name: str) -> list[dict]:
    return [
        json.loads(line) for line in (test_data / "curation" / "benchmarks" / name).read_text().splitlines()
    ]


def _sat_options(row: dict) -> list[str]:
    return [re.sub(r"^\([A-E]\)\s*", "", o) for o in row["options"]]


def _reword(text: str) -> str:
    """Light rewording a scraper or a rewriter produces: a lead-in, case and spacing changes."""
    return "Solve the following problem.  " + text.replace(". ", ".   ").upper()


def _rows(records: list[tuple[str, QARecord]]) -> list[dict]:
    rows = []
    for tag, record in records:
        for template in ("mcq", "open") if record.is_mcq else ("open",):
            row = render(record, template)
            row["provenance"] = json.dumps({"tag": tag})
            rows.append(row)
    return rows


@pytest.fixture(scope="module")
def seeded(test_data: Path, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A training set: verbatim and reworded benchmark rows among unrelated real rows."""
    math500 = _bench(test_data, "math500/test.jsonl")
    sat = _bench(test_data, "agieval_v1/sat-math.jsonl")
    logiqa = _bench(test_data, "agieval_v1/logiqa-en.jsonl")
    long_math = [r for r in math500 if len(r["problem"].split()) >= 30]
    records: list[tuple[str, QARecord]] = []
    for r in math500[:8]:
        records.append(
            ("verbatim:math500", QARecord("numina_math", "math", "math", r["problem"], r["answer"]))
        )
    for r in long_math[-5:]:
        records.append(
            ("reworded:math500", QARecord("numina_math", "math", "math", _reword(r["problem"]), r["answer"]))
        )
    for r in sat[:6]:
        q = QARecord("syn_qa", "math", "math", r["question"], r["label"], options=_sat_options(r))
        records.append(("verbatim:agieval_v1", q))
    for r in logiqa[:4]:
        question = r["passage"] + "\n" + r["question"]
        q = QARecord("syn_qa", "gpr", "other", question, r["label"], options=_sat_options(r))
        records.append(("verbatim:agieval_v1", q))
        reworded = QARecord("syn_qa", "gpr", "other", _reword(question), r["label"], options=_sat_options(r))
        records.append(("reworded:agieval_v1", reworded))
    for source in ("gsm8k", "mmlu_train"):
        for record in get_source(source).records(from_dir=test_data / "curation" / source):
            records.append(("unrelated", record))
    folder = tmp_path_factory.mktemp("seeded") / "rows"
    folder.mkdir()
    rows = _rows(records)
    with (folder / "rows.jsonl").open("w") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
    tags = {(row["id"], row["template"]): json.loads(row["provenance"])["tag"] for row in rows}
    return folder, tags


@pytest.fixture(scope="module")
def decont_result(seeded, test_data: Path, tmp_path_factory):
    folder, _ = seeded
    out = tmp_path_factory.mktemp("decont")
    report = decontaminate(folder, out, test_data / "curation" / "benchmarks")
    return out, report


def test_verbatim_and_reworded_benchmark_rows_are_removed_unrelated_kept(seeded, decont_result) -> None:
    _, tags = seeded
    out, report = decont_result
    kept = {(r["id"], r["template"]) for r in iter_rows(out / "data")}
    kept_tags = {tags[k] for k in kept}
    assert kept_tags == {"unrelated"}
    unrelated = {k for k, tag in tags.items() if tag == "unrelated"}
    assert kept == unrelated  # every unrelated row survives, nothing else does
    assert report.rows_in == len(tags)
    assert report.removed == len(tags) - len(unrelated)


def test_report_counts_hits_per_benchmark_with_their_ngram(seeded, decont_result) -> None:
    _, tags = seeded
    out, report = decont_result
    expected = {"math500": 0, "agieval_v1": 0}
    for tag in tags.values():
        if tag != "unrelated":
            expected[tag.split(":")[1]] += 1
    assert {b: v["hits"] for b, v in report.per_benchmark.items()} == expected
    assert set(report.per_benchmark["agieval_v1"]["tasks"]) == {"agieval_v1:sat-math", "agieval_v1:logiqa-en"}
    on_disk = json.loads((out / "report.json").read_text())
    assert on_disk["removed"] == report.removed
    for benchmark, info in report.per_benchmark.items():
        for example in info["examples"]:
            words = example["ngram"].split()
            assert len(words) == 12 or example["ngram"] == " ".join(
                words
            )  # an n-gram or a whole short question
            simplified = re.sub(r"[^a-z0-9]+", " ", example["question"].lower())
            assert all(w in simplified.split() or not w.isalnum() for w in words), (benchmark, example)


def test_short_question_matches_whole_and_number_change_survives(test_data: Path, tmp_path: Path) -> None:
    """'How many positive whole-number divisors does 196 have?' has 8 words: no 12-gram exists."""
    problem = next(
        r for r in _bench(test_data, "math500/test.jsonl") if r["problem"].startswith("How many positive")
    )
    copy = QARecord("numina_math", "math", "math", problem["problem"], problem["answer"])
    variant = QARecord("numina_math", "math", "math", problem["problem"].replace("196", "200"), "12")
    folder = tmp_path / "rows"
    folder.mkdir()
    (folder / "rows.jsonl").write_text(
        "\n".join(json.dumps(render(r, "open")) for r in (copy, variant)) + "\n"
    )
    report = decontaminate(folder, tmp_path / "out", test_data / "curation" / "benchmarks")
    kept = [r["question"] for r in iter_rows(tmp_path / "out" / "data")]
    assert kept == [variant.question]
    assert (
        report.per_benchmark["math500"]["examples"][0]["ngram"]
        == "how many positive whole number divisors does 196 have"
    )


def test_min_overlap_separates_boilerplate_from_copies(test_data: Path, tmp_path: Path) -> None:
    """A GSM8K question that borrows one MATH-500 sentence shares a few n-grams, not half of them."""
    gsm = next(iter(get_source("gsm8k").records(from_dir=test_data / "curation" / "gsm8k")))
    borrowed = _bench(test_data, "math500/test.jsonl")[12]["problem"].split(". ")[
        0
    ]  # "The proper divisors of 12 ..."
    mixed = QARecord("syn_qa", "math", "math", gsm.question + " " + borrowed + ".", gsm.answer)
    folder = tmp_path / "rows"
    folder.mkdir()
    (folder / "rows.jsonl").write_text(json.dumps(render(mixed, "open")) + "\n")
    benchmarks = test_data / "curation" / "benchmarks"
    default = decontaminate(folder, tmp_path / "default", benchmarks)
    any_hit = decontaminate(folder, tmp_path / "any", benchmarks, DecontSettings(min_overlap=0.0))
    assert (default.kept, default.removed) == (1, 0)
    assert (any_hit.kept, any_hit.removed) == (0, 1)


def test_benchmark_loader_reads_through_the_evaluations_definitions(tmp_path: Path) -> None:
    """MMLU's csv files, MMLU-Pro's json array: read by crossthink_eval.benchmarks, reported per folder."""
    root = tmp_path / "benchmarks"
    (root / "mmlu" / "test").mkdir(parents=True)
    (root / "mmlu" / "test" / "anatomy_test.csv").write_text(
        "question,choice0,choice1,choice2,choice3,answer\n"
        '"Which of these branches of the trigeminal nerve contain somatic motor processes?",'
        '"The supraorbital nerve","The infraorbital nerve","The mental nerve","None of the above",3\n'
    )
    (root / "mmlu_pro").mkdir()
    (root / "mmlu_pro" / "test.json").write_text(
        json.dumps([{"question": "Q one?", "options": ["a", "b"], "answer": "A", "answer_index": 0}])
    )
    (root / "aime24").mkdir()  # not one of the evaluation's benchmarks: not indexed
    (root / "aime24" / "test.jsonl").write_text(json.dumps({"problem": "Find x.", "answer": "1"}) + "\n")
    items = list(load_benchmark_dir(root))
    assert [(i.benchmark, i.task) for i in items] == [("mmlu", "mmlu:test"), ("mmlu_pro", "mmlu_pro:test")]
    assert items[0].gold == "None of the above" and "The mental nerve" in items[0].query
    with pytest.raises(FileNotFoundError, match="does not exist"):
        list(load_benchmark_dir(tmp_path / "missing"))


def _gpqa_row(question: str, correct: str, wrong: list[str]) -> dict:
    return {
        "Question": question,
        "Correct Answer": correct,
        **{f"Incorrect Answer {i}": w for i, w in enumerate(wrong, 1)},
        "High-level domain": "Physics",
    }


def test_gpqa_questions_are_indexed_with_their_options(tmp_path: Path) -> None:
    """GPQA keeps its options in Correct Answer / Incorrect Answer N; a training MCQ copying a short
    GPQA question with its options is caught, the same question with other options is not."""
    question = "Which particle mediates the electromagnetic force?"  # under 12 words: matched whole
    options = ["photon", "gluon", "W boson", "graviton"]
    root = tmp_path / "benchmarks" / "gpqa_diamond"
    root.mkdir(parents=True)
    (root / "test.jsonl").write_text(json.dumps(_gpqa_row(question, options[0], options[1:])) + "\n")
    (gpqa,) = load_benchmark_dir(tmp_path / "benchmarks")
    assert gpqa.task == "gpqa_diamond:test" and gpqa.gold == "photon"
    assert all(option in gpqa.query for option in options)  # the guessed columns missed these
    from crossthink_eval.benchmarks import gpqa_item

    order = gpqa_item(_gpqa_row(question, options[0], options[1:])).options  # the evaluated order
    copy = QARecord("syn_qa", "gpr", "stem", question, "ABCD"[order.index("photon")], options=order)
    other = QARecord(
        "syn_qa", "gpr", "stem", question, "A", options=["proton", "neutron", "electron", "muon"]
    )
    folder = tmp_path / "rows"
    folder.mkdir()
    (folder / "rows.jsonl").write_text("".join(json.dumps(render(r, "mcq")) + "\n" for r in (copy, other)))
    report = decontaminate(folder, tmp_path / "out", tmp_path / "benchmarks")
    kept = [r["options"] for r in iter_rows(tmp_path / "out" / "data")]
    assert report.removed == 1 and report.per_benchmark["gpqa_diamond"]["hits"] == 1
    assert kept == [["proton", "neutron", "electron", "muon"]]


def test_bad_settings_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="n_grams must be at least 3"):
        DecontSettings(n_grams=2).datatrove_config()


@pytest.mark.slow
def test_index_from_lighteval_task_names(test_data: Path, tmp_path: Path, monkeypatch) -> None:
    """The repository's lighteval custom tasks, reading the same benchmark rows from local files."""
    monkeypatch.setenv("CROSSTHINK_EVAL_DATA_DIR", str(test_data / "curation" / "benchmarks"))
    custom_tasks = "crossthink_eval.crossthink_tasks"  # a module name, as lighteval's --custom-tasks takes
    math500 = _bench(test_data, "math500/test.jsonl")
    gsm = next(iter(get_source("gsm8k").records(from_dir=test_data / "curation" / "gsm8k")))
    rows = [
        render(QARecord("numina_math", "math", "math", r["problem"], r["answer"]), "open")
        for r in math500[:5]
    ]
    rows.append(render(gsm, "open"))
    folder = tmp_path / "rows"
    folder.mkdir()
    (folder / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = decontaminate(
        folder, tmp_path / "out", "crossthink_math_500,crossthink_agieval", custom_tasks=custom_tasks
    )
    kept = [r["question"] for r in iter_rows(tmp_path / "out" / "data")]
    long_enough = [r["problem"] for r in math500[:5] if len(r["problem"].split()) >= 12]
    assert gsm.question in kept
    assert not set(long_enough) & set(kept)
    assert set(report.per_benchmark) == {"crossthink_math_500"}
