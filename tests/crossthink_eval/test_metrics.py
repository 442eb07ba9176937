"""The lighteval metrics on realistic responses, for every benchmark's answer format.

Rows are real benchmark rows (tests/data/benchmarks); each expected verdict follows from the row's
gold (an equivalent form of the gold answer, or another option) and never from the code under test.
"""

from __future__ import annotations

import json
import math

import pytest
from lighteval.models.model_output import ModelResponse

from crossthink_data.options import OPTION_LABELS
from crossthink_eval.benchmarks import BENCHMARKS
from crossthink_eval.crossthink_tasks import item_to_doc
from crossthink_eval.metrics import (
    ACCURACY,
    BOXED_ACCURACY,
    CORRECT_TOKENS,
    FORMAT_OK,
    TOKENIZER_ENV,
    AverageAtK,
    CrossThinkScore,
    mean_over_correct,
    raw_texts,
)
from tests.helpers.paths import TEST_DATA

BENCH = TEST_DATA / "benchmarks"
THINK = "<think>Let me work through the problem step by step and check the result.</think>\n"


def rows(relative: str) -> list[dict]:
    path = BENCH / relative
    if path.suffix == ".json":
        return json.loads(path.read_text(encoding="utf-8"))
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def doc_for(benchmark: str, row: dict):
    return item_to_doc(BENCHMARKS[benchmark].adapter(row), f"crossthink_{benchmark}|0")


def judge(benchmark: str, row: dict, response: str) -> dict[str, float]:
    return CrossThinkScore().compute(doc_for(benchmark, row), ModelResponse(text=[response]))


MATH500 = rows("math500/test.jsonl")
# (row index, an equivalent way a model writes the gold, a wrong answer)
MATH500_CASES = [
    (0, r"\left(3,\frac{\pi}{2}\right)", r"\left(3,\pi\right)"),  # gold \left( 3, \frac{\pi}{2} \right)
    (1, r"\dfrac{14}{3}", r"\frac{3}{14}"),  # gold \frac{14}{3}
    (2, r"\text{Evelyn}", r"\text{Bob}"),  # gold \text{Evelyn}
    (3, r"90^{\circ}", r"45^\circ"),  # gold 90^\circ
    (4, r"\sqrt{117}", r"\sqrt{13}"),  # gold 3\sqrt{13}: sqrt(117) = 3 sqrt(13)
    (5, r"6-5i", r"6+5i"),  # gold 6 - 5i
    (6, r"1, -2", r"1, 2"),  # gold 1,-2
    (7, r"x^5-x^4+x^3-x^2+x-1", r"x^5+x^4+x^3+x^2+x+1"),
]


@pytest.mark.parametrize(("index", "right", "wrong"), MATH500_CASES)
def test_math500_latex_answers(index, right, wrong):
    row = MATH500[index]
    assert judge("math_500", row, f"{THINK}So the answer is $\\boxed{{{right}}}$.")[ACCURACY] == 1.0
    assert judge("math_500", row, f"{THINK}So the answer is $\\boxed{{{wrong}}}$.")[ACCURACY] == 0.0


def test_amc23_numeric_answers_stored_as_floats():
    amc = rows("amc23/test.jsonl")
    assert amc[0]["answer"] == 27.0 and amc[1]["answer"] == 36.0
    assert judge("amc23", amc[0], f"{THINK}They meet after 1.5 hours: \\boxed{{27}}")[ACCURACY] == 1.0
    assert judge("amc23", amc[1], f"{THINK}\\boxed{{36.0}}")[ACCURACY] == 1.0
    assert judge("amc23", amc[0], f"{THINK}\\boxed{{18}}")[ACCURACY] == 0.0


@pytest.mark.parametrize("subset", ["aqua-rat", "lsat-ar", "logiqa-en", "sat-math", "gaokao-english"])
def test_agieval_lettered_options(subset):
    row = rows(f"agieval_v1/{subset}.jsonl")[0]
    gold = row["label"]
    other = "B" if gold != "B" else "A"
    assert judge("agieval", row, f"{THINK}The correct choice is \\boxed{{{gold}}}.")[ACCURACY] == 1.0
    assert judge("agieval", row, f"{THINK}\\boxed{{({gold})}}")[ACCURACY] == 1.0
    assert judge("agieval", row, f"{THINK}The correct choice is \\boxed{{{other}}}.")[ACCURACY] == 0.0


