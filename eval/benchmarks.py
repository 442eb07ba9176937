"""The paper's seven benchmarks: where their rows live and how one row becomes one question.

Each benchmark is read either from the Hub (the upstream dataset id, the default) or from a local
folder laid out like ``../shared/data/benchmarks`` (``CROSSTHINK_EVAL_DATA_DIR``), so evaluation also
runs offline. Hub and local copies of a benchmark do not always share a schema (AGIEval on the Hub
is lm-eval-harness's preformatted copy, the SuperGPQA sample has its options inside the question),
so every row goes through one adapter that accepts both and returns an :class:`EvalItem`.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crossthink_data.options import (
    OPTION_LABELS,
    answer_label,
    label_within,
    option_line,
    strip_own_labels,
)

DATA_DIR_ENV = "CROSSTHINK_EVAL_DATA_DIR"
VIEW_DIR_ENV = "CROSSTHINK_EVAL_VIEW_DIR"
TASK_PREFIX = "crossthink_"

# AGIEval's English subsets plus its MATH subset (the paper's AGIEval figure has an olympiad-math
# category); the Chinese Gaokao subsets are left out.
AGIEVAL_SUBSETS = (
    "aqua-rat",
    "gaokao-english",
    "logiqa-en",
    "lsat-ar",
    "lsat-lr",
    "lsat-rc",
    "math",
    "sat-en",
    "sat-en-without-passage",
    "sat-math",
)


class BenchmarkRowError(ValueError):
    """A benchmark row the adapter cannot read; the message names the benchmark and the field."""


@dataclass(frozen=True)
class EvalItem:
    """One evaluation question: ``gold`` is the option label for MCQ, the short answer otherwise."""

    question: str
    gold: str
    kind: str  # "mcq" or "math" (the answer checker's kinds)
    options: list[str] | None = None
    subject: str | None = None


@dataclass(frozen=True)
class Benchmark:
    """Where a benchmark's rows come from and how to read them."""

    short_name: str
    hub_repo: str
    hub_subset: str
    hub_split: str
    local_dirs: tuple[str, ...]  # candidate folder names under CROSSTHINK_EVAL_DATA_DIR, first found wins
    adapter: Callable[[dict[str, Any]], EvalItem]
    subsets: tuple[str, ...] = field(default=())  # one lighteval task per subset (AGIEval)

    @property
    def task_name(self) -> str:
        return TASK_PREFIX + self.short_name


# --- row adapters ------------------------------------------------------------------------------


def _text(row: dict[str, Any], *names: str, benchmark: str) -> str:
    for name in names:
        value = row.get(name)
        if value is not None and str(value).strip():
            return str(value).strip()
    raise BenchmarkRowError(f"{benchmark}: row has none of the fields {names} (keys: {sorted(row)})")


