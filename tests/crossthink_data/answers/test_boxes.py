"""One box parser for gold and answer: ingest and reward read the same answer from the same text.

``TRICKY`` is the shared table: for each solution text, the answer written by hand. Ingest (the
MATH and NuminaMath adapters' ``to_record``, which take the gold from a worked solution) and the
reward path (``extract_answer`` and the ``accuracy`` reward on the same text after ``</think>``)
must both read exactly that answer. The two parsers this replaced disagreed on rows marked
"was split".
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from crossthink_data.answers import extract_answer
from crossthink_data.answers.boxes import (
    MAX_BRACE_DEPTH,
    TooDeep,
    brace_pairs,
    closing_brace,
    find_boxes,
    last_boxed,
)
from crossthink_data.record import RecordError
from crossthink_data.sources import get_source
from crossthink_train.rewards import accuracy
from tests.helpers.paths import TEST_DATA

THINK = "<think>\nWork it out step by step.\n</think>\n"
SOURCES = TEST_DATA / "sources"

TRICKY = [
    # (solution text, the answer a reader of the LaTeX takes from it; None: no answer)
    (r"so $x = \boxed{\frac{1}{2}}$.", r"\frac{1}{2}"),
    (r"\boxed{a\\}b}", r"a\\"),  # was split: `\\` is a line break, so the `}` after it closes the box
    (r"hence $\boxed\pi$", r"\pi"),  # was split: an unbraced control word is the argument
    (r"hence $\boxed \pi$.", r"\pi"),
    (r"hence \boxed 5 apples", "5"),
    (r"Final: $\boxed 42$", "42"),
    (r"\boxed{a\}b}", r"a\}b"),  # an escaped brace is content
    (r"\boxed{\{1, 2\}}", r"\{1, 2\}"),
    (r"\boxed{\left\{1,2\right\}}", r"\left\{1,2\right\}"),
    (r"the empty set \boxed{\{\}}", r"\{\}"),
    (r"\boxed{2^{10}+\sqrt{x_{1}}}", r"2^{10}+\sqrt{x_{1}}"),
    (r"\boxed{\begin{pmatrix} 1 \\ 2 \end{pmatrix}}", r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}"),
    (r"first \boxed{3}, then corrected: \boxed{4}", "4"),
    (r"\boxed{3} and later \boxed{4", "3"),  # was split: an unclosed last box is skipped
    (r"\boxed{1}\boxed{2}", "2"),
    (r"the answer is $\fbox{7}$", "7"),
    ("\\boxed\n{7}", "7"),
    (r"\boxed {7}", "7"),
    (r"\boxed{\text{(C)}}", r"\text{(C)}"),
    (r"\boxed{ 12 }", "12"),
    (r"\boxed{3} then \boxed{ }", None),  # the last box is empty: no answer
    (r"\boxed{\frac{1}{2}", None),  # never closed
    (r"\boxedx{5}", None),  # not the \boxed command
    (r"no box at all", None),
    ("\\boxed{" + "{" * (MAX_BRACE_DEPTH + 1) + "1" + "}" * (MAX_BRACE_DEPTH + 1) + "}", None),
    ("\\boxed{" + "x" * 1001 + "}", None),  # not a final answer
]


def ingest_gold(adapter: str, solution: str) -> str | None:
    """The gold an ingest adapter takes from a worked solution; None when it rejects the row."""
    try:
        return get_source(adapter).to_record({"problem": "Compute it.", "solution": solution}).answer
    except RecordError:
        return None


@pytest.mark.parametrize(("text", "expected"), TRICKY)
@pytest.mark.parametrize("adapter", ["math_train", "numina_math"])
def test_ingest_and_reward_read_the_same_answer(adapter, text, expected):
    assert ingest_gold(adapter, text) == expected
    assert extract_answer(THINK + text) == expected
    assert last_boxed(text) == expected


@pytest.mark.parametrize(("text", "expected"), [row for row in TRICKY if row[1] is not None])
def test_reward_accepts_the_ingested_gold_for_the_same_text(text, expected):
    gold = ingest_gold("math_train", text)
    assert accuracy([THINK + text], ground_truth=[gold], kind=["math"]) == [1.0]


def test_last_boxed_recovers_agieval_gold_from_real_solutions():
    """AGIEval ships both a worked solution and the gold answer: the last box must be that answer."""
    rows = [json.loads(line) for line in (SOURCES / "agieval_math" / "math.jsonl").read_text().splitlines()]
    assert len(rows) == 20
    for row in rows:
        assert last_boxed(row["other"]["solution"]) == row["answer"].strip()


@pytest.mark.parametrize("value", [None, 5, b"\\boxed{1}"])
def test_non_text_has_no_box(value):
    assert last_boxed(value) is None


# ---- the brace scanner -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "open_index", "expected"),
    [
        ("{a}", 0, 2),
        ("{a{b}c}", 0, 6),
        ("{a{b}c}", 2, 4),
        (r"{a\}b}", 0, 5),  # \} is content
        (r"{a\{b}", 0, 5),  # \{ is content
        (r"{a\\}b}", 0, 4),  # \\ is one unit: the next } closes
        (r"{\\\}}", 0, 5),  # \\ then \} then the closing }
        ("{a", 0, None),
        ("}{a}", 1, 3),  # a stray } before the group is ignored
    ],
)
def test_closing_brace(text, open_index, expected):
    assert closing_brace(text, open_index) == expected


def test_brace_pairs_in_closing_order_and_depth_bound():
    assert list(brace_pairs("{a{b}{c}}")) == [(2, 4), (5, 7), (0, 8)]
    assert list(brace_pairs("{" * 3 + "}" * 3, max_depth=3)) == [(2, 3), (1, 4), (0, 5)]
    with pytest.raises(TooDeep):
        list(brace_pairs("{" * 4, max_depth=3))


def test_find_boxes_reports_unclosed_boxes():
    boxes = find_boxes(r"\boxed{1} \fbox 2 \boxed{3")
    assert [box.content for box in boxes] == ["1", "2", None]
    assert [box.well_formed for box in boxes] == [True, True, False]


def test_answer_checker_imports_without_the_data_stack():
    """The leaf layer (shared by ingest and the GPU-side reward) must not pull datatrove & co."""
    code = (
        "import sys, crossthink_data.answers, crossthink_data.answers.boxes; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'datatrove', 'spacy', 'trafilatura'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
