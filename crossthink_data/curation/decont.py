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

The index comes from local benchmark files laid out as ``<root>/<benchmark>/<file>`` (jsonl,
json arrays or csv, as in ``../shared/data/benchmarks``) or from lighteval task names (built-in
tasks need the Hub; the ``crossthink_eval.crossthink_tasks`` custom tasks also read local
files), loaded through lighteval's current API (see :func:`lighteval_items`). Output: the kept rows as parquet,
every removed row under ``removed/``, and ``report.json`` with the hits per benchmark and the
matching n-gram of each.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.decont import NGramsDecontConfig, NGramsDecontFilter, NGramsDecontIndexer
from datatrove.utils.text import ngrams

from crossthink_data import storage
from crossthink_data.curation.text import DEFAULT_NORM, make_norm_config, word_tokenizer, words_of
from crossthink_data.rows import count_rows, input_schema, iter_rows, make_reader, make_writer, options_of

# The paper's evaluation suite (lighteval names where lighteval has the task built in).
PAPER_BENCHMARKS = ("math500", "amc23", "aime24", "aime25", "mmlu", "mmlu_pro", "gpqa_diamond", "agieval_v1")
SHORT_QUESTION_PREFIX = "\x00whole-question\x00 "
QUESTION_KEYS = ("problem", "question", "Question", "input", "query")
OPTION_KEYS = ("options", "choices")
GOLD_KEYS = ("answer", "label", "gold", "target")
_OPTION_LABEL = re.compile(r"^\s*(\(?[A-Ja-j]\)|[A-Ja-j][.:])\s*")


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

    n_grams: int = 12
    keep_numbers: bool = True
    lowercase: bool = True
    remove_punctuation: bool = True
    tokenizer: str = "whitespace"
    min_overlap: float = 0.5
    index_answers: bool = True
    whole_short_questions: bool = True

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


# ---------------------------------------------------------------- benchmark files


BENCHMARK_SUFFIXES = (".jsonl", ".json", ".csv")


def load_benchmark_dir(root: str, only: Iterable[str] | None = None) -> Iterator[BenchmarkItem]:
    """Every question of every benchmark under ``root`` (``<root>/<benchmark>/**/<file>``, any storage)."""
    root = storage.as_url(root)
    if not storage.is_dir(root):
        raise FileNotFoundError(f"benchmark folder {root} does not exist")
    wanted = set(only) if only else None
    files = storage.list_files(root, BENCHMARK_SUFFIXES)
    if not files:
        raise FileNotFoundError(f"no .jsonl/.json/.csv benchmark files under {root}")
    for url in files:
        parts = storage.relative(url, root).split("/")
        benchmark = parts[0] if len(parts) > 1 else storage.basename(root)
        if wanted is not None and benchmark not in wanted:
            continue
        stem = "/".join(parts).rsplit(".", 1)[0]
        task = f"{benchmark}:{stem.removeprefix(benchmark + '/')}"
        for row in _benchmark_rows(url):
            item = _to_item(row, benchmark, task)
            if item is not None:
                yield item


def _benchmark_rows(url: str) -> Iterator[dict[str, Any] | list[str]]:
    if url.endswith(".jsonl"):
        yield from iter_rows(url)
    elif url.endswith(".json"):
        data = storage.read_json(url)
        yield from data if isinstance(data, list) else data.get("data", [])
    else:
        with storage.open_url(url, "rt", encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        if rows and rows[0] and rows[0][0].strip().lower() == "question":
            header = rows[0]
            yield from (dict(zip(header, r)) for r in rows[1:])
        else:
            yield from rows  # headerless MMLU layout: question, choices..., answer


def _to_item(row: dict[str, Any] | list[str], benchmark: str, task: str) -> BenchmarkItem | None:
    if isinstance(row, list):
        if len(row) < 3:
            return None
        question, options, gold = row[0], row[1:-1], row[-1]
        passage = ""
    else:
        question = next((str(row[k]) for k in QUESTION_KEYS if row.get(k)), "")
        options = next((row[k] for k in OPTION_KEYS if isinstance(row.get(k), list)), None)
        if options is None:
            options = [row[k] for k in sorted(row) if k.startswith("choice") and k[6:].isdigit()]
        gold = next((str(row[k]) for k in GOLD_KEYS if row.get(k) not in (None, "")), "")
        passage = str(row.get("passage") or "")
    if not question.strip():
        return None
    options = [_OPTION_LABEL.sub("", str(o)) for o in options or []]
    query = "\n".join(part for part in (passage, question, *options) if part)
    content = "\n".join([question, *options])
    return BenchmarkItem(benchmark, task, question, query, gold, content)


def _fresh_task_module(custom_tasks: str | None) -> None:
    """Re-imports a custom-tasks module already imported in this process.

    lighteval imports ``--custom-tasks`` by module name, and a task module builds its configs (data
    folders included, e.g. ``CROSSTHINK_EVAL_DATA_DIR``) at import: a second decontamination in the
    same process with other settings would otherwise index the first one's benchmarks.
    """
    import importlib
    import sys

    if custom_tasks and custom_tasks in sys.modules:
        importlib.reload(sys.modules[custom_tasks])


def lighteval_items(tasks: list[str], custom_tasks: str | None = None) -> Iterator[BenchmarkItem]:
    """Every evaluation doc of lighteval tasks (``math_500``, ``mmlu_pro|0``, or custom tasks such
    as ``crossthink_agieval`` with ``custom_tasks="crossthink_eval.crossthink_tasks"``).

    datatrove 0.10.1's indexer calls ``Registry(cache_dir=...)``, which lighteval 0.13 removed,
    so we load the docs through lighteval's current API and index them like local files. The
    query (the task's full prompt, options included) is indexed; the gold is the gold choice.
    """
    from lighteval.tasks.lighteval_task import LightevalTask
    from lighteval.tasks.registry import Registry

    specs = ",".join(t if "|" in t else f"{t}|0" for t in tasks)
    _fresh_task_module(custom_tasks)
    loaded = Registry(tasks=specs, custom_tasks=str(custom_tasks) if custom_tasks else None).load_tasks()
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
    """What decontamination removed, per benchmark, with the n-gram that matched each row."""

    rows_in: int = 0
    kept: int = 0
    removed: int = 0
    per_benchmark: dict[str, dict[str, Any]] = field(default_factory=dict)

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
) -> DecontReport:
    """Drops rows that overlap a benchmark; writes kept rows in ``data/``, ``removed/`` and
    ``report.json`` under ``output_dir`` (every folder any storage URL)."""
    from datatrove.pipeline.writers import JsonlWriter

    from crossthink_data.executors import make_executor

    settings = settings or DecontSettings()
    input_dir, output_dir = storage.as_url(input_dir), storage.as_url(output_dir)
    reader = make_reader(input_dir)  # a missing input fails here, before the index is built
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
    make_executor(pipeline, logs, tasks=tasks, workers=workers).run()
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
    report.rows_in = report.kept + report.removed
    report.per_benchmark = {
        b: {"hits": sum(c.values()), "tasks": dict(c.most_common()), "examples": examples[b]}
        for b, c in sorted(per_task.items())
    }
    return report


__all__ = [
    "DEFAULT_NORM",
    "PAPER_BENCHMARKS",
    "BenchmarkIndexer",
    "BenchmarkItem",
    "DecontReport",
    "DecontSettings",
    "QuestionDecontFilter",
    "build_index",
    "decontaminate",
    "lighteval_items",
    "load_benchmark_dir",
    "summarize",
]
