"""Deduplication across sources, keeping the copy from the most trusted source.

Two passes, both datatrove's:

1. **exact**: ``ExactDedupSignature`` / ``ExactFindDedups`` / ``ExactDedupFilter`` over a key of the
   template, the normalised question and the *set* of normalised options (re-ordered options are
   the same question). datatrove keeps the highest ``document_priority``; ours is the source's
   place in the trust order.
2. **near**: MinHash (``MinhashDedupSignature`` / ``Buckets`` / ``Cluster``) over question + options.
   datatrove's cluster step keeps an arbitrary member, so we ask it for cluster ids instead and
   pick the winner ourselves: in each cluster, rows that share template, gold answer and their
   math expressions, numbers and all-caps words (:func:`entities`) are duplicates, and the most
   trusted one is kept. Similar text alone is not enough in math: "arrange the letters of the
   word RADII" and "... PROOF" (both 60), or variants with other numbers, are other questions.

Normalisation keeps numbers and math operators for the exact key ("3+4" is not "3-4").
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.dedup.exact_dedup import (
    ExactDedupConfig,
    ExactDedupFilter,
    ExactDedupSignature,
    ExactFindDedups,
)
from datatrove.pipeline.dedup.minhash import (
    MinhashConfig,
    MinhashDedupBuckets,
    MinhashDedupCluster,
    MinhashDedupSignature,
)
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.utils.text import ngrams

from crossthink_data import storage
from crossthink_data.config import max_rejected_field
from crossthink_data.curation.text import DEFAULT_NORM, word_tokenizer, words_of
from crossthink_data.executors import StageFailed, make_executor
from crossthink_data.rows import (
    check_input,
    content_text,
    count_rows,
    input_schema,
    iter_rows,
    make_reader,
    make_writer,
    options_of,
    read_counts,
)

# Most trusted first. Human-written exams with human gold answers, then curated sets whose
# answers were parsed from human or verified solutions, then LLM-written references, then our
# own mined Syn-QA. A source not listed ranks below all listed ones.
DEFAULT_TRUST_ORDER: tuple[str, ...] = (
    "mmlu_train",
    "math_train",
    "arc_challenge",
    "gsm8k",
    "agieval_math",
    "numina_math",
    "crossthink_math",
    "crossthink_qa",
    "natural_reasoning",
    "syn_qa",
)
_MERSENNE_PRIME = np.uint64((1 << 61) - 1)  # datatrove's minhash modulus
_LATEX_SPACING = re.compile(r"\\[,;:! ]|\\q?quad\b|\$")
_SPACE = re.compile(r"\s+")


def trust_priority(source: str | None, order: Sequence[str] = DEFAULT_TRUST_ORDER) -> int:
    """datatrove priority (1..65535, higher wins) of ``source`` in ``order``; unknown sources get 1."""
    if len(order) > 65000:
        raise ValueError("trust order is limited to 65000 sources")
    try:
        return len(order) + 1 - list(order).index(source)
    except ValueError:
        return 1


def normalise_for_key(text: str) -> str:
    """Case, Unicode width, whitespace, ``$`` and LaTeX spacing removed; operators and numbers kept."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _LATEX_SPACING.sub("", text)
    return _SPACE.sub("", text).rstrip(".?!:;,")


def exact_key(document: Document) -> str:
    """Template + normalised question + sorted normalised options."""
    options = sorted(normalise_for_key(o) for o in options_of(document.metadata))
    template = document.metadata.get("template") or ""
    return "\x1f".join([template, normalise_for_key(document.text), *options])


_MATH_SEGMENT = re.compile(r"\$\$.*?\$\$|\$[^$]*\$|\\\(.*?\\\)|\\\[.*?\\\]", re.DOTALL)
_ENTITY = re.compile(r"\b(?:[A-Z]{2,}[A-Za-z]*|\w*\d\w*)\b")


def entities(text: str) -> list[str]:
    """Math expressions, numbers and all-caps words: what makes two similar questions different.

    "...the letters of the word RADII" and "...of the word PROOF" are 0.8 similar by 5-gram
    Jaccard and share the answer 60, yet are different questions; the same holds for MATH's graph
    problems that repeat one [asy] figure and ask about $y = f(x) - 1$ or $y = |f(x)|$.
    """
    maths = {normalise_for_key(m) for m in _MATH_SEGMENT.findall(text)}
    words = set(_ENTITY.findall(_MATH_SEGMENT.sub(" ", text)))
    return sorted(maths | words)


def near_duplicate_group(document: Document) -> str:
    """Rows of one MinHash cluster are duplicates only when this key matches too: same template,
    same gold answer, same math expressions, numbers and all-caps words."""
    meta = document.metadata
    return "\x1f".join([meta.get("template") or "", answer_key(meta), *entities(content_text(document))])


