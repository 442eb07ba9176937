"""Demo stand-ins: real training-style sets that ship with the repo (see ``demo_data/README.md``).

They play the paper's sources in ``make demo`` (ARC for the general-purpose MCQ sources, GSM8K and
AGIEval's MATH problems for the math sources). Each adapter also reads the dataset's Hub schema,
so the same code serves the full upstream sets.
"""

from __future__ import annotations

import re
from typing import Any

from crossthink_data.options import answer_label, option_key, split_options
from crossthink_data.record import QARecord, RecordError

from .base import SourceAdapter, required_text


class ARCChallenge(SourceAdapter):
    """ARC-Challenge train (AI2 Reasoning Challenge): grade-school science MCQs.

    Upstream (Hub)
        ``allenai/ai2_arc``, config ``ARC-Challenge``, split ``train`` (1,119 rows). License
        CC-BY-SA-4.0. Row schema: ``id``, ``question``, ``choices`` = ``{"text": [...], "label":
        [...]}`` (labels A-E or 1-4), ``answerKey`` (a label).
    Local layout (``from_dir``)
        ``*.json``: the MUI-Eval packaging (ALEX-nlp/MUI-Eval, ``data/arc/train.jsonl``, a JSON array
        despite its name) of ``{question, answer}``, options embedded as "A. ..." lines at the end
        of ``question`` and ``answer`` starting with the gold option ("C. Rain"), often followed by
        an explanation written by a model. Hub-schema jsonl files are read too.
    Mapping
        Stem and options split from the question (labels 1-4 become A-D); the gold label is the
        label the answer starts with, and its first line must repeat that option's text. Answers
        that do not start with an option label (about 9% of the MUI-Eval rows are free-form
        explanations) or whose text contradicts the label are rejected rather than guessed.
        Domain ``gpr``, category ``stem``.
    """

    name = "arc_challenge"
    hub_id = "allenai/ai2_arc"
    hub_config = "ARC-Challenge"
    hub_split = "train"
    local_patterns = ("*.json", "*.jsonl")
    license = "cc-by-sa-4.0"
    domain = "gpr"
    citation = """@article{allenai:arc,
  author = {Peter Clark and Isaac Cowhey and Oren Etzioni and Tushar Khot and Ashish Sabharwal and Carissa Schoenick and Oyvind Tafjord},
  title = {Think you have Solved Question Answering? Try ARC, the AI2 Reasoning Challenge},
  journal = {arXiv:1803.05457v1},
  year = {2018}
}"""
    description = (
        "ARC-Challenge train (allenai/ai2_arc, CC-BY-SA-4.0): grade-school science multiple-choice "
        "questions that retrieval and co-occurrence baselines get wrong. The demo ships rows in the "
        "MUI-Eval packaging (options embedded in the question, answer as 'C. Rain' plus an "
        "explanation); we split the options off, take the gold label from the answer, and reject "
        "answers that do not name an option."
    )

    def to_record(self, row: dict[str, Any]) -> QARecord:
        if "choices" in row or "answerKey" in row:
            return self._from_hub_row(row)
        text = required_text(row, "question")
        answer = required_text(row, "answer")
        split = split_options(text)
        if split is None:
            raise RecordError("no option lines ('A. ...') found at the end of 'question'")
        labelled = answer_label(answer, len(split.options))
        if labelled is None:
            raise RecordError(f"answer does not start with an option label: {answer[:60]!r}")
        label, stated = labelled
        gold_text = split.options[ord(label) - ord("A")]
        if option_key(stated) != option_key(gold_text):
            raise RecordError(
                f"answer text {stated[:60]!r} does not match option {label} ({gold_text[:60]!r})"
            )
        return self._record(split.stem, split.options, label, row.get("id"))

    def _from_hub_row(self, row: dict[str, Any]) -> QARecord:
        question = required_text(row, "question")
        choices = row.get("choices") or {}
        texts, labels = list(choices.get("text") or []), [str(x) for x in choices.get("label") or []]
        if len(texts) < 2 or len(texts) != len(labels):
            raise RecordError(f"'choices' must hold matching text and label lists, got {choices!r}")
        key = required_text(row, "answerKey")
        if key not in labels:
            raise RecordError(f"answerKey {key!r} is not among the labels {labels}")
        return self._record(
            question, [t.strip() for t in texts], chr(ord("A") + labels.index(key)), row.get("id")
        )

    def _record(self, question: str, options: list[str], label: str, upstream_id: Any) -> QARecord:
        return QARecord(
            source=self.name,
            domain=self.domain,
            category="stem",
            question=question,
            options=options,
            answer=label,
            provenance=self.provenance(upstream_id=upstream_id),
        )


