"""One concept, one home: shared rules are defined once across every shipped package.

Each of these was once written twice with different answers (issue 17, "Shared rules written
twice"): two ``option_key`` functions that disagreed on LaTeX, two ``stage_stats`` with different
signatures, the T_MCQ prompt spelled again in the columnar path, the option labels built as a
pyarrow array twice, and two non-commercial license tests. The checks read the source with ``ast``,
so a second definition fails here with its file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers.paths import REPO_ROOT

PACKAGES = ("crossthink_data", "crossthink_train", "eval")

# name -> the one module (relative to the repository) that defines it
ONE_HOME = {
    "option_key": "crossthink_data/options.py",
    "answer_text_key": "crossthink_data/answers/choice.py",
    "stage_stats": "crossthink_data/executors.py",
    "stage_counts": "crossthink_data/executors.py",
    "is_non_commercial": "crossthink_data/licenses.py",
    "mcq_prompt_text": "crossthink_data/templates.py",
    "open_prompt_text": "crossthink_data/templates.py",
    "format_options": "crossthink_data/templates.py",
}


def shipped_files() -> list[Path]:
    return [path for package in PACKAGES for path in sorted((REPO_ROOT / package).rglob("*.py"))]


def trees() -> list[tuple[str, ast.AST]]:
    return [
        (str(path.relative_to(REPO_ROOT)), ast.parse(path.read_text(encoding="utf-8")))
        for path in shipped_files()
    ]


def definitions(name: str) -> list[str]:
    """``file:line`` of every function, class or module-level assignment named ``name``."""
    found = []
    for file, tree in trees():
        for node in ast.walk(tree):
            defined = (
                isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == name
            )
            defined |= isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets
            )
            if defined:
                found.append(f"{file}:{node.lineno}")
    return found


@pytest.mark.parametrize(("name", "home"), sorted(ONE_HOME.items()))
def test_each_shared_rule_is_defined_once(name, home):
    found = definitions(name)
    assert len(found) == 1 and found[0].startswith(home + ":"), found


def test_the_prompt_pieces_are_spelled_only_in_templates():
    """The columnar T_MCQ/T_Open assemble prompts from templates' constants, not their own copies."""
    pieces = ("\n\nQuestion: ", "\n\nOptions:\n", "Think step by step inside <think>")
    offenders = [
        f"{file}:{node.lineno}"
        for file, tree in trees()
        if file != "crossthink_data/templates.py"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and any(p in node.value for p in pieces)
    ]
    assert offenders == []


def test_the_label_array_is_built_once():
    """``pa.array(list(OPTION_LABELS))`` lives in filters (``LABEL_ARRAY``); columnar imports it."""
    found = [
        f"{file}:{node.lineno}"
        for file, tree in trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and "OPTION_LABELS" in ast.unparse(node)
        and ast.unparse(node.func) == "pa.array"
    ]
    assert len(found) == 1 and found[0].startswith("crossthink_data/filters.py:"), found


def test_the_two_option_keys_say_what_they_compare():
    """``option_key`` compares option texts as datasets write them; ``answer_text_key`` reads a
    model's answer, where LaTeX wrapping is presentation. Same name, different behaviour, was the bug."""
    from crossthink_data.answers.choice import answer_text_key, parse_label
    from crossthink_data.options import option_key

    assert option_key(r"\text{Paris}") != option_key("Paris")
    assert answer_text_key(r"\text{Paris}") == option_key("Paris")
    assert parse_label(r"B. \text{Paris}", ["London", "Paris"]) == "B"
    assert parse_label(r"B. \text{London}", ["London", "Paris"]) is None


def test_columnar_and_scalar_t_mcq_agree_on_awkward_options():
    """The columnar prompt is assembled from the same pieces: whitespace and many options included."""
    import pyarrow as pa

    from crossthink_data.columnar import render_table
    from crossthink_data.record import QARecord, arrow_schema
    from crossthink_data.templates import render

    options = [f"  option {i}\n" for i in range(12)]
    record = QARecord(
        id="x",
        source="mmlu_train",
        domain="gpr",
        category="stem",
        subject=None,
        question="  Which one?\n",
        options=options,
        answer="L",
        answer_text=options[11],
        provenance={},
    )
    table = pa.Table.from_pylist([record.to_dict()], schema=arrow_schema())
    assert render_table(table, "mcq").to_pylist()[0]["prompt"] == render(record, "mcq")["prompt"]
