"""Cross-check of our verdicts against lighteval's built-in metrics on the same generations.

Responses are written the way models answer real rows of tests/data/benchmarks; our expected
verdict follows from the row's gold.
"""

from __future__ import annotations

import json

from crossthink_eval.benchmarks import BENCHMARKS
from crossthink_eval.crosscheck import builtin_metric, crosscheck, render_markdown
from crossthink_eval.crossthink_tasks import item_to_doc
from tests.helpers.paths import TEST_DATA

BENCH = TEST_DATA / "benchmarks"
THINK = "<think>Compare every option with the question before answering.</think>\n"


def doc(benchmark: str, row: dict, index: int):
    d = item_to_doc(BENCHMARKS[benchmark].adapter(row), f"crossthink_{benchmark}|0")
    d.id = str(index)
    return d


def test_builtin_metric_per_benchmark():
    assert builtin_metric("crossthink_math_500|0", "math").name == "pass@k:k=1&n=1"
    assert builtin_metric("crossthink_gpqa_diamond|0", "mcq").name == "gpqa_pass@k:k=1"
    assert builtin_metric("crossthink_mmlu_pro|0", "mcq").note == "built-in mmlu_pro metric"
    assert "log-likelihoods" in builtin_metric("crossthink_agieval:lsat-ar|0", "mcq").note
    assert builtin_metric("crossthink_agieval:math|0", "math").name == "pass@k:k=1&n=1"


def test_agreements_and_listed_disagreements_on_the_same_generations():
    mmlu_pro = json.loads((BENCH / "mmlu_pro/test.json").read_text())
    ten = next(r for r in mmlu_pro if r["answer"] == "J")  # gold J, the tenth option
    math = json.loads((BENCH / "math500/test.jsonl").read_text().splitlines()[1])  # gold \frac{14}{3}
    samples = [
        ("crossthink_mmlu_pro|0", doc("mmlu_pro", ten, 0), f"{THINK}\\boxed{{J}}"),  # right: both agree
        ("crossthink_mmlu_pro|0", doc("mmlu_pro", ten, 1), f"{THINK}\\boxed{{I}}"),  # wrong: both agree
        # label plus the option's text: right for our checker, lighteval's letter extraction misses it
        ("crossthink_mmlu_pro|0", doc("mmlu_pro", ten, 2), f"{THINK}\\boxed{{J. {ten['options'][9]}}}"),
        ("crossthink_math_500|0", doc("math_500", math, 3), f"{THINK}\\boxed{{14/3}}"),  # right: both agree
        # no <think> block (a base model's answer): both read the last box, as the paper does
        ("crossthink_math_500|0", doc("math_500", math, 4), "so \\boxed{\\frac{14}{3}}"),
    ]
    report = crosscheck(samples)
    assert report["tasks"]["crossthink_mmlu_pro|0"]["n"] == 3
    assert report["tasks"]["crossthink_mmlu_pro|0"]["ours"] == 2.0  # samples 0 and 2 name the gold
    assert report["tasks"]["crossthink_math_500|0"]["ours"] == 2.0
    listed = {(d["task"], d["doc_id"]): d for d in report["disagreements"]}
    assert set(listed) == {("crossthink_mmlu_pro|0", "2")}
    assert listed[("crossthink_mmlu_pro|0", "2")]["ours"] == 1.0
    assert report["tasks"]["crossthink_mmlu_pro|0"]["agree"] == 2
    text = render_markdown(report)
    assert "## Disagreements (1)" in text and "crossthink_mmlu_pro&#124;0 | 3 | 2 |" in text