def answer_key(metadata: dict) -> str:
    """The gold as the model must say it: the option text for MCQ, the answer otherwise."""
    gold = metadata.get("answer_text") if metadata.get("options") else metadata.get("answer")
    return normalise_for_key(str(gold or ""))


@dataclass
class DedupSettings:
    """Trust order and MinHash parameters (datatrove's defaults: 5-grams, 14 buckets x 8 hashes)."""

    trust_order: tuple[str, ...] = DEFAULT_TRUST_ORDER
    near: bool = True
    n_grams: int = field(default=5, metadata={"min": 1})
    num_buckets: int = field(default=14, metadata={"min": 1})
    hashes_per_bucket: int = field(default=8, metadata={"min": 1})
    seed: int = 1
    tokenizer: str = "whitespace"
    max_rejected: float = max_rejected_field()  # share of input rows that may be unreadable

    def exact_config(self) -> ExactDedupConfig:
        order = tuple(self.trust_order)

        def content(document: Document) -> str:
            return exact_key(document)

        def priority(document: Document) -> int:
            return trust_priority(document.metadata.get("source"), order)

        return ExactDedupConfig(content_getter=content, document_priority=priority)

    def minhash_config(self) -> MinhashConfig:
        return MinhashConfig(
            n_grams=self.n_grams,
            num_buckets=self.num_buckets,
            hashes_per_bucket=self.hashes_per_bucket,
            seed=self.seed,
            norm_config=DEFAULT_NORM,
        )


class ContentMinhashSignature(MinhashDedupSignature):
    """MinHash signatures of question + options (datatrove signs ``doc.text`` alone), with the
    faster identical normalisation of :func:`crossthink_data.curation.text.fast_simplify`."""

    def get_signature(self, shingles: np.ndarray) -> list[list[int]]:
        """datatrove's signature (min over the permuted shingle hashes, one list per bucket) with a
        reshape instead of ``np.split``, which cost more than the hashing on short questions."""
        a, b = self.parameters
        phv = (shingles * a + b) % _MERSENNE_PRIME
        if self.config.hash_config.precision == 32:
            phv = np.bitwise_and(phv, self.config.hash_config.max)
        signature = np.min(phv, axis=0).astype(self.config.hash_config.np_dtype)
        return signature.reshape(self.config.num_buckets, self.config.hashes_per_bucket).tolist()

    def get_shingles(self, text: str) -> np.ndarray:
        words = words_of(text, self.config.norm_config, self.word_tokenizer)
        hashes = (self._hash_func(" ".join(g)) for g in ngrams(words, self.config.n_grams))
        return np.fromiter(hashes, dtype=np.uint64).reshape((-1, 1))

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1):
        def with_content(docs):
            for doc in docs:
                yield Document(text=content_text(doc), id=doc.id)

        return super().run(with_content(data), rank, world_size)


# One clustered row, as ClusterMembers writes it and choose_losers sorts it: fixed-width binary, so
# choosing the losers of a million-row pool costs 24 bytes per clustered row, not a Python dict of
# strings (the duplicate group is kept as a 64-bit hash: two groups of one cluster colliding is a
# 1-in-10^19 event).
MEMBER_DTYPE = np.dtype(
    [("cluster", "<u4"), ("group", "<u8"), ("priority", "<u4"), ("rank", "<u4"), ("idx", "<u4")]
)
_CLUSTER_DTYPE = np.dtype([("doc", "<u4"), ("cluster", "<u4")])  # datatrove's ``.clusters`` tuples
_IDX_DTYPE = np.dtype("<u4")
_MEMBERS_BUFFER = 65_536  # members per write


def group_hash(group: str) -> int:
    """The duplicate group (:func:`near_duplicate_group`) as 64 bits."""
    return int.from_bytes(hashlib.blake2b(group.encode("utf-8"), digest_size=8).digest(), "little")


def _read_array(path: str, dtype: np.dtype) -> np.ndarray:
    """A binary file of ``dtype`` records; a missing file is an empty array."""
    if not storage.exists(path):
        return np.empty(0, dtype)
    return np.frombuffer(storage.read_bytes(path), dtype=dtype)


