"""Rebuild ``math_verify_cases.jsonl`` from a checkout of huggingface/Math-Verify (see README.md).

    python tests/data/answers/make_math_verify_cases.py /path/to/Math-Verify > tests/data/answers/math_verify_cases.jsonl

Reads the literal rows of the ``@pytest.mark.parametrize`` tables of the test files below (with
``ast``; nothing is imported or run), keeps the rows whose verify options are math-verify's
defaults and whose gold and answer are both short answers (see :func:`not_answer_like`), and
writes one JSON object per row: file, line, test, gold, answer, expected.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys

FILES = (
    "test_all.py",
    "test_boxed.py",
    "test_numina_cases.py",
    "test_open_thoughts.py",
    "test_yujianll.py",
    "test_strict.py",
)
VERIFY_OPTIONS = ("precision", "strict", "allow_set_relation_comp")
DEFAULTS = {"precision": 6, "strict": True, "allow_set_relation_comp": False}  # verify()'s own defaults
MAX_CHARS = 80
_MATH = re.compile(r"\$\$.*?\$\$|\$.*?\$|\\\(.*?\\\)|\\\[.*?\\\]", re.S)
_BOX = re.compile(r"\\\\?(?:boxed|fbox)")
_COMMAND = re.compile(r"\\[A-Za-z]+(?:\{[^{}]*\})?")
_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}")
_ANSWER_WORDS = {"percent", "pct", "percentage", "and", "or"}  # units of a percentage, list joiners


def not_answer_like(text: str) -> str | None:
    """Why ``text`` is not a short answer (None when it is one)."""
    if len(text) > MAX_CHARS or "\n" in text or "\\n" in text:
        return "long or multi-line"
    if len(_BOX.findall(text)) > 1:
        return "several boxes"
    has_math = bool(re.search(r"\$|\\\(|\\\[", text))
    outside = _COMMAND.sub(" ", _MATH.sub(" ", text) if has_math else text)
    words = {word.lower() for word in _WORD.findall(outside)} - _ANSWER_WORDS
    if words and (has_math or not re.fullmatch(r"[A-Za-z]+", text)):
        return "prose around the answer"
    return None


def rows(repo: str) -> list[dict]:
    out = []
    for name in FILES:
        source = subprocess.run(
            ["git", "-C", repo, "show", f"HEAD:tests/{name}"], capture_output=True, text=True, check=True
        ).stdout
        for function in [node for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)]:
            options = {
                keyword.arg: keyword.value.value
                for call in ast.walk(function)
                if isinstance(call, ast.Call)
                for keyword in call.keywords
                if keyword.arg in VERIFY_OPTIONS and isinstance(keyword.value, ast.Constant)
            }
            for decorator in function.decorator_list:
                if not (
                    isinstance(decorator, ast.Call) and getattr(decorator.func, "attr", "") == "parametrize"
                ):
                    continue
                names = [part.strip() for part in ast.literal_eval(decorator.args[0]).split(",")]
                for element in decorator.args[1].elts:
                    try:
                        values = dict(zip(names, ast.literal_eval(element), strict=True))
                    except ValueError:  # a computed row (f-string): not a literal case
                        continue
                    row_options = options | {k: values[k] for k in VERIFY_OPTIONS if k in values}
                    if any(DEFAULTS[key] != value for key, value in row_options.items()):
                        continue
                    if not_answer_like(values["gold"]) or not_answer_like(values["pred"]):
                        continue
                    out.append(
                        {
                            "file": f"tests/{name}",
                            "line": element.lineno,
                            "test": function.name,
                            "gold": values["gold"],
                            "answer": values["pred"],
                            "expected": bool(values.get("expected", values.get("result"))),
                        }
                    )
    return out


if __name__ == "__main__":
    for row in rows(sys.argv[1]):
        print(json.dumps(row, ensure_ascii=False))
