"""T_MCQ and T_Open: render a QARecord into a TRL conversational prompt plus its ground truth.

Training (GRPO), difficulty sampling and evaluation all call these functions, so a model sees
the same instruction everywhere and the reward's ``kind`` always matches the prompt it answered.
"""

from __future__ import annotations

from typing import Any

from crossthink_data.options import option_label
from crossthink_data.record import QARecord

TEMPLATE_VERSION = "v1"

INSTRUCTION = (
    "Think step by step inside <think> and </think> tags, then give your final answer "
    "after </think> inside \\boxed{}."
)
MCQ_INSTRUCTION = (
    INSTRUCTION + " For this multiple-choice question, answer with the letter of the correct option only."
)
OPEN_INSTRUCTION = INSTRUCTION + " Give a short answer of at most a few words."
MATH_INSTRUCTION = INSTRUCTION + " Give the final answer in simplest form."

# The pieces of a user message, spelled once: the scalar renderers below and the columnar twin
# (crossthink_data.columnar) both assemble prompts from them, so the two cannot drift apart.
QUESTION_HEADER = "\n\nQuestion: "  # between the instruction and the (stripped) question
OPTIONS_HEADER = "\n\nOptions:\n"  # between the question and the option lines (T_MCQ)
LABEL_SEPARATOR = ". "  # between an option's label and its text: "A. Paris"
OPTION_SEPARATOR = "\n"  # between option lines


def format_options(options: list[str]) -> str:
    """Options as lettered lines: "A. first\\nB. second"."""
    return OPTION_SEPARATOR.join(
        f"{option_label(i)}{LABEL_SEPARATOR}{option.strip()}" for i, option in enumerate(options)
    )


def mcq_prompt_text(question: str, options: list[str]) -> str:
    """User message of T_MCQ (shared with the lighteval tasks)."""
    return f"{MCQ_INSTRUCTION}{QUESTION_HEADER}{question.strip()}{OPTIONS_HEADER}{format_options(options)}"


def open_prompt_text(question: str, math: bool = False) -> str:
    """User message of T_Open; math questions get the math instruction."""
    instruction = MATH_INSTRUCTION if math else OPEN_INSTRUCTION
    return f"{instruction}{QUESTION_HEADER}{question.strip()}"


def kind_of(record: QARecord, template: str) -> str:
    """The answer checker's kind: ``mcq`` for T_MCQ, ``math`` for open math, ``open`` otherwise."""
    if template == "mcq":
        return "mcq"
    return "math" if record.domain == "math" else "open"


def render_mcq(record: QARecord) -> dict[str, Any]:
    """T_MCQ: keeps the options; the ground truth is the gold label."""
    if not record.is_mcq:
        raise ValueError(f"record {record.id} has no options: T_MCQ needs an MCQ record")
    prompt = [{"role": "user", "content": mcq_prompt_text(record.question, record.options)}]
    return _row(record, "mcq", prompt, record.answer)


def render_open(record: QARecord) -> dict[str, Any]:
    """T_Open: drops the options; an MCQ's ground truth becomes its gold option's text."""
    prompt = [{"role": "user", "content": open_prompt_text(record.question, math=record.domain == "math")}]
    return _row(record, "open", prompt, record.open_answer.strip())


RENDERERS = {"mcq": render_mcq, "open": render_open}


def render(record: QARecord, template: str) -> dict[str, Any]:
    """Templated row: the record's columns plus ``template``, ``kind``, ``prompt``, ``ground_truth``."""
    try:
        renderer = RENDERERS[template]
    except KeyError:
        raise ValueError(f"unknown template {template!r}; expected one of {sorted(RENDERERS)}") from None
    return renderer(record)


def _row(record: QARecord, template: str, prompt: list[dict[str, str]], ground_truth: str) -> dict[str, Any]:
    row = record.to_dict()
    row.update(template=template, kind=kind_of(record, template), prompt=prompt, ground_truth=ground_truth)
    return row