class ClusterMembers(PipelineStep):
    """Writes, for every row in a MinHash cluster, its cluster, duplicate group (hashed) and trust,
    as :data:`MEMBER_DTYPE` records in ``{rank:05d}.members``."""

    name = "🎯 cluster members"
    type = "🫂 - DEDUP"

    def __init__(self, clusters_folder: str, output_folder: str, trust_order: Sequence[str]) -> None:
        super().__init__()
        self.clusters_folder = clusters_folder
        self.output_folder = output_folder
        self.trust_order = tuple(trust_order)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        # datatrove writes a task's (doc, cluster) pairs in document order: walk them beside the rows
        clusters = _read_array(storage.join(self.clusters_folder, f"{rank:06d}.clusters"), _CLUSTER_DTYPE)
        docs, ids, position = clusters["doc"], clusters["cluster"], 0
        buffer = np.empty(_MEMBERS_BUFFER, MEMBER_DTYPE)
        filled = 0
        with storage.open_url(storage.join(self.output_folder, f"{rank:05d}.members"), "wb") as handle:
            for idx, doc in enumerate(data):
                if position >= len(docs) or docs[position] != idx:
                    continue
                buffer[filled] = (
                    ids[position],
                    group_hash(near_duplicate_group(doc)),
                    trust_priority(doc.metadata.get("source"), self.trust_order),
                    rank,
                    idx,
                )
                position, filled = position + 1, filled + 1
                self.stat_update("clustered")
                if filled == len(buffer):
                    handle.write(buffer.tobytes())
                    filled = 0
            handle.write(buffer[:filled].tobytes())
        if position != len(docs):
            raise StageFailed(
                f"dedup: task {rank} has {len(docs)} clustered rows but its input ended after "
                f"{position} of them: the input changed since the MinHash signatures were computed"
            )
        return
        yield  # a generator step that consumes its input


class NearDuplicateFilter(BaseFilter):
    """Drops the rows that lost to a more trusted near-duplicate (see :func:`choose_losers`)."""

    name = "🎯 near-duplicates"

    def __init__(self, losers_folder: str, exclusion_writer=None) -> None:
        super().__init__(exclusion_writer=exclusion_writer)
        self.losers_folder = losers_folder
        self._losers: np.ndarray = np.empty(0, _IDX_DTYPE)
        self._position = 0
        self._idx = -1

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        self._losers = _read_array(storage.join(self.losers_folder, f"{rank:05d}.losers"), _IDX_DTYPE)
        self._position, self._idx = 0, -1
        return super().run(data, rank, world_size)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        self._idx += 1  # losers are sorted row positions: one pointer walks them beside the rows
        if self._position < len(self._losers) and self._losers[self._position] == self._idx:
            self._position += 1
            return False, "near_duplicate"
        return True