def _number_text(value: Any) -> str:
    """27.0 -> "27": AMC23 stores integer answers as floats."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _label(index: int, n_options: int, benchmark: str) -> str:
    if not 0 <= index < n_options:
        raise BenchmarkRowError(f"{benchmark}: gold index {index} outside {n_options} options")
    return OPTION_LABELS[index]


def math500_item(row: dict[str, Any]) -> EvalItem:
    """MATH-500 (HuggingFaceH4/MATH-500 and the local copy share fields problem, answer, subject)."""
    return EvalItem(
        question=_text(row, "problem", benchmark="math_500"),
        gold=_text(row, "answer", benchmark="math_500"),
        kind="math",
        subject=row.get("subject"),
    )


def amc23_item(row: dict[str, Any]) -> EvalItem:
    """AMC23: question (Hub math-ai/amc23) or problem (local copy); numeric answer."""
    if row.get("answer") is None:
        raise BenchmarkRowError("amc23: row has no answer")
    return EvalItem(
        question=_text(row, "question", "problem", benchmark="amc23"),
        gold=_number_text(row["answer"]),
        kind="math",
    )


def mmlu_item(row: dict[str, Any]) -> EvalItem:
    """MMLU: choices + answer index; subject is ``subject`` (cais/mmlu) or ``type`` (local MMLU-STEM)."""
    choices = [str(c) for c in row.get("choices") or []]
    if len(choices) < 2:
        raise BenchmarkRowError("mmlu: row needs a `choices` list")
    return EvalItem(
        question=_text(row, "question", benchmark="mmlu"),
        gold=_label(int(row["answer"]), len(choices), "mmlu"),
        kind="mcq",
        options=choices,
        subject=row.get("subject") or row.get("type"),
    )


def mmlu_pro_item(row: dict[str, Any]) -> EvalItem:
    """MMLU-Pro: up to ten options, gold by ``answer_index`` (the letter in ``answer`` agrees)."""
    options = [str(o) for o in row.get("options") or []]
    if len(options) < 2:
        raise BenchmarkRowError("mmlu_pro: row needs an `options` list")
    return EvalItem(
        question=_text(row, "question", benchmark="mmlu_pro"),
        gold=_label(int(row["answer_index"]), len(options), "mmlu_pro"),
        kind="mcq",
        options=options,
        subject=row.get("category"),
    )


def gpqa_item(row: dict[str, Any]) -> EvalItem:
    """GPQA (Idavidrein/gpqa schema): the correct answer is placed among the three incorrect ones.

    The position is drawn from a generator seeded by the question text, so every run, backend and
    cross-check sees the same option order (lighteval's own GPQA task reshuffles on every load).
    """
    question = _text(row, "Question", benchmark="gpqa_diamond")
    wrong = [_text(row, f"Incorrect Answer {i}", benchmark="gpqa_diamond") for i in (1, 2, 3)]
    correct = _text(row, "Correct Answer", benchmark="gpqa_diamond")
    seed = int(hashlib.sha256(question.encode("utf-8")).hexdigest()[:16], 16)
    gold_index = random.Random(seed).randrange(4)
    options = wrong[:gold_index] + [correct] + wrong[gold_index:]
    return EvalItem(
        question=question,
        gold=OPTION_LABELS[gold_index],
        kind="mcq",
        options=options,
        subject=row.get("High-level domain") or row.get("Subdomain"),
    )


_HARNESS_QUERY = re.compile(r"^Q:\s*(?P<stem>.*?)\s*Answer Choices:.*$", re.DOTALL)


def agieval_item(row: dict[str, Any]) -> EvalItem:
    """AGIEval, in the upstream schema (passage, question, options, label | answer) or in the Hub
    copy lighteval and lm-eval-harness use (query with embedded choices, choices, gold | answer)."""
    if "query" in row:  # hails/agieval-* (lm-eval-harness format)
        query = str(row["query"]).strip()
        match = _HARNESS_QUERY.match(query)
        stem = match.group("stem") if match else re.sub(r"^Q:\s*|\s*A:[^\n]*$", "", query)
        choices = row.get("choices") or []
        if choices:
            gold = row.get("gold")
            gold_index = int(gold[0] if isinstance(gold, list | tuple) else gold)
            options = strip_own_labels(choices)  # "(A)5(√3 + 1)" -> "5(√3 + 1)"
            return EvalItem(stem.strip(), _label(gold_index, len(options), "agieval"), "mcq", options)
        return EvalItem(stem.strip(), _text(row, "answer", benchmark="agieval"), "math")
    question = _text(row, "question", benchmark="agieval")
    passage = (row.get("passage") or "").strip()
    if passage:
        question = f"{passage}\n\n{question}"
    options = row.get("options")
    if options:
        label = label_within(row.get("label"), len(options))
        if label is None:
            raise BenchmarkRowError(
                f"agieval: label {row.get('label')!r} is not one of {len(options)} options"
            )
        # Upstream options carry their own labels: "(A)x" mostly, " A. x" in 66 gaokao-english rows.
        return EvalItem(question, label, "mcq", strip_own_labels(options))
    return EvalItem(question, _text(row, "answer", benchmark="agieval"), "math")


_SUPERGPQA_OPTIONS_MARKER = re.compile(r"\n\s*Options are:\s*\n")


def _split_embedded_options(text: str) -> tuple[str, list[str]]:
    """Question and options from "stem\\n Options are:\\nA. ...\\nB. ..." (options may span lines)."""
    parts = _SUPERGPQA_OPTIONS_MARKER.split(text, maxsplit=1)
    if len(parts) != 2:
        raise BenchmarkRowError("supergpqa: question has no embedded 'Options are:' list")
    stem, body = parts
    options: list[list[str]] = []  # lines of each option; a line labelled with the next label starts one
    for line in body.split("\n"):
        prefix = option_line(line) if not line[:1].isspace() and len(options) < len(OPTION_LABELS) else None
        starts = prefix is not None and not prefix.numeric and prefix.sep == "."
        if starts and prefix.label == OPTION_LABELS[len(options)]:
            options.append([prefix.rest])
        elif options:
            options[-1].append(line)
    if len(options) < 2:
        raise BenchmarkRowError("supergpqa: fewer than two options found after 'Options are:'")
    return stem.strip(), ["\n".join(lines).strip() for lines in options]


def supergpqa_item(row: dict[str, Any]) -> EvalItem:
    """SuperGPQA: upstream m-a-p/SuperGPQA (options list, answer_letter) or the reformatted local
    sample (options inside the question, answer "B. text")."""
    if row.get("options"):
        options = [str(o) for o in row["options"]]
        letter = str(row.get("answer_letter") or "").strip()
        if not letter and row.get("answer") in options:
            letter = OPTION_LABELS[options.index(row["answer"])]
        question = _text(row, "question", benchmark="supergpqa")
    else:
        question, options = _split_embedded_options(_text(row, "question", benchmark="supergpqa"))
        gold = _text(row, "answer_letter", "answer", benchmark="supergpqa")  # "B" or "B. text"
        labelled = answer_label(gold, len(options))
        letter = labelled[0] if labelled else gold[:1]
    if label_within(letter, len(options)) is None:
        raise BenchmarkRowError(f"supergpqa: gold letter {letter!r} is not one of {len(options)} options")
    letter = letter.strip().upper()
    return EvalItem(question, letter, "mcq", options, subject=row.get("discipline"))


# --- the seven benchmarks --------------------------------------------------------------------

BENCHMARKS: dict[str, Benchmark] = {
    b.short_name: b
    for b in (
        Benchmark("math_500", "HuggingFaceH4/MATH-500", "default", "test", ("math500",), math500_item),
        Benchmark("amc23", "math-ai/amc23", "default", "test", ("amc23",), amc23_item),
        Benchmark("mmlu", "cais/mmlu", "all", "test", ("mmlu_stem",), mmlu_item),
        Benchmark("mmlu_pro", "TIGER-Lab/MMLU-Pro", "default", "test", ("mmlu_pro",), mmlu_pro_item),
        Benchmark("gpqa_diamond", "Idavidrein/gpqa", "gpqa_diamond", "train", ("gpqa_diamond",), gpqa_item),
        Benchmark(
            "agieval",
            "hails/agieval-{subset}",
            "default",
            "test",
            ("agieval_v1",),
            agieval_item,
            AGIEVAL_SUBSETS,
        ),
        Benchmark(
            "supergpqa",
            "m-a-p/SuperGPQA",
            "default",
            "train",
            ("supergpqa", "supergpqa_sample300"),
            supergpqa_item,
        ),
    )
}


class UnknownBenchmarkError(ValueError):
    """A benchmark name that is neither a short name nor a crossthink_ task name."""


def resolve_benchmark(name: str) -> Benchmark:
    """``math_500`` or ``crossthink_math_500`` -> the Benchmark; anything else raises with the choices."""
    key = name.strip()
    key = key[len(TASK_PREFIX) :] if key.startswith(TASK_PREFIX) else key
    try:
        return BENCHMARKS[key]
    except KeyError:
        raise UnknownBenchmarkError(
            f"unknown benchmark {name!r}; expected one of {', '.join(BENCHMARKS)} "
            f"(or the same names prefixed with {TASK_PREFIX!r})"
        ) from None


# --- where the rows are read from ------------------------------------------------------------


@dataclass(frozen=True)
class DataSource:
    """Arguments for lighteval's ``load_dataset(path=hf_repo, name=hf_subset)`` and the split to score."""

    hf_repo: str
    hf_subset: str
    split: str
    local: bool


def local_data_dir(value: str | None = None) -> Path | None:
    """The local benchmarks folder (``value``, else ``CROSSTHINK_EVAL_DATA_DIR``), or None for the Hub."""
    value = (value if value is not None else os.environ.get(DATA_DIR_ENV, "")).strip()
    if not value:
        return None
    path = Path(value).expanduser().resolve()
    if not path.is_dir():
        raise FileNotFoundError(f"{DATA_DIR_ENV}={value} is not a directory")
    return path


def _local_folder(benchmark: Benchmark, data_dir: Path) -> Path | None:
    for name in benchmark.local_dirs:
        if (data_dir / name).is_dir():
            return data_dir / name
    return None


def _view_root(data_dir: Path) -> Path:
    """Folder of per-subset views of one data dir (lighteval loads folders, AGIEval ships files)."""
    base = os.environ.get(VIEW_DIR_ENV) or os.path.join(tempfile.gettempdir(), "crossthink_eval_views")
    digest = hashlib.sha256(str(data_dir).encode("utf-8")).hexdigest()[:12]
    return Path(base) / digest


def _subset_view(source_file: Path, view_dir: Path) -> Path:
    """``view_dir/test.jsonl`` pointing at ``source_file``, so ``load_dataset(view_dir)`` reads one subset."""
    view_dir.mkdir(parents=True, exist_ok=True)
    target = view_dir / "test.jsonl"
    if target.is_symlink() or target.exists():
        if target.resolve() == source_file.resolve():
            return view_dir
        target.unlink()
    try:
        target.symlink_to(source_file)
    except OSError:  # filesystems without symlinks
        target.write_bytes(source_file.read_bytes())
    return view_dir


def data_sources(benchmark: Benchmark, data_dir: Path | None = None) -> dict[str | None, DataSource]:
    """Where each (sub)task of ``benchmark`` reads its rows: ``{subset or None: DataSource}``.

    With a local data dir, subsets without a file there are left out (the caller reports them);
    a benchmark with no folder at all gets no entry.
    """
    if data_dir is None:
        if benchmark.subsets:
            return {
                s: DataSource(
                    benchmark.hub_repo.format(subset=s), benchmark.hub_subset, benchmark.hub_split, False
                )
                for s in benchmark.subsets
            }
        return {None: DataSource(benchmark.hub_repo, benchmark.hub_subset, benchmark.hub_split, False)}
    folder = _local_folder(benchmark, data_dir)
    if folder is None:
        return {}
    if not benchmark.subsets:
        return {None: DataSource(str(folder), "default", "test", True)}
    sources = {}
    for subset in benchmark.subsets:
        source_file = folder / f"{subset}.jsonl"
        if source_file.is_file():
            view = _subset_view(source_file, _view_root(data_dir) / benchmark.short_name / subset)
            sources[subset] = DataSource(str(view), "default", "test", True)
    return sources
