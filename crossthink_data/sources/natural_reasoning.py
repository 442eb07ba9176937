"""Natural Reasoning (Meta): 2.8M questions back-translated from pretraining text, with reference
answers. The paper uses 100k rows as a general-purpose reasoning source.

Upstream
    Hub ``facebook/natural_reasoning``, split ``train``. License **CC-BY-NC-4.0** (non-commercial):
    records from it carry that license and ``commercial_use=False`` travels to the dataset card.
    Row schema: ``question`` (str), ``reference_answer`` (str; empty for the rows without one),
    ``responses`` (list of ``{"response_model": str, "response": str}``: a Llama model's answer).
Local layout (``from_dir``)
    The Hub files as downloaded (``*.jsonl`` or ``*.parquet``, any depth).
Mapping
    question -> question; reference_answer -> answer (open question, no options). Rows with an empty
    reference answer are rejected: there is nothing to verify against. ``responses`` are not used as
    gold (they are model outputs); their models are kept in provenance. Domain ``gpr``; category
    ``other`` because upstream rows carry no subject (a classifier can refine it later).
No rows of this dataset exist offline here: the tests use rows written in this schema.
"""

from __future__ import annotations

from typing import Any

from crossthink_data.record import QARecord

from .base import SourceAdapter, required_text


class NaturalReasoning(SourceAdapter):
    name = "natural_reasoning"
    hub_id = "facebook/natural_reasoning"
    hub_split = "train"
    license = "cc-by-nc-4.0"
    commercial_use = False
    domain = "gpr"
    citation = """@misc{yuan2025naturalreasoning,
  title={NaturalReasoning: Reasoning in the Wild with 2.8M Challenging Questions},
  author={Weizhe Yuan and Jane Yu and Song Jiang and Karthik Padthe and Yang Li and Dong Wang and Ilia Kulikov and Kyunghyun Cho and Yuandong Tian and Jason E Weston and Xian Li},
  year={2025},
  eprint={2502.13124},
  archivePrefix={arXiv},
  primaryClass={cs.CL}
}"""
    description = (
        "Natural Reasoning (facebook/natural_reasoning, CC-BY-NC-4.0, non-commercial): 2.8M "
        "questions back-translated from pretraining corpora, with a reference answer extracted from "
        "the source document and a Llama response. Upstream rows have question, reference_answer and "
        "responses; we keep question and reference_answer as an open-ended record and drop rows "
        "without a reference answer."
    )

    def to_record(self, row: dict[str, Any]) -> QARecord:
        question = required_text(row, "question")
        answer = required_text(row, "reference_answer")
        responses = row.get("responses") or []
        models = sorted(
            {r.get("response_model") for r in responses if isinstance(r, dict) and r.get("response_model")}
        )
        return QARecord(
            source=self.name,
            domain=self.domain,
            category="other",
            question=question,
            answer=answer,
            provenance=self.provenance(response_models=models or None),
        )
