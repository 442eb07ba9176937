"""MATH train (Hendrycks et al.): 7,500 competition problems in 7 subjects, 5 difficulty levels.

Upstream
    Hub ``EleutherAI/hendrycks_math``, one config per subject (algebra, counting_and_probability,
    geometry, intermediate_algebra, number_theory, prealgebra, precalculus), split ``train``.
    License MIT. Row schema: ``problem`` (str), ``level`` ("Level 1".."Level 5"), ``type``
    ("Algebra", ...), ``solution`` (str, final answer in ``\\boxed{}``).
Local layouts (``from_dir``)
    * ``math_train.json``: a JSON array of ``{problem, answer, difficulty, type}`` (the answer-only
      release used by rllm; no solutions), or
    * the original tarball layout ``train/<subject>/<n>.json``, one ``{problem, level, type, solution}``
      object per file, or the Hub parquet files ``<config>/train-*.parquet``.
Mapping
    problem -> question; answer = the row's ``answer`` when present, else the content of the
    solution's last ``\\boxed{}`` (nested braces matched); rows with neither are rejected.
    Domain and category ``math``; ``subject`` is the upstream ``type``; level kept in provenance.
"""

from __future__ import annotations

from typing import Any

from crossthink_data.answers.boxes import last_boxed
from crossthink_data.record import QARecord, RecordError

from .base import SourceAdapter, required_text, scalar_text

MATH_CITATION = """@article{hendrycksmath2021,
  title={Measuring Mathematical Problem Solving With the MATH Dataset},
  author={Dan Hendrycks and Collin Burns and Saurav Kadavath and Akul Arora and Steven Basart and Eric Tang and Dawn Song and Jacob Steinhardt},
  journal={NeurIPS},
  year={2021}
}"""

MATH_CONFIGS = (
    "algebra",
    "counting_and_probability",
    "geometry",
    "intermediate_algebra",
    "number_theory",
    "prealgebra",
    "precalculus",
)


class MathTrain(SourceAdapter):
    name = "math_train"
    hub_id = "EleutherAI/hendrycks_math"
    hub_configs = MATH_CONFIGS
    hub_split = "train"
    local_patterns = ("math_train.json", "train/*/*.json", "*/train-*.parquet")
    license = "mit"
    domain = "math"
    citation = MATH_CITATION
    description = (
        "MATH train (EleutherAI/hendrycks_math, MIT): 7,500 competition mathematics problems in "
        "seven subjects and five levels. Upstream rows have problem, level, type and a worked "
        "solution; the gold answer is the content of the solution's last \\boxed{} (or the answer "
        "field of answer-only copies)."
    )

    def to_record(self, row: dict[str, Any]) -> QARecord:
        problem = required_text(row, "problem")
        answer = row.get("answer")
        answer = scalar_text(answer, "answer") if answer is not None else ""
        if not answer:
            if not row.get("solution"):
                state = "empty" if "answer" in row else "missing"
                raise RecordError(f"{state} 'answer' and no 'solution' to take a \\boxed{{}} answer from")
            answer = last_boxed(row["solution"]) or ""
            if not answer:
                raise RecordError("no \\boxed{} final answer in 'solution'")
        level = row.get("level") if row.get("level") is not None else row.get("difficulty")
        return QARecord(
            source=self.name,
            domain=self.domain,
            category="math",
            subject=(row.get("type") or None),
            question=problem,
            answer=answer,
            provenance=self.provenance(level=level),
        )