def test_agieval_options_lose_their_embedded_labels():
    row = rows("agieval_v1/aqua-rat.jsonl")[0]  # options "(A)5(√3 + 1)", ...
    doc = doc_for("agieval", row)
    assert doc.specific["options"][0] == "5(√3 + 1)"
    assert "A. 5(√3 + 1)" in doc.query and "(A)" not in doc.query


def test_agieval_math_subset_is_open_ended():
    row = rows("agieval_v1/math.jsonl")[0]  # answer "(3,4]"
    assert judge("agieval", row, f"{THINK}\\boxed{{(3,4]}}")[ACCURACY] == 1.0
    assert judge("agieval", row, f"{THINK}\\boxed{{[3,4]}}")[ACCURACY] == 0.0


def test_mmlu_index_answers_become_letters():
    for row in rows("mmlu_stem/test.jsonl"):
        gold = "ABCD"[row["answer"]]
        wrong = "ABCD"[(row["answer"] + 1) % 4]
        assert judge("mmlu", row, f"{THINK}\\boxed{{{gold}}}")[ACCURACY] == 1.0
        assert judge("mmlu", row, f"{THINK}\\boxed{{{wrong}}}")[ACCURACY] == 0.0


def test_mmlu_pro_up_to_ten_options():
    data = rows("mmlu_pro/test.json")
    assert {len(r["options"]) for r in data} >= {4, 7, 9, 10}
    for row in data:
        gold = row["answer"]  # the upstream letter, e.g. "J" for the tenth option
        wrong = OPTION_LABELS[(row["answer_index"] + 1) % len(row["options"])]
        assert judge("mmlu_pro", row, f"{THINK}\\boxed{{{gold}}}")[ACCURACY] == 1.0
        assert judge("mmlu_pro", row, f"{THINK}\\boxed{{{wrong}}}")[ACCURACY] == 0.0
    ten = next(r for r in data if r["answer"] == "J")
    assert "J. " + ten["options"][9] in doc_for("mmlu_pro", ten).query


def test_gpqa_gold_is_the_correct_answer_text():
    for row in rows("gpqa_diamond/test.jsonl"):
        doc = doc_for("gpqa_diamond", row)
        letter = OPTION_LABELS[doc.specific["options"].index(row["Correct Answer"])]
        assert judge("gpqa_diamond", row, f"{THINK}\\boxed{{{letter}}}")[ACCURACY] == 1.0
        wrong = OPTION_LABELS[doc.specific["options"].index(row["Incorrect Answer 1"])]
        assert judge("gpqa_diamond", row, f"{THINK}\\boxed{{{wrong}}}")[ACCURACY] == 0.0


def test_supergpqa_sample_with_embedded_options():
    for row in rows("supergpqa_sample300/test.jsonl"):
        gold = row["answer"][0]  # "B. <option text>"
        assert judge("supergpqa", row, f"{THINK}\\boxed{{{gold}}}")[ACCURACY] == 1.0
        assert judge("supergpqa", row, f"{THINK}\\boxed{{{'A' if gold != 'A' else 'C'}}}")[ACCURACY] == 0.0


def test_format_is_required_for_accuracy_but_not_for_boxed_accuracy():
    row = MATH500[1]  # gold \frac{14}{3}
    # A model that drops the opening <think> (common when a template opens it for the model):
    # the strict reward fails, the answer after </think> is still right.
    no_open_tag = judge("math_500", row, "14 divided by 3 stays a fraction.</think> \\boxed{\\frac{14}{3}}")
    assert no_open_tag[ACCURACY] == 0.0
    assert no_open_tag[BOXED_ACCURACY] == 1.0
    assert no_open_tag[FORMAT_OK] == 0.0
    # No <think> block at all, as Qwen2.5-7B base answers (the paper's baseline): the answer read
    # from the last \boxed{} counts for the paper-comparable metric, never for the strict reward.
    no_think = judge("math_500", row, "The answer is \\boxed{\\frac{14}{3}}.")
    assert no_think[ACCURACY] == no_think[FORMAT_OK] == 0.0
    assert no_think[BOXED_ACCURACY] == 1.0
    with_think = judge("math_500", row, f"{THINK}\\boxed{{\\frac{{14}}{{3}}}}")
    assert with_think[ACCURACY] == with_think[BOXED_ACCURACY] == with_think[FORMAT_OK] == 1.0


