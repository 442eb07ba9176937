"""N-gram decontamination against the evaluation benchmarks, on datatrove's ``decont`` module.

The index holds, per benchmark task, the hashed n-grams of every benchmark question (with its
passage and options) and of its gold answer (datatrove's ``NGramsDecontIndexer`` hashing). Three
changes to datatrove's filter, because benchmark *questions* are short and formulaic:

* a row is dropped when at least ``min_overlap`` (default half) of the n-grams of its question (or of
  question + options) are in the index, not on the first shared n-gram: on MATH train, single hits were
  boilerplate ("can be written in the form", asy preambles) while copies share every n-gram;
* questions shorter than ``n`` words have no n-gram at all, so their whole normalised text is
  also indexed and matched exactly (10% of MATH-500 problems are under 12 words);
* numbers are kept and words split on whitespace (see :mod:`crossthink_data.curation.text`).

The index comes from a local benchmark folder laid out like ``../shared/data/benchmarks``, read
by the evaluation's own benchmark definitions (``crossthink_eval.benchmarks.read_benchmarks``:
one reader, so a benchmark is indexed with the question, options and gold it is evaluated on),
or from lighteval task names (built-in tasks need the Hub; ``crossthink_*`` tasks read
``CROSSTHINK_EVAL_DATA_DIR`` when it is set), see :func:`lighteval_items`. Output: the kept rows as parquet,
every removed row under ``removed/``, and ``report.json`` with the hits per benchmark and the
matching n-gram of each.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.decont import NGramsDecontConfig, NGramsDecontFilter, NGramsDecontIndexer
from datatrove.utils.text import ngrams

from crossthink_data import storage
from crossthink_data.config import max_rejected_field
from crossthink_data.curation.text import DEFAULT_NORM, make_norm_config, word_tokenizer, words_of
from crossthink_data.rows import (
    check_input,
    count_rows,
    input_schema,
    iter_rows,
    make_reader,
    make_writer,
    options_of,
    read_counts,
)

SHORT_QUESTION_PREFIX = "\x00whole-question\x00 "
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BenchmarkItem:
    """One evaluation question: ``task`` is ``<benchmark>:<file>``, ``query`` its full prompt text."""

    benchmark: str
    task: str
    question: str
    query: str
    gold: str
    content: str = ""  # question + options, labels stripped (what a training row would carry)


@dataclass
class DecontSettings:
    """n-gram size, normalisation and how much overlap counts as contamination.

    ``min_overlap`` is the share of a row's n-grams that must be in the index: single shared
    n-grams are mostly boilerplate ("where m and n are relatively prime positive integers find"),
    while a copied question shares all of them. ``min_overlap=0`` is datatrove's any-hit rule.
    """

    n_grams: int = field(default=12, metadata={"min": 3})  # shorter n-grams match everything
    keep_numbers: bool = True
    lowercase: bool = True
    remove_punctuation: bool = True
    tokenizer: str = "whitespace"
    min_overlap: float = field(default=0.5, metadata={"min": 0.0, "max": 1.0})
    index_answers: bool = True
    whole_short_questions: bool = True
    max_rejected: float = max_rejected_field()  # share of input rows that may be unreadable

    def datatrove_config(self) -> NGramsDecontConfig:
        if self.n_grams < 3:
            raise ValueError(
                f"n_grams must be at least 3 (got {self.n_grams}): shorter n-grams match everything"
            )
        return NGramsDecontConfig(
            n_grams=self.n_grams,
            find_query_ngrams=True,
            find_overlap_ngrams=self.index_answers,
            norm_config=make_norm_config(
                numbers=not self.keep_numbers, lowercase=self.lowercase, punctuation=self.remove_punctuation
            ),
        )


# ---------------------------------------------------------------- benchmark rows


def load_benchmark_dir(root: str, only: Iterable[str] | None = None) -> Iterator[BenchmarkItem]:
    """Every question of the paper's benchmarks under ``root``, read by the evaluation's benchmark
    definitions (``crossthink_eval.benchmarks.read_benchmarks``), so decontamination indexes each
    benchmark exactly as it is evaluated: GPQA's ``Correct Answer``/``Incorrect Answer N`` become
    its options, MMLU's 57 subject files its questions, SuperGPQA's embedded options its options.

    ``only`` names benchmarks (``math500``/``agieval_v1`` folder names, or ``math_500``); a hit is
    reported under ``<folder>`` and ``<folder>:<subset>``. Folders that are not one of the
    evaluation's benchmarks are not indexed (they are logged).
    """
    yield from benchmark_items(root, only)


def benchmark_items(
    root: str, only: Iterable[str] | None = None, name_by: str = "folder"
) -> Iterator[BenchmarkItem]:
    """:class:`BenchmarkItem` of every row the evaluation's reader yields (see :func:`load_benchmark_dir`).

    ``name_by="task"`` reports under the lighteval task name (``crossthink_math_500``) instead.
    """
    # The evaluation side owns the benchmark definitions; it imports nothing of ours back.
    from crossthink_eval.benchmarks import BenchmarkRowError, read_benchmarks

    path = storage.as_url(root)
    if not storage.is_dir(path) or "://" in path:
        raise FileNotFoundError(f"benchmark folder {root} does not exist (a local folder is needed)")
    _log_unread_folders(path, only)
    for part in read_benchmarks(path, only):
        name = part.folder.name if name_by == "folder" else part.benchmark.task_name
        task = part.task if name_by == "folder" else name
        skipped = 0
        for row in part.rows:
            try:
                item = part.benchmark.adapter(row)
            except BenchmarkRowError:
                skipped += 1
                continue
            yield _item(name, task, item.question, item.options, item.gold, item.kind)
        if skipped:
            logger.warning("%s: %d row(s) the benchmark's reader cannot read were not indexed", task, skipped)


def _item(
    benchmark: str, task: str, question: str, options: list[str] | None, gold: str, kind: str
) -> BenchmarkItem:
    """The indexed text: the question with its options; the gold as its text (an MCQ's option)."""
    options = list(options or [])
    if kind == "mcq" and options:
        from crossthink_data.options import OPTION_LABELS

        gold = options[OPTION_LABELS.index(gold)]
    content = "\n".join([question, *options])
    return BenchmarkItem(benchmark, task, question, content, gold, content)


def _log_unread_folders(root: str, only: Iterable[str] | None) -> None:
    from crossthink_eval.benchmarks import BENCHMARKS

    known = {folder for b in BENCHMARKS.values() for folder in b.local_dirs}
    folders = {p.name for p in Path(root).iterdir() if p.is_dir()} - known
    if folders and only is None:
        logger.info(
            "benchmark folders outside the evaluation suite, not indexed: %s", ", ".join(sorted(folders))
        )


def lighteval_items(tasks: list[str], custom_tasks: str | None = None) -> Iterator[BenchmarkItem]:
    """Every evaluation doc of lighteval tasks (``math_500``, ``mmlu_pro|0``), or of this project's
    ``crossthink_*`` tasks (their local rows under ``CROSSTHINK_EVAL_DATA_DIR`` through the
    evaluation's reader, else their Hub rows through :func:`crossthink_eval.crossthink_tasks.task_configs`).

    datatrove 0.10.1's indexer calls ``Registry(cache_dir=...)``, which lighteval 0.13 removed,
    so we load the docs through lighteval's current API and index them like local files. The
    query (the task's full prompt, options included) is indexed; the gold is the gold choice.
    """
    from crossthink_eval.benchmarks import TASK_PREFIX, local_data_dir

    names = [t.split("|")[0].strip() for t in tasks]
    ours = [n for n in names if n.startswith(TASK_PREFIX)]
    data_dir = local_data_dir() if ours else None
    if ours and data_dir is not None:
        yield from benchmark_items(str(data_dir), [n.split(":")[0] for n in ours], name_by="task")
    yield from _lighteval_docs([n for n in names if n not in ours or data_dir is None], custom_tasks)


def _lighteval_docs(names: list[str], custom_tasks: str | None) -> Iterator[BenchmarkItem]:
    if not names:
        return
    from lighteval.tasks.lighteval_task import LightevalTask
    from lighteval.tasks.registry import Registry

    ours = [n for n in names if n.startswith("crossthink_")]
    loaded: dict[str, LightevalTask] = {}
    if ours:  # our tasks' Hub rows, built by a function call (no module reload, no env read at import)
        from crossthink_eval.crossthink_tasks import task_configs

        for config in task_configs(None):
            if config.name in ours or config.name.split(":")[0] in ours:
                loaded[config.name] = LightevalTask(config)
    others = [n for n in names if n not in ours]
    if others:
        custom = None if custom_tasks == "crossthink_eval.crossthink_tasks" else custom_tasks
        specs = ",".join(f"{t}|0" for t in others)
        loaded.update(Registry(tasks=specs, custom_tasks=str(custom) if custom else None).load_tasks())
    LightevalTask.load_datasets(loaded)
    for name, task in loaded.items():
        task_name = name.split("|")[0]
        benchmark = task_name.split(":")[0]
        for doc in task.eval_docs():
            golds = [str(g) for g in doc.get_golds()]
            yield BenchmarkItem(
                benchmark, task_name, doc.query, doc.query, golds[0] if golds else "", doc.query
            )


# ---------------------------------------------------------------- datatrove steps


class BenchmarkIndexer(NGramsDecontIndexer):
    """datatrove's n-gram indexer fed with benchmark items (from local files or lighteval).

    Writes the same ``<task>.index.hashes`` files datatrove's filter loads, plus the whole-text
    hash of each question shorter than n words.
    """

    _requires_dependencies: list[str] = []

    def __init__(
        self, output_folder: str, items: list[BenchmarkItem], settings: DecontSettings | None = None
    ) -> None:
        self.settings = settings or DecontSettings()
        super().__init__(
            output_folder,
            config=self.settings.datatrove_config(),
            language=word_tokenizer(self.settings.tokenizer),
        )
        if not items:
            raise ValueError("no benchmark questions to index")
        self.items = items

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> None:
        hashes: dict[str, set[int]] = defaultdict(set)
        for item in self.items:
            label = item.gold if self.settings.index_answers else ""
            hashes[item.task].update(self.compute_hashes(label, item.query))
            if self.settings.whole_short_questions:
                words = self._words(item.question)
                if 0 < len(words) < self.config.n_grams:
                    for text in {item.question, item.content or item.question}:
                        whole = SHORT_QUESTION_PREFIX + " ".join(self._words(text))
                        hashes[item.task].add(self.hash_func(whole))
        for task, task_hashes in hashes.items():
            array = np.sort(
                np.fromiter(task_hashes, dtype=self.config.hash_config.np_descr, count=len(task_hashes))
            )
            self.stat_update("indexed_hashes", value=len(array))
            with self.output_folder.open(f"{task.replace(' ', '_')}.index.hashes", mode="wb") as handle:
                handle.write(array.tobytes())

    def _words(self, text: str) -> list[str]:
        return words_of(text, self.config.norm_config, self.tokenizer)

    def compute_hashes(self, label: str, query: str | None = None) -> list[int]:
        """datatrove's n-gram selection (label, query, overlap), with our faster identical normalisation."""
        n = self.config.n_grams
        label_words = self._words(label)
        grams = [" ".join(g) for g in ngrams(label_words, n)]
        if query is not None:
            query_words = self._words(query)
            if self.config.find_query_ngrams:
                grams += [" ".join(g) for g in ngrams(query_words, n)]
            if self.config.find_overlap_ngrams:
                grams += [
                    " ".join(query_words[-n + 1 + i :] + label_words[: i + 1])
                    for i in range(n - 1)
                    if len(query_words) >= n - 1 - i and len(label_words) >= i + 1
                ]
        return [self.hash_func(g) for g in grams]


class QuestionDecontFilter(NGramsDecontFilter):
    """datatrove's n-gram filter over question + options, plus the whole-short-question match."""

    name = "🦠 decontaminate questions"

    def __init__(
        self, index_folder: str, settings: DecontSettings | None = None, exclusion_writer=None
    ) -> None:
        self.settings = settings or DecontSettings()
        super().__init__(
            index_folder,
            config=self.settings.datatrove_config(),
            exclusion_writer=exclusion_writer,
            language=word_tokenizer(self.settings.tokenizer),
        )

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        if self._index_hashes is None:
            self.load_index_hashes()
        index, hash_func = self._index_hashes, self.hash_func
        norm, n = self.config.norm_config, self.config.n_grams
        question = words_of(doc.text, norm, self.tokenizer)
        content = question + [w for o in options_of(doc.metadata) for w in words_of(o, norm, self.tokenizer)]
        # n-grams of the content once; the question's n-grams are its first ones
        grams = [" ".join(words) for words in ngrams(content, n)]
        tasks = [index.get(hash_func(gram)) for gram in grams]
        in_question = max(len(question) - n + 1, 0)
        matches: list[tuple[str, str]] = []
        overlap = 0.0
        for size in (in_question, len(grams)) if len(grams) > in_question else (in_question,):
            found = [(gram, task) for gram, task in zip(grams[:size], tasks[:size]) if task is not None]
            if size and len(found) / size > overlap:
                matches, overlap = found, len(found) / size
        if self.settings.whole_short_questions and 0 < len(question) < n:
            # the MCQ's question + options, or the open question alone
            whole = SHORT_QUESTION_PREFIX + " ".join(content)
            task = index.get(hash_func(whole))
            if task is not None:
                matches, overlap = [(whole, task)], 1.0
        if not matches or overlap < self.settings.min_overlap:
            return True
        task = Counter(t for _, t in matches).most_common(1)[0][0]
        doc.metadata["contaminated_ngram"] = next(g for g, t in matches if t == task).removeprefix(
            SHORT_QUESTION_PREFIX
        )
        doc.metadata["contaminated_task"] = task
        doc.metadata["contaminated_overlap"] = round(overlap, 3)
        self.stat_update(f"contaminated_{task.split(':')[0]}")
        return False, "contaminated"


# ---------------------------------------------------------------- the stage


@dataclass
class DecontReport:
    """What decontamination removed, per benchmark, with the n-gram that matched each row, and the
    input rows rejected on read, by reason (``rows_in`` = kept + removed + rejected)."""

    rows_in: int = 0
    kept: int = 0
    removed: int = 0
    per_benchmark: dict[str, dict[str, Any]] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)