def _records_in(folder: str, suffix: str, dtype: np.dtype) -> int:
    sizes = storage.file_sizes(folder)
    return sum(size // dtype.itemsize for name, size in sizes.items() if name.endswith(suffix))


def choose_losers(members_folder: str, losers_folder: str, clusters_folder: str | None = None) -> int:
    """In each (cluster, duplicate group) keep the most trusted row (ties: first in input); writes
    each task's losing row positions, sorted, to ``{rank:05d}.losers``. Returns how many lost.

    Args:
        clusters_folder: datatrove's cluster output; when given, every clustered row must have its
            member record (members left by an older version, or lost, would silently keep duplicates).
    """
    parts = [
        _read_array(path, MEMBER_DTYPE)
        for path in storage.list_files(members_folder, (".members",), recursive=False)
    ]
    members = np.concatenate(parts) if parts else np.empty(0, MEMBER_DTYPE)
    if clusters_folder is not None:
        clustered = _records_in(clusters_folder, ".clusters", _CLUSTER_DTYPE)
        if clustered != len(members):
            raise StageFailed(
                f"dedup: {len(members):,} cluster members under {members_folder} for {clustered:,} "
                f"clustered rows (left by an interrupted run of another version?): delete the dedup output "
                "folder and rerun"
            )
    # cluster, group, then most trusted first, then input order; the first of each run wins
    order = np.lexsort(
        (
            members["idx"],
            members["rank"],
            -members["priority"].astype(np.int64),
            members["group"],
            members["cluster"],
        )
    )
    members = members[order]
    same = (members["cluster"][1:] == members["cluster"][:-1]) & (
        members["group"][1:] == members["group"][:-1]
    )
    losers = members[1:][same]
    for old in storage.list_files(losers_folder, (".losers",), recursive=False):
        storage.remove(old)
    for rank in np.unique(losers["rank"]):
        idxs = np.sort(losers["idx"][losers["rank"] == rank]).astype(_IDX_DTYPE)
        storage.write_bytes(storage.join(losers_folder, f"{int(rank):05d}.losers"), idxs.tobytes())
    return len(losers)


@dataclass
class DedupReport:
    """Rows in and kept, what each pass removed, per source, and the input rows rejected on read, by
    reason (``rows_in`` = kept + removed + rejected)."""

    rows_in: int = 0
    kept: int = 0
    exact_removed: dict[str, int] = field(default_factory=dict)
    near_removed: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


def dedup(
    input_dir: str,
    output_dir: str,
    settings: DedupSettings | None = None,
    tasks: int = 1,
    workers: int = 1,
    executor: str = "local",
) -> DedupReport:
    """Exact then near deduplication; writes ``data/``, ``removed/{exact,near}/``, ``rejected/`` and
    ``report.json`` under ``output_dir`` (every folder any storage URL). Stops before any work when
    more than ``settings.max_rejected`` of the input rows cannot be read (:func:`check_input`)."""
    settings = settings or DedupSettings()
    input_dir, out = storage.as_url(input_dir), storage.as_url(output_dir)
    exact_cfg = settings.exact_config()
    check_input(
        input_dir, out, settings.max_rejected, "dedup", tasks=tasks, workers=workers, executor=executor
    )

    def work(name: str) -> str:
        return storage.join(out, "work", name)

    def run(name: str, pipeline: list, n_tasks: int = tasks) -> None:
        logs = storage.join(out, "logs", name)
        make_executor(pipeline, logs, executor, tasks=n_tasks, workers=min(workers, n_tasks)).run()

    run(
        "1_exact_signatures",
        [make_reader(input_dir), ExactDedupSignature(work("exact_sigs"), exact_cfg)],
    )
    run("2_exact_find", [ExactFindDedups(work("exact_sigs"), work("exact_dups"), exact_cfg)], 1)
    if settings.near:
        _find_near_duplicates(input_dir, settings, exact_cfg, work, run)
    run("7_write", _write_steps(input_dir, out, settings, exact_cfg, work))
    report = _report(out)
    storage.write_text(storage.join(out, "report.json"), report.to_json())
    return report


def _find_near_duplicates(
    input_dir: str, settings: DedupSettings, exact_cfg, work: Callable[[str], str], run: Callable[..., None]
) -> None:
    """Stages 3-6 of :func:`dedup`: MinHash signatures of the rows exact dedup keeps, buckets, clusters,
    then one loser list (each cluster keeps its most trusted member, see ``trust_order``)."""
    mh = settings.minhash_config()
    tok = word_tokenizer(settings.tokenizer)
    run(
        "3_minhash_signatures",
        [
            make_reader(input_dir),
            ExactDedupFilter(work("exact_dups"), exact_cfg),
            ContentMinhashSignature(work("mh_sigs"), mh, language=tok),
        ],
    )
    run(
        "4_minhash_buckets",
        [MinhashDedupBuckets(work("mh_sigs"), work("mh_buckets"), config=mh)],
        mh.num_buckets,
    )
    run(
        "5_minhash_clusters",
        [MinhashDedupCluster(work("mh_buckets"), work("mh_clusters"), config=mh, save_cluster_id=True)],
        1,
    )
    run(
        "6_cluster_members",
        [
            make_reader(input_dir),
            ExactDedupFilter(work("exact_dups"), exact_cfg),
            ClusterMembers(work("mh_clusters"), work("members"), settings.trust_order),
        ],
    )
    choose_losers(work("members"), work("losers"), work("mh_clusters"))


def _write_steps(
    input_dir: str, out: str, settings: DedupSettings, exact_cfg, work: Callable[[str], str]
) -> list:
    """Stage 7 of :func:`dedup`: the pipeline that writes the kept rows to ``data/`` and the removed
    ones to ``removed/{exact,near}/``."""
    from datatrove.pipeline.writers import JsonlWriter

    removed_exact = JsonlWriter(
        storage.join(out, "removed", "exact"), output_filename="${rank}.jsonl", compression=None
    )
    final = [make_reader(input_dir), ExactDedupFilter(work("exact_dups"), exact_cfg, removed_exact)]
    if settings.near:
        removed_near = JsonlWriter(
            storage.join(out, "removed", "near"), output_filename="${rank}.jsonl", compression=None
        )
        final.append(NearDuplicateFilter(work("losers"), exclusion_writer=removed_near))
    final.append(make_writer(storage.join(out, "data"), input_schema(input_dir)))
    return final


def _report(out: str) -> DedupReport:
    report = DedupReport()
    report.kept = count_rows(storage.join(out, "data"))
    for kind in ("exact", "near"):
        counts: Counter = Counter()
        for path in storage.list_files(storage.join(out, "removed", kind), (".jsonl",), recursive=False):
            for doc in iter_rows(path):
                counts[doc.get("metadata", {}).get("source", "?")] += 1
        setattr(report, f"{kind}_removed", dict(sorted(counts.items())))
    report.rejected = read_counts(storage.join(out, "logs", "0_read")).rejected
    removed = sum(report.exact_removed.values()) + sum(report.near_removed.values())
    report.rows_in = report.kept + removed + sum(report.rejected.values())
    return report


__all__ = [
    "DEFAULT_TRUST_ORDER",
    "ClusterMembers",
    "ContentMinhashSignature",
    "DedupReport",
    "DedupSettings",
    "NearDuplicateFilter",
    "answer_key",
    "choose_losers",
    "dedup",
    "exact_key",
    "normalise_for_key",
    "trust_priority",
]
