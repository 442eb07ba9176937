"""The paper's seven benchmarks: where their rows live and how one row becomes one question.

Each benchmark is read either from the Hub (the upstream dataset id, the default) or from a local
folder laid out like ``../shared/data/benchmarks`` (``CROSSTHINK_EVAL_DATA_DIR``), so evaluation also
runs offline. Hub and local copies of a benchmark do not always share a schema (AGIEval on the Hub
is lm-eval-harness's preformatted copy, the SuperGPQA sample has its options inside the question),
so every row goes through one adapter that accepts both and returns an :class:`EvalItem`.

A local folder has one reader, :func:`read_benchmarks` (data folder and names as arguments, no
environment read): the lighteval tasks load views written from it and decontamination
(``crossthink_data.curation.decont``) indexes the same rows, so both see each benchmark alike.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import random
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
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
    """MMLU: choices + answer index; subject is ``subject`` (cais/mmlu, or the file name of the
    original release's ``test/<subject>_test.csv``, columns ``choice0..3``) or ``type`` (MMLU-STEM)."""
    choices = [str(c) for c in row.get("choices") or []]
    if not choices:
        choices = [str(row[k]) for k in sorted(row) if k.startswith("choice") and k[6:].isdigit()]
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
        # The full 57-subject test set (Hendrycks' data/test/*.csv) when the folder has it, else the STEM subset.
        Benchmark("mmlu", "cais/mmlu", "all", "test", ("mmlu", "mmlu_stem"), mmlu_item),
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


# --- the one reader of local benchmark files -------------------------------------------------

DATA_SUFFIXES = (".jsonl", ".json", ".csv")


def _read_file(path: Path) -> Iterator[dict[str, Any]]:
    """Rows of one jsonl, json (array, or {"data": [...]}) or csv (with a header row) file."""
    if path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as handle:
            yield from (json.loads(line) for line in handle if line.strip())
    elif path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        yield from data if isinstance(data, list) else data.get("data", [])
    else:
        with path.open(encoding="utf-8", newline="") as handle:
            yield from csv.DictReader(handle)


def _test_files(folder: Path) -> list[Path]:
    """The evaluation split of a folder: ``test.<ext>``, else every file under ``test/`` (MMLU's
    one csv per subject), else every data file in it (GPQA ships ``gpqa_diamond.csv``)."""
    named = sorted(p for p in folder.glob("test.*") if p.suffix in DATA_SUFFIXES)
    if named:
        return named[:1]
    if (folder / "test").is_dir():
        return sorted(p for p in (folder / "test").rglob("*") if p.suffix in DATA_SUFFIXES)
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in DATA_SUFFIXES)


def _file_rows(path: Path, subject_from_name: bool) -> Iterator[dict[str, Any]]:
    """A file's rows; MMLU's ``test/<subject>_test.csv`` rows get their subject from the file name."""
    subject = path.stem.removesuffix("_test")
    for row in _read_file(path):
        yield {**row, "subject": row.get("subject") or subject} if subject_from_name else row


@dataclass(frozen=True)
class BenchmarkRows:
    """The rows of one (sub)task of a benchmark, read from a local folder."""

    benchmark: Benchmark
    folder: Path
    subset: str | None
    rows: list[dict[str, Any]]

    @property
    def task(self) -> str:
        """``<folder>:<subset or test>``: the name decontamination reports hits under."""
        return f"{self.folder.name}:{self.subset or 'test'}"

    def items(self) -> Iterator[EvalItem]:
        """Each row as an :class:`EvalItem` (question, options, gold) through the benchmark's adapter."""
        return (self.benchmark.adapter(row) for row in self.rows)


def local_rows(benchmark: Benchmark, data_dir: Path) -> list[BenchmarkRows]:
    """The rows of ``benchmark`` in a local folder, one entry per (sub)task found there."""
    folder = _local_folder(benchmark, data_dir)
    if folder is None:
        return []
    if benchmark.subsets:
        return [
            BenchmarkRows(benchmark, folder, s, list(_read_file(folder / f"{s}.jsonl")))
            for s in benchmark.subsets
            if (folder / f"{s}.jsonl").is_file()
        ]
    files = _test_files(folder)
    if not files:
        return []
    split_dir = files[0].parent != folder
    rows = [row for path in files for row in _file_rows(path, split_dir)]
    return [BenchmarkRows(benchmark, folder, None, rows)]


def benchmarks_named(names: Iterable[str] | None = None) -> list[Benchmark]:
    """Benchmarks by short name (``math_500``), task name (``crossthink_math_500``) or local folder
    name (``math500``, ``agieval_v1``); all seven when ``names`` is None."""
    if names is None:
        return list(BENCHMARKS.values())
    by_folder = {folder: b for b in BENCHMARKS.values() for folder in b.local_dirs}
    chosen = [by_folder[n.strip()] if n.strip() in by_folder else resolve_benchmark(n) for n in names]
    return list(dict.fromkeys(chosen))


def read_benchmarks(data_dir: str | Path, names: Iterable[str] | None = None) -> Iterator[BenchmarkRows]:
    """Every (sub)task's rows of the named benchmarks (default: all seven) found under ``data_dir``.

    The one reader of local benchmark files: the lighteval tasks and decontamination both read
    through it, with the data folder passed in (nothing is read from the environment here).
    Raises FileNotFoundError when ``data_dir`` is not a folder; benchmarks without a folder there
    are skipped (callers that need one check ``local_rows``).
    """
    path = Path(data_dir).expanduser()
    if not path.is_dir():
        raise FileNotFoundError(f"benchmark folder {data_dir} does not exist")
    for benchmark in benchmarks_named(names):
        yield from local_rows(benchmark, path)


def _write_view(rows: list[dict[str, Any]], view_dir: Path) -> Path:
    """``view_dir/test.jsonl`` holding ``rows``, so lighteval's ``load_dataset(view_dir)`` reads
    exactly what :func:`read_benchmarks` read (one subset per folder, MMLU's csv files as one)."""
    view_dir.mkdir(parents=True, exist_ok=True)
    target = view_dir / "test.jsonl"
    text = "".join(json.dumps(row, ensure_ascii=False, default=str) + "\n" for row in rows)
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        tmp = target.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
    return view_dir


def _view_root(data_dir: Path) -> Path:
    """Folder of per-(sub)task views of one data dir (lighteval loads a folder per task)."""
    base = os.environ.get(VIEW_DIR_ENV) or os.path.join(tempfile.gettempdir(), "crossthink_eval_views")
    digest = hashlib.sha256(str(data_dir).encode("utf-8")).hexdigest()[:12]
    return Path(base) / digest


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
    root = _view_root(data_dir) / benchmark.short_name
    return {
        part.subset: DataSource(
            str(_write_view(part.rows, root / (part.subset or "all"))), "default", "test", True
        )
        for part in local_rows(benchmark, data_dir)
    }
