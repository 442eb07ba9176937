"""NuminaMath-CoT: 860k competition and school math problems with chain-of-thought solutions.

Upstream
    Hub ``AI-MO/NuminaMath-CoT``, split ``train``. License Apache-2.0.
    Row schema: ``source`` (str: "olympiads", "cn_k12", "aops_forum", "synthetic_math", ...),
    ``problem`` (str), ``solution`` (str, LaTeX, final answer in ``\\boxed{}``), ``messages``
    (list of ``{"role", "content"}``: the same problem/solution as a chat).
Local layout (``from_dir``)
    The Hub files: ``data/train-*.parquet`` (or jsonl written in the same schema).
Mapping
    problem -> question; answer = content of the LAST ``\\boxed{}`` of the solution (nested braces
    matched). Rows without a boxed answer are rejected. Multiple-choice problems (common in cn_k12:
    option lines "A: ...", "B: ..." and a boxed letter) become MCQ records with the options split
    off; a boxed letter without parsable options is rejected (the letter alone is not checkable).
    Domain and category ``math``; ``subject`` is the upstream ``source``.
No rows of this dataset exist offline here: the tests use rows written in this schema.
"""

from __future__ import annotations

import re
from typing import Any

from crossthink_data.answers.boxes import last_boxed
from crossthink_data.options import split_options
from crossthink_data.record import QARecord, RecordError

from .base import SourceAdapter, required_text

_BARE_LETTER = re.compile(r"^\(?([A-Z])\)?$")
_TEXT_WRAPPED = re.compile(r"^\\(?:text|textbf|mathrm)\{([A-Z])\}$")


class NuminaMath(SourceAdapter):
    name = "numina_math"
    hub_id = "AI-MO/NuminaMath-CoT"
    hub_split = "train"
    local_patterns = ("data/train-*.parquet", "data/train-*.jsonl", "*.jsonl", "*.parquet")
    license = "apache-2.0"
    domain = "math"
    citation = """@misc{numina_math_datasets,
  author = {Jia LI and Edward Beeching and Lewis Tunstall and Ben Lipkin and Roman Soletskyi and Shengyi Costa Huang and Kashif Rasul and Longhui Yu and Albert Jiang and Ziju Shen and Zihan Qin and Bin Dong and Li Zhou and Yann Fleureau and Guillaume Lample and Stanislas Polu},
  title = {NuminaMath},
  year = {2024},
  publisher = {Numina},
  journal = {Hugging Face repository},
  howpublished = {\\url{https://huggingface.co/AI-MO/NuminaMath-CoT}}
}"""
    description = (
        "NuminaMath-CoT (AI-MO/NuminaMath-CoT, Apache-2.0): ~860k math problems from olympiads, "
        "AoPS, Chinese K-12 exams and synthetic sets, each with a chain-of-thought solution. Upstream "
        "rows have source, problem, solution and messages; the gold answer is the content of the "
        "solution's last \\boxed{}, and rows without one are dropped. Multiple-choice problems keep "
        "their options."
    )

    def to_record(self, row: dict[str, Any]) -> QARecord:
        problem = required_text(row, "problem")
        solution = required_text(row, "solution")
        boxed = last_boxed(solution)
        if boxed is None:
            raise RecordError("no \\boxed{} final answer in 'solution'")
        letter = _BARE_LETTER.match(boxed) or _TEXT_WRAPPED.match(boxed)
        question, options, answer = problem, None, boxed
        if letter:
            split = split_options(problem)
            position = ord(letter.group(1)) - ord("A")
            if split is None or position >= len(split.options):
                raise RecordError(
                    f"boxed answer {boxed!r} is an option letter but the problem has no such option"
                )
            question, options, answer = split.stem, split.options, letter.group(1)
        return QARecord(
            source=self.name,
            domain=self.domain,
            category="math",
            subject=(row.get("source") or None),
            question=question,
            options=options,
            answer=answer,
            provenance=self.provenance(upstream_source=row.get("source")),
        )
