"""Source adapters: upstream rows -> QARecords.

Real rows (tests/data/sources/, copied from ../shared/data, see the README there) are checked
against values read by hand from the raw files. Natural Reasoning, NuminaMath-CoT and NVIDIA's
CrossThink files cannot be downloaded here: their tests use rows WRITTEN FOR THE TEST in the
documented upstream schema (marked "schema-written" below).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crossthink_data.categories import MMLU_SUBJECT_CATEGORY, mmlu_category
from crossthink_data.record import CATEGORIES, DOMAINS, QARecord, RecordError
from crossthink_data.sources import DEMO_SOURCES, SOURCES, SourceAdapter, TableAdapter, get_source
from tests.helpers.paths import TEST_DATA

DATA = TEST_DATA / "sources"


def records_and_errors(adapter: SourceAdapter, from_dir: Path) -> tuple[list[QARecord], list[RecordError]]:
    out = list(adapter.records(from_dir=from_dir))
    return [r for r in out if isinstance(r, QARecord)], [e for e in out if isinstance(e, RecordError)]


def raw_json(name: str) -> list[dict]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def raw_jsonl(name: str) -> list[dict]:
    return [
        json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()
    ]


# ---- registry ----------------------------------------------------------------------------------


def test_registry_has_every_source_with_card_metadata():
    assert set(SOURCES) == {
        "mmlu_train",
        "natural_reasoning",
        "numina_math",
        "math_train",
        "crossthink_qa",
        "crossthink_math",
        "arc_challenge",
        "gsm8k",
        "agieval_math",
    }
    for name, adapter in SOURCES.items():
        assert adapter.name == name
        assert adapter.domain in DOMAINS
        assert adapter.citation.lstrip().startswith("@"), name
        assert len(adapter.description) > 80, name
        assert adapter.license in {"mit", "cc-by-nc-4.0", "cc-by-sa-4.0", "apache-2.0", "cc-by-4.0"}, name
    # Natural Reasoning is CC-BY-NC-4.0: the only non-commercial source.
    assert [n for n, a in SOURCES.items() if not a.commercial_use] == ["natural_reasoning"]
    assert (
        SOURCES["mmlu_train"].hub_id == "cais/mmlu" and SOURCES["mmlu_train"].hub_config == "auxiliary_train"
    )


def test_get_source_unknown_name_lists_known_names():
    assert get_source("gsm8k") is SOURCES["gsm8k"]
    with pytest.raises(KeyError) as info:
        get_source("mmlu_pro")
    assert (
        "mmlu_pro" in str(info.value) and "mmlu_train" in str(info.value) and "numina_math" in str(info.value)
    )


# ---- MMLU auxiliary train ----------------------------------------------------------------------


def test_mmlu_local_csv_rows():
    records, errors = records_and_errors(get_source("mmlu_train"), DATA / "mmlu_auxiliary_train")
    assert errors == [] and len(records) == 8
    first = records[0]  # science_elementary.csv line 1
    assert first.question.startswith("Sir Isaac Newton determined that white light")
    assert first.options == ["a prism", "a telescope", "a microscope", "a magnifying glass"]
    assert (first.answer, first.answer_text) == ("A", "a prism")
    assert (first.domain, first.category, first.subject) == ("gpr", "stem", "science_elementary")
    # line 2 quotes a question containing commas
    assert records[1].question == (
        "With a microscope, you see that an object has a cell wall, a chloroplast, and a nucleus. What is being observed?"
    )
    assert records[2].answer == "D" and records[2].answer_text.startswith("Tag several sharks")
    middle = [r for r in records if r.subject == "science_middle"]
    assert records[4].answer_text == "water, weathered rock, and humus"
    assert len(middle) == 3 and middle[0].answer_text == "hypothesis, theory, law"


def test_mmlu_hub_schema_rows_flat_and_nested():
    adapter = get_source("mmlu_train")
    row = {
        "question": "Which occurs as a result of Earth's tilt on its rotating axis?",
        "subject": "",
        "choices": [
            "movement of the tides",
            "prevalent or trade winds",
            "seasonal changes in the climate",
            "light and dark changes of day and night",
        ],
        "answer": 2,
    }
    flat, nested = adapter.to_record(row), adapter.to_record({"train": row})
    assert (flat.answer, flat.answer_text) == ("C", "seasonal changes in the climate")
    assert flat.category == "other" and flat.subject is None  # empty aux-train subject: documented default
    assert nested.id == flat.id
    physics = adapter.to_record({**row, "subject": "college_physics"})
    assert physics.category == "stem" and physics.subject == "college_physics"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"answer": 4}, "out of range"),
        ({"answer": -1}, "out of range"),
        ({"answer": None}, "option index"),
        ({"question": "   "}, "empty 'question'"),
        ({"choices": ["only one"]}, "choices"),
    ],
)
def test_mmlu_bad_rows(change, message):
    row = {"question": "What is 2+2?", "subject": "", "choices": ["1", "2", "3", "4"], "answer": 3} | change
    with pytest.raises(RecordError, match=message):
        get_source("mmlu_train").to_record(row)


def test_mmlu_local_bad_letter_is_rejected_not_crashed(tmp_path):
    (tmp_path / "obqa.csv").write_text("What is 2+2?,1,2,3,4,E\nWhat is 1+1?,1,2,3,4,B\n", encoding="utf-8")
    records, errors = records_and_errors(get_source("mmlu_train"), tmp_path)
    assert [r.answer_text for r in records] == ["2"] and records[0].category == "stem"
    assert len(errors) == 1 and "out of range" in str(errors[0]) and errors[0].row["answer"] == 4


def test_mmlu_category_table():
    assert len(MMLU_SUBJECT_CATEGORY) == 57
    assert set(MMLU_SUBJECT_CATEGORY.values()) == {"stem", "humanities", "social_sciences", "other"}
    assert mmlu_category("college_physics") == "stem"
    assert mmlu_category("High School US History") == "humanities"
    assert mmlu_category("sociology") == "social_sciences"
    assert mmlu_category("virology") == "other"
    assert mmlu_category("race") == "other" and mmlu_category("arc_hard") == "stem"
    assert (
        mmlu_category("") == "other" and mmlu_category("underwater basket weaving", default="stem") == "stem"
    )


# ---- ARC-Challenge -----------------------------------------------------------------------------


def test_arc_rows_from_mui_eval_layout():
    records, errors = records_and_errors(get_source("arc_challenge"), DATA / "arc_challenge")
    assert len(records) == 6 and len(errors) == 2
    by_question = {r.question: r for r in records}
    water = by_question["Which of these is an example of liquid water?"]
    assert water.options == ["Frost", "Ice", "Rain", "Steam"]
    assert (water.answer, water.answer_text, water.domain, water.category) == ("C", "Rain", "gpr", "stem")
    # gold followed by a model-written explanation
    wind = records[0]
    assert wind.question.endswith("What is one way to prevent wind erosion?")
    assert wind.answer == "C" and wind.answer_text.startswith("Construction workers can wet the ground")
    # options numbered 1-4 become A-D
    numbered = next(r for r in records if r.question.endswith("usually occur as the result of"))
    assert numbered.options == ["competition", "conservation", "decomposition", "pollution"]
    assert numbered.answer == "A"
    assert [len(r.options) for r in records] == [4, 4, 4, 4, 5, 3]
    assert (
        records[-1].options == ["slower", "faster", "in the same amount of time"]
        and records[-1].answer == "A"
    )


def test_arc_rejects_name_the_problem():
    _, errors = records_and_errors(get_source("arc_challenge"), DATA / "arc_challenge")
    no_label, mismatch = errors
    assert "does not start with an option label" in str(no_label)
    assert no_label.row["answer"].startswith("When 10 grams of water")
    assert "does not match option D" in str(mismatch)  # "Ice had a density" vs "Ice has a density"
    assert str(no_label).startswith("arc_challenge row 3:")


def test_arc_hub_schema_gives_the_same_record_as_the_local_layout():
    hub_row = {  # written in allenai/ai2_arc's schema, same question as local row 1
        "id": "test-1",
        "question": "Which of these is an example of liquid water?",
        "choices": {"text": ["Frost", "Ice", "Rain", "Steam"], "label": ["A", "B", "C", "D"]},
        "answerKey": "C",
    }
    adapter = get_source("arc_challenge")
    local = adapter.to_record(raw_json("arc_challenge/arc_challenge_train.json")[1])
    hub = adapter.to_record(hub_row)
    assert hub.id == local.id and hub.answer_text == "Rain"
    numeric = adapter.to_record(
        hub_row | {"choices": {"text": ["a", "b", "c"], "label": ["1", "2", "3"]}, "answerKey": "2"}
    )
    assert numeric.answer == "B"
    with pytest.raises(RecordError, match="answerKey 'E' is not among the labels"):
        adapter.to_record(hub_row | {"answerKey": "E"})


def test_arc_missing_answer_and_missing_options():
    adapter = get_source("arc_challenge")
    with pytest.raises(RecordError, match="missing 'answer'"):
        adapter.to_record({"question": "Which?\nA. x\nB. y\n"})
    with pytest.raises(RecordError, match="no option lines"):
        adapter.to_record({"question": "Why is the sky blue?", "answer": "A. scattering"})


# ---- GSM8K / AGIEval math ----------------------------------------------------------------------


def test_gsm8k_final_answer_after_hashes():
    records, errors = records_and_errors(get_source("gsm8k"), DATA / "gsm8k")
    assert errors == []
    assert [r.answer for r in records] == ["18", "3", "70000", "540", "20", "2125"]  # idx 146: "#### 2,125"
    assert records[0].question.startswith("Janet\u2019s ducks lay 16 eggs per day.")
    assert all((r.domain, r.category, r.options) == ("math", "math", None) for r in records)
    assert records[-1].provenance["upstream_id"] == 146


def test_gsm8k_bad_rows():
    adapter = get_source("gsm8k")
    with pytest.raises(RecordError, match="no '####'"):
        adapter.to_record({"question": "How many?", "answer": "It is 4."})
    with pytest.raises(RecordError, match="empty final answer"):
        adapter.to_record({"question": "How many?", "answer": "It is 4.\n#### "})
    with pytest.raises(RecordError, match="empty 'question'"):
        adapter.to_record({"question": "", "answer": "#### 4"})


def test_agieval_math_rows():
    records, errors = records_and_errors(get_source("agieval_math"), DATA / "agieval_math")
    assert errors == [] and len(records) == 20
    first = records[0]
    assert first.question.startswith("Let $\\lambda$ be a constant, $0 \\le \\lambda \\le 4,$")
    assert (first.answer, first.subject, first.provenance["level"]) == ("(3,4]", "Intermediate Algebra", 5)
    assert records[1].answer == "30" and records[1].subject == "Counting & Probability"
    with pytest.raises(RecordError, match="missing 'answer'"):
        get_source("agieval_math").to_record(
            {"passage": None, "question": "Q?", "answer": None, "label": "B"}
        )


# ---- MATH train --------------------------------------------------------------------------------


def test_math_train_answer_only_layout():
    records, errors = records_and_errors(get_source("math_train"), DATA / "math_train")
    assert [r.answer for r in records] == ["0", "98", "4", "17", "6"]
    assert records[0].subject == "Algebra" and records[0].provenance["level"] == 5.0
    assert records[1].question.startswith("A rectangular band formation")
    assert len(errors) == 1 and "empty 'answer'" in str(errors[0])  # row 5328 ships answer ""


def test_math_train_hub_and_tarball_layout(tmp_path):
    row = {  # written in EleutherAI/hendrycks_math's schema
        "problem": "What is $\\frac{1}{4}+\\frac{1}{4}$?",
        "level": "Level 1",
        "type": "Prealgebra",
        "solution": "We add: $\\frac{1}{4}+\\frac{1}{4}=\\boxed{\\frac{1}{2}}$.",
    }
    (tmp_path / "train" / "prealgebra").mkdir(parents=True)
    (tmp_path / "train" / "prealgebra" / "1.json").write_text(json.dumps(row), encoding="utf-8")
    (record,) = list(get_source("math_train").records(from_dir=tmp_path))
    assert (record.answer, record.subject, record.provenance["level"]) == (
        "\\frac{1}{2}",
        "Prealgebra",
        "Level 1",
    )
    with pytest.raises(RecordError, match="no \\\\boxed"):
        get_source("math_train").to_record(row | {"solution": "The answer is 1/2."})


# ---- Natural Reasoning (schema-written rows) ---------------------------------------------------

NATURAL_REASONING_ROW = {  # written for the test in facebook/natural_reasoning's schema
    "question": "A ball is dropped from rest from a height of 20 m. Taking g = 10 m/s^2, how long does it take to reach the ground?",
    "reference_answer": "2 s",
    "responses": [{"response_model": "Llama-3.3-70B-Instruct", "response": "Using h = g t^2 / 2, t = 2 s."}],
}


def test_natural_reasoning_row():
    record = get_source("natural_reasoning").to_record(NATURAL_REASONING_ROW)
    assert record.question == NATURAL_REASONING_ROW["question"]
    assert (record.answer, record.options, record.answer_text) == ("2 s", None, None)
    assert (record.domain, record.category) == ("gpr", "other")
    assert record.provenance["license"] == "cc-by-nc-4.0"
    assert record.provenance["response_models"] == ["Llama-3.3-70B-Instruct"]


@pytest.mark.parametrize("reference", ["", "   ", None])
def test_natural_reasoning_without_reference_answer_is_rejected(reference):
    with pytest.raises(RecordError, match="reference_answer"):
        get_source("natural_reasoning").to_record(NATURAL_REASONING_ROW | {"reference_answer": reference})


# ---- NuminaMath-CoT (schema-written rows) ------------------------------------------------------

NUMINA_ROWS = [  # written for the test in AI-MO/NuminaMath-CoT's schema
    {
        "source": "synthetic_math",
        "problem": "Compute $\\sum_{k=1}^{3} 2^{k}$.",
        "solution": "We have $2+4+8$. First guess \\boxed{12}? No: $2+4+8=\\boxed{2^{4}-2}=14$.",
        "messages": [{"role": "user", "content": "Compute ..."}, {"role": "assistant", "content": "..."}],
    },
    {
        "source": "cn_k12",
        "problem": "Which number is prime?\nA: $4$\nB: $6$\nC: $7$\nD: $9$",
        "solution": "Only 7 has no divisor other than 1 and itself, so the answer is $\\boxed{C}$.",
        "messages": [],
    },
    {
        "source": "olympiads",
        "problem": "Prove that $n^2+n$ is even.",
        "solution": "It is $n(n+1)$.",
        "messages": [],
    },
]


def test_numina_last_box_with_nested_braces():
    record = get_source("numina_math").to_record(NUMINA_ROWS[0])
    assert record.answer == "2^{4}-2"
    assert (record.domain, record.category, record.subject) == ("math", "math", "synthetic_math")


def test_numina_multiple_choice_problem_keeps_options():
    record = get_source("numina_math").to_record(NUMINA_ROWS[1])
    assert record.question == "Which number is prime?"
    assert record.options == ["$4$", "$6$", "$7$", "$9$"]
    assert (record.answer, record.answer_text) == ("C", "$7$")


def test_numina_rejects():
    adapter = get_source("numina_math")
    with pytest.raises(RecordError, match="no \\\\boxed"):
        adapter.to_record(NUMINA_ROWS[2])
    with pytest.raises(RecordError, match="option letter but the problem has no such option"):
        adapter.to_record(NUMINA_ROWS[1] | {"problem": "Which number is prime?"})


def test_numina_reads_hub_parquet_layout(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "data").mkdir()
    pq.write_table(pa.Table.from_pylist(NUMINA_ROWS), tmp_path / "data" / "train-00000-of-00001.parquet")
    out = list(get_source("numina_math").records(from_dir=tmp_path))
    assert [r.answer if isinstance(r, QARecord) else "error" for r in out] == ["2^{4}-2", "C", "error"]
    assert list(get_source("numina_math").rows(from_dir=tmp_path, limit=2)) == NUMINA_ROWS[:2]


# ---- NVIDIA Nemotron-CrossThink (schema-written rows) ------------------------------------------


def crossthink_row(question: str, gold: str, index: int = 0) -> dict:
    """A row written for the test in the veRL-style schema documented in sources/nvidia.py."""
    return {
        "data_source": "syn_qa",
        "prompt": [{"role": "user", "content": f"Answer the question.\n{question}"}],
        "reward_model": {"style": "rule", "ground_truth": gold},
        "meta_data": {"question": question, "index": index},
    }


MCQ_TEXT = "Which gas do plants take in for photosynthesis?\nOptions:\nA. Oxygen\nB. Carbon dioxide\nC. Nitrogen\nD. Helium"


@pytest.mark.parametrize("gold", ["B", "(B)", "B. Carbon dioxide", "carbon dioxide", "\\boxed{B}"])
def test_crossthink_qa_mcq_gold_forms(gold):
    record = get_source("crossthink_qa").to_record(crossthink_row(MCQ_TEXT, gold, index=7))
    assert record.question == "Which gas do plants take in for photosynthesis?"
    assert record.options == ["Oxygen", "Carbon dioxide", "Nitrogen", "Helium"]
    assert (record.answer, record.answer_text, record.domain) == ("B", "Carbon dioxide", "gpr")
    assert record.provenance["upstream_id"] == 7 and record.provenance["data_source"] == "syn_qa"


def test_crossthink_qa_parenthesised_options_and_open_questions():
    adapter = get_source("crossthink_qa")
    mcq = adapter.to_record(crossthink_row("Pick the mammal.\n(A) Shark\n(B) Dolphin\n(C) Trout", "B"))
    assert mcq.options == ["Shark", "Dolphin", "Trout"] and mcq.answer_text == "Dolphin"
    open_ = adapter.to_record(crossthink_row("In which year did the Berlin Wall fall?", "1989"))
    assert (open_.options, open_.answer, open_.category) == (None, "1989", "other")


def test_crossthink_qa_rejects():
    adapter = get_source("crossthink_qa")
    with pytest.raises(RecordError, match="matches none of the 4 options"):
        adapter.to_record(crossthink_row(MCQ_TEXT, "Argon"))
    with pytest.raises(RecordError, match="reward_model.ground_truth"):
        adapter.to_record(crossthink_row(MCQ_TEXT, ""))
    with pytest.raises(RecordError, match="meta_data.question"):
        adapter.to_record(crossthink_row("", "B"))


def test_crossthink_math_local_layout(tmp_path):
    (tmp_path / "Data").mkdir()
    rows = [
        crossthink_row("Maria buys 3 packs of 12 pencils. How many pencils?", "36", 0),
        crossthink_row("x", "", 1),
    ]
    (tmp_path / "Data" / "Nemotron-CrossThink-Math.jsonl").write_text(
        "\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8"
    )
    records, errors = records_and_errors(get_source("crossthink_math"), tmp_path)
    assert [(r.answer, r.domain, r.category) for r in records] == [("36", "math", "math")]
    assert len(errors) == 1 and "ground_truth" in str(errors[0])


# ---- TableAdapter ------------------------------------------------------------------------------


def test_table_adapter_on_real_mmlu_dev_csv():
    adapter = TableAdapter.from_dict(
        {
            "name": "mmlu_dev",
            "files": ["*.csv"],
            "option_columns": ["choice0", "choice1", "choice2", "choice3"],
            "answer_format": "index",
            "category": "stem",
            "subject": "abstract_algebra",
            "license": "mit",
        }
    )
    records, errors = records_and_errors(adapter, DATA / "table")
    assert errors == [] and len(records) == 5
    first = records[0]
    assert first.question == "Find all c in Z_3 such that Z_3[x]/(x^2 + c) is a field."
    assert (first.options, first.answer, first.answer_text) == (["0", "1", "2", "3"], "B", "1")
    assert records[1].options[1] == "False, False" and records[1].answer == "B"
    assert (first.source, first.subject, first.category) == ("mmlu_dev", "abstract_algebra", "stem")


def test_table_adapter_formats_and_yaml(tmp_path):
    rows = [
        {
            "q": "Capital of France?",
            "opts": ["Paris", "Rome"],
            "gold": "Paris",
            "topic": "high_school_geography",
        },
        {
            "q": "Capital of Italy?",
            "opts": ["Paris", "Rome"],
            "gold": "Madrid",
            "topic": "high_school_geography",
        },
    ]
    (tmp_path / "quiz.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    config = tmp_path / "quiz.yaml"
    config.write_text(
        "name: quiz\nquestion: q\noptions: opts\nanswer: gold\nanswer_format: text\n"
        "category_column: topic\ncategory_map: mmlu\nsubject_column: topic\nlicense: cc-by-4.0\n",
        encoding="utf-8",
    )
    records, errors = records_and_errors(TableAdapter.from_yaml(config), tmp_path)
    assert [(r.answer, r.answer_text, r.category, r.subject) for r in records] == [
        ("A", "Paris", "social_sciences", "high_school_geography")
    ]
    assert "matches none of the options" in str(errors[0])
    math = TableAdapter(
        {"name": "sol", "question": "p", "answer": "s", "answer_format": "boxed", "domain": "math"}
    )
    record = math.to_record({"p": "1+1?", "s": "Clearly $\\boxed{2}$."})
    assert (record.answer, record.domain, record.category, record.options) == ("2", "math", "math", None)
    letter = TableAdapter({"name": "l", "option_columns": ["a", "b"], "answer_format": "letter"})
    with pytest.raises(RecordError, match="out of range"):
        letter.to_record({"question": "Q?", "a": "x", "b": "y", "answer": "C"})


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"name": "x", "answer_fmt": "letter"}, "unknown column-mapping key"),
        ({"name": "x", "answer_format": "roman"}, "answer_format must be one of"),
        ({"name": "x", "domain": "chemistry"}, "domain must be one of"),
        ({"name": "x", "category": "science"}, "category must be one of"),
    ],
)
def test_table_adapter_rejects_bad_mappings(config, message):
    with pytest.raises(ValueError, match=message):
        TableAdapter.from_dict(config)


# ---- ids, records(), the Hub code path, demo data ----------------------------------------------


def test_ids_are_stable_and_distinct():
    adapter = get_source("gsm8k")
    rows = raw_jsonl("gsm8k/test.jsonl")
    first, again = adapter.to_record(rows[0]), adapter.to_record(dict(rows[0]))
    assert first.id == again.id and len(first.id) == 20
    assert adapter.to_record(rows[0] | {"answer": "#### 19"}).id != first.id
    records = [
        r
        for r in SOURCES["arc_challenge"].records(from_dir=DEMO_SOURCES["arc_challenge"])
        if isinstance(r, QARecord)
    ]
    assert len({r.id for r in records}) == len(records)


class FakeLoadDataset:
    """Stands in for ``datasets.load_dataset``, the network boundary (no Hub access in tests)."""

    def __init__(self, rows):
        self.rows, self.calls = rows, []

    def __call__(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        return list(self.rows)


def test_hub_default_path_calls_load_dataset_with_the_upstream_ids(monkeypatch):
    import datasets

    mmlu_row = {"question": "Q?", "subject": "", "choices": ["a", "b", "c", "d"], "answer": 1}
    fake = FakeLoadDataset([mmlu_row, mmlu_row | {"answer": 9}])
    monkeypatch.setattr(datasets, "load_dataset", fake)
    out = list(get_source("mmlu_train").records())
    assert fake.calls == [(("cais/mmlu", "auxiliary_train"), {"split": "train"})]
    assert isinstance(out[0], QARecord) and out[0].answer == "B" and isinstance(out[1], RecordError)

    fake.calls.clear()
    assert len(list(get_source("math_train").rows(limit=3))) == 3
    assert fake.calls == [
        (("EleutherAI/hendrycks_math", "algebra"), {"split": "train"}),
        (("EleutherAI/hendrycks_math", "counting_and_probability"), {"split": "train"}),
    ]

    fake.calls.clear()
    list(get_source("crossthink_qa").rows())
    assert fake.calls == [
        (
            ("nvidia/Nemotron-CrossThink",),
            {"data_files": {"train_qa": "Data/Nemotron-CrossThink-QA.jsonl"}, "split": "train_qa"},
        )
    ]
    fake.calls.clear()
    list(get_source("natural_reasoning").rows())
    assert fake.calls == [(("facebook/natural_reasoning", None), {"split": "train"})]
    with pytest.raises(ValueError, match="has no Hub dataset; pass from_dir"):
        list(get_source("agieval_math").rows())


def test_missing_from_dir_files_give_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no input files .* matching"):
        list(get_source("mmlu_train").rows(from_dir=tmp_path))
    with pytest.raises(FileNotFoundError, match="is not a directory"):
        list(get_source("gsm8k").rows(from_dir=tmp_path / "nope"))


def test_demo_sources_ship_300_real_rows_each():
    for name, folder in DEMO_SOURCES.items():
        adapter = get_source(name)
        assert len(list(adapter.rows(from_dir=folder))) == 300, name
        records, errors = records_and_errors(adapter, folder)
        assert all(r.source == name and r.category in CATEGORIES for r in records)
        if name != "arc_challenge":
            assert errors == [], name
    # ARC: every rejected row really lacks a leading option label, every kept gold is what the answer says
    arc_rows = list(get_source("arc_challenge").rows(from_dir=DEMO_SOURCES["arc_challenge"]))
    records, errors = records_and_errors(get_source("arc_challenge"), DEMO_SOURCES["arc_challenge"])
    assert len(records) + len(errors) == 300 and len(records) >= 250
    for error in errors:
        assert error.row["answer"][:2] not in {f"{c}." for c in "ABCDE1234"} or "does not match" in str(error)
    for record in records:
        raw = arc_rows[record.provenance["row_index"]]["answer"]
        assert raw.split("\n")[0].endswith(record.answer_text.rstrip())


@pytest.mark.parametrize("answer", [["540"], {"value": "540"}, True])
def test_a_gold_that_is_not_a_string_or_a_number_is_rejected(answer):
    """Lists and mappings were turned into their ``str`` (``"['540']"``); now they are rejects."""
    from crossthink_data.record import RecordError

    with pytest.raises(RecordError, match="'answer' must be a string or a number"):
        get_source("agieval_math").to_record({"question": "What is 27 times 20?", "answer": answer})


def test_a_numeric_gold_is_its_number():
    record = get_source("agieval_math").to_record({"question": "What is 27 times 20?", "answer": 540})
    assert record.answer == "540"