def build_index(
    benchmarks: str | list[str],
    index_dir: str,
    settings: DecontSettings | None = None,
    only: Iterable[str] | None = None,
    custom_tasks: str | None = None,
) -> str:
    """Index from a benchmark folder (any storage URL), or from lighteval task names (a list, or
    comma-separated). Returns the folder of the index hashes."""
    from crossthink_data.executors import make_executor

    settings = settings or DecontSettings()
    if isinstance(benchmarks, str | os.PathLike) and storage.is_dir(benchmarks):
        items = list(load_benchmark_dir(storage.as_url(benchmarks), only))
    else:
        tasks = benchmarks.split(",") if isinstance(benchmarks, str) else [str(t) for t in benchmarks]
        tasks = [t.strip() for t in tasks if t.strip()]
        if not tasks:
            raise ValueError(f"{benchmarks!r} is neither a benchmark folder nor lighteval task names")
        items = list(lighteval_items(tasks, custom_tasks))
    hashes = storage.join(index_dir, "hashes")
    make_executor([BenchmarkIndexer(hashes, items, settings)], storage.join(index_dir, "logs")).run()
    return hashes


def decontaminate(
    input_dir: str,
    output_dir: str,
    benchmarks: str | list[str],
    settings: DecontSettings | None = None,
    only: Iterable[str] | None = None,
    tasks: int = 1,
    workers: int = 1,
    max_examples: int = 20,
    custom_tasks: str | None = None,
    executor: str = "local",
) -> DecontReport:
    """Drops rows that overlap a benchmark; writes kept rows in ``data/``, ``removed/``, ``rejected/``
    and ``report.json`` under ``output_dir`` (every folder any storage URL). Stops before the index is
    built when more than ``settings.max_rejected`` of the input rows cannot be read."""
    from datatrove.pipeline.writers import JsonlWriter

    from crossthink_data.executors import make_executor

    settings = settings or DecontSettings()
    input_dir, output_dir = storage.as_url(input_dir), storage.as_url(output_dir)
    reader = make_reader(input_dir)  # a missing input fails here, before the index is built
    check_input(
        input_dir, output_dir, settings.max_rejected, "decontaminate",
        tasks=tasks, workers=workers, executor=executor,
    )  # fmt: skip
    index = build_index(benchmarks, storage.join(output_dir, "index"), settings, only, custom_tasks)
    removed_writer = JsonlWriter(
        storage.join(output_dir, "removed"), output_filename="${rank}.jsonl", compression=None
    )
    pipeline = [
        reader,
        QuestionDecontFilter(index, settings, exclusion_writer=removed_writer),
        make_writer(storage.join(output_dir, "data"), input_schema(input_dir)),
    ]
    logs = storage.join(output_dir, "logs", "filter")
    make_executor(pipeline, logs, executor, tasks=tasks, workers=workers).run()
    report = summarize(output_dir, max_examples)
    storage.write_text(storage.join(output_dir, "report.json"), report.to_json())
    return report


