"""Open QA sources -> filter H -> templates -> parquet, as datatrove steps.

The whole flow for one source, per output config:

    records:  SourceRecordReader -> ParquetWriter(record schema)
    mcq/open: SourceRecordReader -> FilterH(template) -> TemplateRenderer(template) -> ParquetWriter

Each config runs under its own logging folder, so a killed run resumes from datatrove's completion
markers, and a task that died half-way rewrites its own ``${rank}.parquet`` from scratch: no
duplicates. Every folder is a storage URL (local path, ``file://``, ``s3://``...).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.writers.disk_base import DiskWriter

from crossthink_data import storage
from crossthink_data.executors import make_executor, stage_stats
from crossthink_data.record import RecordError, arrow_schema, to_document
from crossthink_data.rows import make_rejects_writer, make_writer, row_files
from crossthink_data.steps import FilterH, TemplateRenderer

CONFIGS = ("records", "mcq", "open")
# Local workers fork from the parent, which has already imported the stack: a forkserver worker
# re-imports it first, seconds per config that ate most of what a second task gains on 2 cores.
# This stage is CPU-only; fork is Linux's default and unsafe on macOS, so elsewhere datatrove decides.
WORKER_START = "fork" if sys.platform.startswith("linux") else None
TEMPLATED = {"records": False, "mcq": True, "open": True}


class SourceRecordReader(PipelineStep):
    """Reads one source through its adapter; rows that are not valid records (``invalid_record``) or
    that its files could not give as rows (``malformed_row``, with file:line) go to ``rejects``.

    Like datatrove's readers, task ``rank`` of ``world_size`` reads only its own contiguous block of
    the source's rows (files, parquet row groups or Hub rows; see :mod:`crossthink_data.sources.shards`),
    so only its rows are mapped: more tasks go faster. Rows keep their position in the whole
    source, so N tasks write the same rows as one, and a rerun of a task reads exactly the same rows.
    """

    name = "📖 source records"
    type = "📖 - READER"

    def __init__(
        self,
        source: str,
        from_dir: str | None = None,
        limit: int | None = None,
        rejects_writer: DiskWriter | None = None,
        row_counts: list[int] | None = None,
    ) -> None:
        """``row_counts``: the adapter's ``row_counts`` for this ``from_dir`` and ``limit``, counted once
        for every task; without them each task counts the source to find its block."""
        super().__init__()
        self.source = source
        self.from_dir = storage.as_url(from_dir) if from_dir else None
        self.limit = limit
        self.rejects_writer = rejects_writer
        self.row_counts = row_counts

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        from crossthink_data.sources import get_source

        adapter = get_source(self.source)
        rejects = self.rejects_writer
        with rejects if rejects else contextlib.nullcontext() as writer:
            items = adapter.indexed_records(self.from_dir, self.limit, rank, world_size, self.row_counts)
            for position, item in items:
                self.stat_update("rows_in")
                if isinstance(item, RecordError):
                    # a row that is not a valid record, or one the reader could not read (file:line)
                    rule = getattr(item, "rule", "invalid_record")
                    self.stat_update(f"dropped_{rule}")
                    if writer:
                        reject = Document(
                            text=str(item),
                            id=f"{self.source}/{position}",
                            metadata={"filter_reason": rule, "source": self.source},
                        )
                        writer.write(reject, rank)
                    continue
                self.stat_update("records")
                yield to_document(item)


def source_pipeline(
    source: str,
    config: str,
    work_dir: str,
    from_dir: str | None = None,
    limit: int | None = None,
    row_counts: list[int] | None = None,
) -> list[PipelineStep]:
    """The datatrove steps that produce one config (records, mcq or open) of one source."""
    if config not in CONFIGS:
        raise ValueError(f"unknown config {config!r}; expected one of {CONFIGS}")
    base = storage.join(work_dir, source)
    steps: list[PipelineStep] = [
        SourceRecordReader(
            source,
            from_dir,
            limit,
            rejects_writer=make_rejects_writer(storage.join(base, "rejects", config)),
            row_counts=row_counts,
        )
    ]
    if config != "records":
        filter_rejects = make_rejects_writer(storage.join(base, "rejects", f"{config}_filter_h"))
        steps += [FilterH(config, exclusion_writer=filter_rejects), TemplateRenderer(config)]
    steps.append(make_writer(storage.join(base, "parquet", config), arrow_schema(TEMPLATED[config])))
    return steps


@dataclass
class ConfigSummary:
    """Counts for one (source, config): rows read, kept, and dropped by rule."""

    source: str
    config: str
    rows_in: int = 0
    kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)


def summarize_stats(source: str, config: str, logging_dir: str) -> ConfigSummary:
    """Adds up the per-task stats datatrove saved (so a resumed run still reports every task)."""
    summary = ConfigSummary(source, config)
    steps = stage_stats(logging_dir).stats
    for step in steps:
        for key, metric in step.stats.items():
            if key == "rows_in":
                summary.rows_in += int(metric.total)
            elif key.startswith("dropped_"):
                rule = key.removeprefix("dropped_")
                summary.dropped[rule] = summary.dropped.get(rule, 0) + int(metric.total)
    if steps:  # the last step is the writer: what it wrote is what was kept
        total = steps[-1].stats.get("total")
        summary.kept = int(total.total) if total is not None else 0
    return summary


def run_source(
    source: str,
    work_dir: str,
    from_dir: str | None = None,
    limit: int | None = None,
    configs: Iterable[str] = CONFIGS,
    tasks: int = 1,
    workers: int = 1,
    executor: str = "local",
) -> list[ConfigSummary]:
    """Runs every config of one source (resumable) and returns their summaries; ``executor``: local
    or ray (:func:`crossthink_data.executors.make_executor`).

    With several tasks the source's rows are counted here once, not by every task of every config.
    A change of the upstream files (``from_dir``), ``limit`` or ``tasks`` clears the source's earlier
    output first (:mod:`crossthink_data.resume`): datatrove's completion markers alone kept old rows.
    """
    from crossthink_data.resume import check_stage
    from crossthink_data.sources import get_source

    settings = {"source": source, "from_dir": from_dir, "limit": limit, "tasks": tasks}
    check_stage(storage.join(work_dir, source), [from_dir], settings, f"source {source}")

    row_counts = get_source(source).row_counts(from_dir, limit) if tasks > 1 else None
    summaries = []
    for config in configs:
        logging_dir = storage.join(work_dir, source, "logs", config)
        pipeline = source_pipeline(source, config, work_dir, from_dir, limit, row_counts)
        make_executor(
            pipeline, logging_dir, executor, tasks=tasks, workers=workers, start_method=WORKER_START
        ).run()
        summaries.append(summarize_stats(source, config, logging_dir))
    return summaries


def first_reject(work_dir: str, source: str, config: str, rule: str) -> str | None:
    """The text of the first reject of ``rule`` (task order) in one (source, config), or None."""
    from crossthink_data.rows import iter_rows

    folder = storage.join(work_dir, source, "rejects", config)
    for path in storage.list_files(folder, (".jsonl",), recursive=False) if storage.is_dir(folder) else []:
        for row in iter_rows(path):
            if row.get("metadata", {}).get("filter_reason") == rule:
                return row.get("text")
    return None


def parquet_files(work_dir: str, source: str, config: str) -> list[str]:
    """The finished parquet shards of one (source, config), in task order."""
    try:
        return row_files(storage.join(work_dir, source, "parquet", config))
    except FileNotFoundError:
        return []
