"""Domain labels for web documents: a fastText classifier trained on MMLU questions.

The paper mines Common Crawl "guided by MMLU's subject categories". The cheapest faithful
reading is a bag-of-words classifier that learned what STEM, humanities, social-science and
"other" MMLU questions sound like, applied to whole documents. fastText trains on the 14k MMLU
test+dev questions in seconds on one core, predicts in well under a millisecond per document,
and its quantized model (1.4 MB) ships in the package (``DEFAULT_MODEL``). MMLU's ``val`` split
is held out for the accuracy we report.

Steps: :class:`DomainLabeller` adds ``category`` and ``category_confidence`` to each document;
:class:`CategoryBudget` keeps the confident ones, at most a budget per category.
"""

from __future__ import annotations

import csv
import json
import math
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter

from crossthink_data import storage
from crossthink_data.categories import MMLU_SUBJECT_CATEGORY

WEB_CATEGORIES = ("stem", "humanities", "social_sciences", "other")
DEFAULT_MODEL = Path(__file__).parent / "models" / "domain_mmlu.ftz"
MAX_DOC_CHARS = 20_000  # the opening of a long page says what it is about; keeps prediction O(1)
FASTTEXT_LOCAL = "fastText loads models from local files (a path or file:// URL)"
_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)

# fastText settings: training is deterministic (one thread, fixed seed; quantization's k-means is
# not, so a rebuilt .ftz differs slightly); bigrams help ("supply curve").
# Quantized with the 50k most useful rows and no retraining: 1.4 MB, val accuracy 0.81 (4.3 MB and
# 0.85 with dim 64, 2M buckets and retraining, at 2.5x the build time).
TRAIN_PARAMS = {
    "epoch": 25,
    "lr": 0.5,
    "wordNgrams": 2,
    "dim": 32,
    "bucket": 200_000,
    "minCount": 1,
    "thread": 1,
    "seed": 0,
}
QUANTIZE_PARAMS = {"qnorm": True, "retrain": False, "cutoff": 50_000, "thread": 1, "verbose": 0}


def normalise(text: str, max_chars: int = MAX_DOC_CHARS) -> str:
    """Lower-cased tokens separated by spaces, the same for training questions and web pages."""
    return " ".join(_TOKEN.findall(text[:max_chars].lower()))


@dataclass
class LabelledText:
    text: str
    category: str
    subject: str = ""


def _subject_of(path: str) -> str:
    # test/abstract_algebra_test.csv -> abstract_algebra
    return storage.basename(path).removesuffix(".csv").rsplit("_", 1)[0]