def summarize(output_dir: str, max_examples: int = 20) -> DecontReport:
    """Report from the removed rows (each carries its matching n-gram and task) and the kept files."""
    report = DecontReport()
    report.kept = count_rows(storage.join(output_dir, "data"))
    per_task: dict[str, Counter] = defaultdict(Counter)
    examples: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path in storage.list_files(storage.join(output_dir, "removed"), (".jsonl",), recursive=False):
        for doc in iter_rows(path):
            meta = doc.get("metadata", {})
            task = meta.get("contaminated_task", "?")
            benchmark = task.split(":")[0]
            report.removed += 1
            per_task[benchmark][task] += 1
            if len(examples[benchmark]) < max_examples:
                examples[benchmark].append(
                    {
                        "id": doc.get("id"),
                        "source": meta.get("source"),
                        "template": meta.get("template"),
                        "task": task,
                        "ngram": meta.get("contaminated_ngram"),
                        "question": doc.get("text", "")[:300],
                    }
                )
    report.rejected = read_counts(storage.join(output_dir, "logs", "0_read")).rejected
    report.rows_in = report.kept + report.removed + sum(report.rejected.values())
    report.per_benchmark = {
        b: {"hits": sum(c.values()), "tasks": dict(c.most_common()), "examples": examples[b]}
        for b, c in sorted(per_task.items())
    }
    return report


__all__ = [
    "DEFAULT_NORM",
    "BenchmarkIndexer",
    "BenchmarkItem",
    "DecontReport",
    "DecontSettings",
    "QuestionDecontFilter",
    "benchmark_items",
    "build_index",
    "decontaminate",
    "lighteval_items",
    "load_benchmark_dir",
    "summarize",
]