def test_correct_response_tokens_counts_only_correct_answers(monkeypatch, tiny_model_dir):
    monkeypatch.delenv(TOKENIZER_ENV, raising=False)
    row = MATH500[1]
    right = ModelResponse(text=[f"{THINK}\\boxed{{\\frac{{14}}{{3}}}}"], output_tokens=[[5] * 17])
    wrong = ModelResponse(text=[f"{THINK}\\boxed{{7}}"], output_tokens=[[5] * 40])
    doc = doc_for("math_500", row)
    assert CrossThinkScore().compute(doc, right)[CORRECT_TOKENS] == 17.0
    assert math.isnan(CrossThinkScore().compute(doc, wrong)[CORRECT_TOKENS])
    # With a tokenizer configured, the text is re-tokenized (exact on every backend, padding-free).
    monkeypatch.setenv(TOKENIZER_ENV, str(tiny_model_dir))
    from transformers import AutoTokenizer

    expected = len(
        AutoTokenizer.from_pretrained(tiny_model_dir)(right.text[0], add_special_tokens=False)["input_ids"]
    )
    assert CrossThinkScore().compute(doc, right)[CORRECT_TOKENS] == float(expected)


def test_mean_over_correct_ignores_wrong_answers():
    assert mean_over_correct([100.0, math.nan, 300.0]) == {CORRECT_TOKENS: 200.0}
    assert math.isnan(mean_over_correct([math.nan, math.nan])[CORRECT_TOKENS])


def test_avg_at_k_averages_the_first_k_samples():
    row = MATH500[1]
    doc = doc_for("math_500", row)
    right, wrong = f"{THINK}\\boxed{{\\frac{{14}}{{3}}}}", f"{THINK}\\boxed{{3}}"
    metric = AverageAtK(k=4)
    assert metric.num_samples() == 4
    assert metric.compute(doc, ModelResponse(text=[right, wrong, right, right, wrong])) == 0.75
    with pytest.raises(ValueError, match="needs 4 responses"):
        metric.compute(doc, ModelResponse(text=[right, wrong]))


def test_doc_without_crossthink_gold_is_an_error():
    from lighteval.tasks.requests import Doc

    doc = Doc(query="q", choices=["A"], gold_index=0, task_name="other|0")
    with pytest.raises(ValueError, match="no crossthink gold"):
        CrossThinkScore().compute(doc, ModelResponse(text=["\\boxed{A}"]))


def test_reasoning_split_off_by_the_backend_is_put_back():
    """litellm (the endpoint backend) moves a leading <think>...</think> out of the content into
    reasoning_content, which lighteval keeps in ModelResponse.reasonings: scored as written."""
    row = MATH500[1]  # gold \frac{14}{3}
    split = ModelResponse(
        text=["\nSo the answer is \\boxed{\\dfrac{14}{3}}."],
        reasonings=["Let me work through the problem step by step."],
    )
    verdict = CrossThinkScore().compute(doc_for("math_500", row), split)
    assert verdict[ACCURACY] == 1.0 and verdict[FORMAT_OK] == 1.0
    # content alone (what lighteval calls the text) has no <think> block: the strict reward and the
    # format fail, so the reasoning must be put back for them to count
    content_only = judge("math_500", row, split.text[0])
    assert content_only[ACCURACY] == content_only[FORMAT_OK] == 0.0
    samples = ModelResponse(text=["\\boxed{14/3}", "\\boxed{3}"], reasonings=["a", "b"])
    assert AverageAtK(k=2).compute(doc_for("math_500", row), samples) == 0.5
    # local backends return no reasonings; a reply without a think block has reasoning None
    assert raw_texts(["<think>x</think>\\boxed{1}"], []) == ["<think>x</think>\\boxed{1}"]
    assert raw_texts(["\\boxed{1}", ""], [None, "only thinking"]) == [
        "\\boxed{1}",
        "<think>only thinking</think>",
    ]