def read_mmlu_split(mmlu_dir: str | Path, split: str) -> list[LabelledText]:
    """Question + options of every MMLU row in ``split`` (test, dev or val), with its category.

    test/dev files carry a header (question, choice0..3, answer); val files are headerless.
    """
    folder = storage.join(mmlu_dir, split)
    files = storage.list_files(folder, (f"_{split}.csv",), recursive=False)
    if not files:
        raise FileNotFoundError(f"no MMLU {split} files (*_{split}.csv) under {folder}")
    rows: list[LabelledText] = []
    for path in files:
        subject = _subject_of(path)
        if subject not in MMLU_SUBJECT_CATEGORY:
            raise ValueError(f"{storage.basename(path)}: {subject!r} is not an MMLU subject")
        with storage.open_url(path, "rt", newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            for index, row in enumerate(reader):
                if index == 0 and row[:2] == ["question", "choice0"]:
                    continue
                if len(row) < 5:
                    continue
                text = " ".join(row[:5])  # question and the four options
                rows.append(LabelledText(text, MMLU_SUBJECT_CATEGORY[subject], subject))
    return rows


# AGIEval English subsets whose category is unambiguous under MMLU's table (math -> STEM;
# logical reasoning and law admission tests -> humanities, like MMLU's formal_logic and law).
AGIEVAL_CATEGORY = {
    "aqua-rat": "stem",
    "sat-math": "stem",
    "math": "stem",
    "logiqa-en": "humanities",
    "lsat-lr": "humanities",
}


def read_agieval(agieval_dir: str | Path) -> list[LabelledText]:
    """AGIEval rows of the subsets in :data:`AGIEVAL_CATEGORY`, labelled with that category."""
    rows: list[LabelledText] = []
    for name, category in AGIEVAL_CATEGORY.items():
        path = storage.join(agieval_dir, f"{name}.jsonl")
        if not storage.exists(path):
            continue
        for line in storage.read_text(path).splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            parts = [
                item.get("passage") or "",
                item.get("question") or "",
                " ".join(item.get("options") or []),
            ]
            rows.append(LabelledText(" ".join(parts), category, name))
    return rows


class DomainClassifier:
    """A trained fastText model mapping text to one of :data:`WEB_CATEGORIES` with a probability."""

    def __init__(self, model_path: str | Path = DEFAULT_MODEL) -> None:
        self.model_path = storage.local_path(model_path, FASTTEXT_LOCAL)
        self._model = None

    @property
    def model(self):
        if self._model is None:
            from fasttext.FastText import _FastText

            if not Path(self.model_path).is_file():
                raise FileNotFoundError(
                    f"domain model not found at {self.model_path}; build it with "
                    "`crossthink-data train-domain-classifier --mmlu-dir DIR --output PATH`"
                )
            self._model = _FastText(self.model_path)
        return self._model

    def predict(self, text: str) -> tuple[str, float]:
        labels, probs = self.model.predict(normalise(text), k=1)
        if not labels:
            return "other", 0.0
        return labels[0].removeprefix("__label__"), float(min(1.0, probs[0]))

    def accuracy(self, rows: Iterable[LabelledText]) -> tuple[float, int]:
        rows = list(rows)
        if not rows:
            return math.nan, 0
        correct = sum(self.predict(row.text)[0] == row.category for row in rows)
        return correct / len(rows), len(rows)


def _train_file(train_file: str, output: str, quantize: bool) -> None:
    import fasttext

    params = dict(TRAIN_PARAMS)
    for _ in range(4):
        try:
            model = fasttext.train_supervised(input=train_file, verbose=0, **params)
            break
        except RuntimeError as err:  # "Encountered NaN": lr too high for a small training set
            if "NaN" not in str(err):
                raise
            params["lr"] /= 2
    else:
        raise RuntimeError(f"fastText diverged even at lr={params['lr']}")
    if quantize:
        model.quantize(input=train_file, **QUANTIZE_PARAMS)
    model.save_model(output)


def train_domain_classifier(
    train_rows: list[LabelledText], output: str | Path, quantize: bool = True
) -> DomainClassifier:
    """Train (and by default quantize to ``.ftz``) a classifier; returns it loaded from ``output`` (local).

    Training runs in a fresh process: libraries loaded earlier in a long-lived process (e.g. by
    the extraction stack) can change floating-point state and with it fastText's result.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if not train_rows:
        raise ValueError("no training rows")
    output = Path(storage.local_path(output, FASTTEXT_LOCAL))
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        train_file = Path(tmp) / "train.txt"
        train_file.write_text(
            "".join(f"__label__{row.category} {normalise(row.text)}\n" for row in train_rows),
            encoding="utf-8",
        )
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            pool.submit(_train_file, str(train_file), str(output), quantize).result()
    return DomainClassifier(output)


@dataclass
class TrainingReport:
    model_path: str
    train_rows: int
    held_out: dict[str, tuple[float, int]] = field(default_factory=dict)
    train_categories: dict[str, int] = field(default_factory=dict)

    def lines(self) -> Iterator[str]:
        yield f"trained on {self.train_rows} MMLU test+dev questions {self.train_categories} -> {self.model_path}"
        for name, (accuracy, n) in self.held_out.items():
            yield f"held-out accuracy on {name}: {accuracy:.3f} ({n} rows)"


def train_from_mmlu(
    mmlu_dir: str | Path,
    output: str | Path = DEFAULT_MODEL,
    agieval_dir: str | Path | None = None,
    train_splits: tuple[str, ...] = ("test", "dev"),
    held_out_split: str = "val",
) -> TrainingReport:
    """Train on MMLU ``train_splits`` and report accuracy on ``held_out_split`` (and AGIEval)."""
    train_rows = [row for split in train_splits for row in read_mmlu_split(mmlu_dir, split)]
    classifier = train_domain_classifier(train_rows, output)
    report = TrainingReport(
        str(output),
        len(train_rows),
        train_categories=dict(sorted(Counter(r.category for r in train_rows).items())),
    )
    report.held_out[f"MMLU {held_out_split}"] = classifier.accuracy(read_mmlu_split(mmlu_dir, held_out_split))
    if agieval_dir is not None:
        report.held_out["AGIEval (math->stem, logic/LSAT-LR->humanities)"] = classifier.accuracy(
            read_agieval(agieval_dir)
        )
    return report


class DomainLabeller(PipelineStep):
    """Adds ``category`` and ``category_confidence`` to every document's metadata."""

    name = "🏷 domain (fastText, MMLU categories)"
    type = "🏷 - LABEL"

    def __init__(self, model_path: str | Path = DEFAULT_MODEL) -> None:
        super().__init__()
        self.classifier = DomainClassifier(model_path)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for document in data:
            with self.track_time():
                category, confidence = self.classifier.predict(document.text)
                document.metadata["category"] = category
                document.metadata["category_confidence"] = round(confidence, 4)
            self.stat_update(f"category_{category}")
            yield document


class CategoryBudget(BaseFilter):
    """Keeps documents labelled with enough confidence, at most ``budget`` per category.

    ``budget`` is for the whole run and split evenly over tasks (``ceil(budget / world_size)``
    each), so a task decides alone and a rerun of a task keeps exactly the same documents.
    Dropped documents go to the exclusion writer as ``low_confidence`` or ``over_budget_<cat>``.
    """

    name = "🎯 category budget"

    def __init__(
        self,
        categories: Iterable[str] = WEB_CATEGORIES,
        budget: int | None = None,
        min_confidence: float = 0.0,
        exclusion_writer: DiskWriter | None = None,
    ) -> None:
        super().__init__(exclusion_writer)
        self.categories = tuple(categories)
        unknown = set(self.categories) - set(WEB_CATEGORIES)
        if unknown:
            raise ValueError(f"unknown categories {sorted(unknown)}; expected some of {WEB_CATEGORIES}")
        self.budget = budget
        self.min_confidence = min_confidence
        self._kept: Counter[str] = Counter()
        self._task_budget: int | None = None

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        self._task_budget = None if self.budget is None else math.ceil(self.budget / world_size)
        self._kept = Counter()
        yield from super().run(data, rank, world_size)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        category = doc.metadata.get("category")
        if category not in self.categories:
            return False, f"category_{category}"
        if doc.metadata.get("category_confidence", 0.0) < self.min_confidence:
            return False, "low_confidence"
        if self._task_budget is not None and self._kept[category] >= self._task_budget:
            return False, f"over_budget_{category}"
        self._kept[category] += 1
        return True
