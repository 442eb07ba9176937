"""Open QA sources -> filter H -> templates -> parquet, as datatrove steps.

The whole flow for one source, per output config:

    records:  SourceRecordReader -> ParquetWriter(record schema)
    mcq/open: SourceRecordReader -> FilterH(template) -> TemplateRenderer(template) -> ParquetWriter

Each config runs under its own ``LocalPipelineExecutor`` (or Slurm) logging folder, so a killed
run resumes from datatrove's completion markers, and a task that died half-way rewrites its own
``${rank}.parquet`` from scratch: no duplicates. Finished parquet files are then exported as one
Hub dataset folder per source (see :mod:`crossthink_data.hub`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers import JsonlWriter, ParquetWriter
from datatrove.pipeline.writers.disk_base import DiskWriter
from datatrove.utils.batching import batched

from crossthink_data.columnar import filter_h_table, render_table
from crossthink_data.filters import RULE_NAMES, filter_h_failure
from crossthink_data.record import RecordError, arrow_schema, from_document, to_document

CONFIGS = ("records", "mcq", "open")
TEMPLATED = {"records": False, "mcq": True, "open": True}


def document_row(writer: DiskWriter, document: Document) -> dict:
    """Writer adapter: a Document carrying a (templated) record back to its flat parquet row."""
    return {"id": document.id, "question": document.text, **document.metadata}


class SourceRecordReader(PipelineStep):
    """Reads one source through its adapter; rows that are not valid records go to ``rejects``.

    Rows are dealt to tasks round-robin by position, so every task sees a deterministic share and
    a rerun of a task reads exactly the same rows.
    """

    name = "📖 source records"
    type = "📖 - READER"

    def __init__(
        self,
        source: str,
        from_dir: str | None = None,
        limit: int | None = None,
        rejects_writer: DiskWriter | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        self.from_dir = from_dir
        self.limit = limit
        self.rejects_writer = rejects_writer

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        from crossthink_data.sources import get_source

        adapter = get_source(self.source)
        from_dir = Path(self.from_dir) if self.from_dir else None
        rejects = self.rejects_writer
        with rejects if rejects else contextlib.nullcontext() as writer:
            for position, item in enumerate(adapter.records(from_dir=from_dir, limit=self.limit)):
                if position % world_size != rank:
                    continue
                self.stat_update("rows_in")
                if isinstance(item, RecordError):
                    self.stat_update("dropped_invalid_record")
                    if writer:
                        reject = Document(
                            text=str(item),
                            id=f"{self.source}/{position}",
                            metadata={"filter_reason": "invalid_record", "source": self.source},
                        )
                        writer.write(reject, rank)
                    continue
                self.stat_update("records")
                yield to_document(item)


def documents_table(documents: list[Document], templated: bool = False) -> pa.Table:
    """A batch of record Documents as a pyarrow table (the input of the columnar fast path)."""
    return pa.Table.from_pylist([document_row(None, d) for d in documents], schema=arrow_schema(templated))


class FilterH(BaseFilter):
    """Filter H for one template; a dropped row carries the name of the rule that dropped it.

    Batches go through :mod:`crossthink_data.columnar`; single documents through the scalar rules.
    """

    name = "🔍 filter H"

    def __init__(
        self, template: str, exclusion_writer: DiskWriter | None = None, batch_size: int = 2048
    ) -> None:
        super().__init__(exclusion_writer=exclusion_writer, batch_size=batch_size)
        self.template = template

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        rule = filter_h_failure(from_document(doc), self.template)
        return True if rule is None else (False, rule)

    def filter_batch(self, batch: list[Document]) -> list[bool | tuple[bool, str]]:
        failures = filter_h_table(documents_table(batch), self.template).to_pylist()
        return [True if rule is None else (False, rule) for rule in failures]


class TemplateRenderer(PipelineStep):
    """Renders each record with T_MCQ or T_Open: adds template, kind, prompt and ground_truth."""

    name = "🧩 template"
    type = "✂️ - FORMAT"

    def __init__(self, template: str, batch_size: int = 2048) -> None:
        super().__init__()
        self.template = template
        self.batch_size = batch_size

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for batch in batched(data, self.batch_size):
            with self.track_time("batch"):
                rows = render_table(documents_table(batch), self.template).to_pylist()
            for document, row in zip(batch, rows, strict=True):
                document.metadata = {k: v for k, v in row.items() if k not in ("id", "question")}
                self.stat_update(self.template)
                yield document


def source_pipeline(
    source: str,
    config: str,
    work_dir: Path,
    from_dir: Path | None = None,
    limit: int | None = None,
) -> list[PipelineStep]:
    """The datatrove steps that produce one config (records, mcq or open) of one source."""
    if config not in CONFIGS:
        raise ValueError(f"unknown config {config!r}; expected one of {CONFIGS}")
    base = Path(work_dir) / source
    rejects = JsonlWriter(str(base / "rejects" / config), output_filename="${rank}.jsonl", compression=None)
    steps: list[PipelineStep] = [
        SourceRecordReader(source, str(from_dir) if from_dir else None, limit, rejects_writer=rejects)
    ]
    if config != "records":
        filter_rejects = JsonlWriter(
            str(base / "rejects" / f"{config}_filter_h"), output_filename="${rank}.jsonl", compression=None
        )
        steps += [FilterH(config, exclusion_writer=filter_rejects), TemplateRenderer(config)]
    steps.append(
        ParquetWriter(
            str(base / "parquet" / config),
            output_filename="${rank}.parquet",
            adapter=document_row,
            schema=arrow_schema(TEMPLATED[config]),
            max_file_size=-1,
        )
    )
    return steps


@dataclass
class ConfigSummary:
    """Counts for one (source, config): rows read, kept, and dropped by rule."""

    source: str
    config: str
    rows_in: int = 0
    kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)


def summarize_stats(source: str, config: str, logging_dir: Path) -> ConfigSummary:
    """Adds up the per-task stats datatrove saved (so a resumed run still reports every task)."""
    summary = ConfigSummary(source, config)
    for stats_file in sorted((Path(logging_dir) / "stats").glob("*.json")):
        steps = json.loads(stats_file.read_text())
        for step in steps:
            for key, value in step.get("stats", {}).items():
                if key == "rows_in":
                    summary.rows_in += _count(value)
                elif key.startswith("dropped_"):
                    rule = key.removeprefix("dropped_")
                    summary.dropped[rule] = summary.dropped.get(rule, 0) + _count(value)
        if steps:  # the last step is the writer: what it wrote is what was kept
            summary.kept += _count(steps[-1].get("stats", {}).get("total", 0))
    return summary


def _count(value) -> int:
    return int(value.get("total", 0) if isinstance(value, dict) else value)


def make_executor(
    pipeline: list[PipelineStep],
    logging_dir: Path,
    executor: str = "local",
    tasks: int = 1,
    workers: int = 1,
    job_name: str = "crossthink",
    **slurm_kwargs,
):
    """A datatrove executor for ``pipeline``: local processes, or a Slurm job array."""
    if executor == "local":
        from datatrove.executor import LocalPipelineExecutor

        return LocalPipelineExecutor(pipeline, tasks=tasks, workers=workers, logging_dir=str(logging_dir))
    if executor == "slurm":
        from datatrove.executor import SlurmPipelineExecutor

        slurm_kwargs.setdefault("qos", "")
        slurm_kwargs.setdefault("time", "04:00:00")
        return SlurmPipelineExecutor(
            pipeline=pipeline,
            tasks=tasks,
            workers=workers,
            logging_dir=str(logging_dir),
            job_name=job_name,
            **slurm_kwargs,
        )
    raise ValueError(f"unknown executor {executor!r}; expected 'local' or 'slurm'")


def run_source(
    source: str,
    work_dir: Path,
    from_dir: Path | None = None,
    limit: int | None = None,
    configs: Iterable[str] = CONFIGS,
    tasks: int = 1,
    workers: int = 1,
) -> list[ConfigSummary]:
    """Runs every config of one source locally (resumable) and returns their summaries."""
    summaries = []
    for config in configs:
        logging_dir = Path(work_dir) / source / "logs" / config
        pipeline = source_pipeline(source, config, work_dir, from_dir, limit)
        make_executor(pipeline, logging_dir, tasks=tasks, workers=workers).run()
        summaries.append(summarize_stats(source, config, logging_dir))
    return summaries


def parquet_files(work_dir: Path, source: str, config: str) -> list[Path]:
    """The finished parquet shards of one (source, config), in task order."""
    return sorted((Path(work_dir) / source / "parquet" / config).glob("*.parquet"))


__all__ = [
    "CONFIGS",
    "RULE_NAMES",
    "ConfigSummary",
    "FilterH",
    "SourceRecordReader",
    "TemplateRenderer",
    "make_executor",
    "parquet_files",
    "run_source",
    "source_pipeline",
    "summarize_stats",
]