_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


class GSM8K(SourceAdapter):
    """GSM8K: grade-school math word problems with a numeric final answer.

    Upstream (Hub)
        ``openai/gsm8k``, config ``main``, split ``train`` (7,473 rows; the demo ships rows of the
        test split, same schema). License MIT. Row schema: ``question`` (str), ``answer`` (str: the
        worked solution with calculator annotations, then ``#### <final answer>``).
    Local layout (``from_dir``)
        ``*.jsonl`` in the same schema (an extra ``idx`` field is kept in provenance).
    Mapping
        question -> question; answer = the text after the last ``####``, with thousands separators
        removed ("1,000" -> "1000"); rows without ``####`` or with an empty final answer are
        rejected. Domain and category ``math``.
    """

    name = "gsm8k"
    hub_id = "openai/gsm8k"
    hub_config = "main"
    hub_split = "train"
    local_patterns = ("*.jsonl", "main/*.parquet")
    license = "mit"
    domain = "math"
    citation = """@article{cobbe2021gsm8k,
  title={Training Verifiers to Solve Math Word Problems},
  author={Cobbe, Karl and Kosaraju, Vineet and Bavarian, Mohammad and Chen, Mark and Jun, Heewoo and Kaiser, Lukasz and Plappert, Matthias and Tworek, Jerry and Hilton, Jacob and Nakano, Reiichiro and Hesse, Christopher and Schulman, John},
  journal={arXiv preprint arXiv:2110.14168},
  year={2021}
}"""
    description = (
        "GSM8K (openai/gsm8k, MIT): grade-school math word problems. Upstream rows have question and "
        "answer, a worked solution ending in '#### <number>'; the number after '####' is the gold "
        "answer (thousands separators removed)."
    )

    def to_record(self, row: dict[str, Any]) -> QARecord:
        question = required_text(row, "question")
        solution = required_text(row, "answer")
        if "####" not in solution:
            raise RecordError("no '####' final answer in 'answer'")
        final = solution.rsplit("####", 1)[1].strip()
        if not final:
            raise RecordError("empty final answer after '####'")
        if _THOUSANDS.match(final):
            final = final.replace(",", "")
        return QARecord(
            source=self.name,
            domain=self.domain,
            category="math",
            question=question,
            answer=final,
            provenance=self.provenance(upstream_id=row.get("idx")),
        )


class AGIEvalMath(SourceAdapter):
    """AGIEval v1 ``math``: 1,000 MATH competition problems with their final answers.

    Upstream
        ruixiangcui/AGIEval, ``data/v1/math.jsonl`` (GitHub; no canonical Hub copy, so this adapter
        reads local files only). License MIT. Row schema: ``passage`` (null), ``question`` (str),
        ``options`` (null), ``label`` (null), ``answer`` (str), ``other`` = ``{solution, level,
        type}``.
    Local layout (``from_dir``)
        ``math.jsonl``.
    Mapping
        question -> question; answer -> answer (rows without one are rejected); ``other.type`` ->
        subject; level in provenance. Domain and category ``math``. AGIEval is an evaluation
        benchmark: fine as a demo stand-in, and decontamination will remove it from real blends.
    """

    name = "agieval_math"
    hub_id = None
    local_patterns = ("math.jsonl",)
    license = "mit"
    domain = "math"
    citation = """@misc{zhong2023agieval,
  title={AGIEval: A Human-Centric Benchmark for Evaluating Foundation Models},
  author={Wanjun Zhong and Ruixiang Cui and Yiduo Guo and Yaobo Liang and Shuai Lu and Yanlin Wang and Amin Saied and Weizhu Chen and Nan Duan},
  year={2023},
  eprint={2304.06364},
  archivePrefix={arXiv},
  primaryClass={cs.CL}
}"""
    description = (
        "AGIEval v1 math (ruixiangcui/AGIEval, MIT): 1,000 MATH competition problems with final "
        "answers, part of the AGIEval benchmark. Upstream rows have passage, question, options, "
        "label, answer and other (solution, level, type); we keep question and answer as an "
        "open-ended math record."
    )

    def to_record(self, row: dict[str, Any]) -> QARecord:
        question = required_text(row, "question")
        if row.get("passage"):
            question = f"{str(row['passage']).strip()}\n\n{question}"
        answer = required_text(row, "answer")
        other = row.get("other") if isinstance(row.get("other"), dict) else {}
        return QARecord(
            source=self.name,
            domain=self.domain,
            category="math",
            subject=other.get("type") or None,
            question=question,
            answer=answer,
            provenance=self.provenance(level=other.get("level")),
        )
