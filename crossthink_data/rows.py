"""Row I/O for every stage: record rows on any storage <-> datatrove Documents.

Stages exchange folders of parquet (or jsonl) rows with the record columns, optionally the
template columns and the curation columns (``pass_rate``...). Inside datatrove a row is a Document
whose text is the question and whose metadata holds every other column
(:func:`row_adapter` / :func:`document_row`, the one pair of adapters every reader and writer uses).

Folders are URLs (:mod:`crossthink_data.storage`): a local path, ``file://``, ``s3://``, ``hf://``...

Every row is accounted for. The one record reader (:func:`make_reader`) never drops a row silently:
a JSONL line that is not UTF-8 (``bad_utf8``), holds a raw NUL byte (``nul_byte``), is not a JSON
object (``malformed_json``), or a row without a column a stage needs (``missing_column``) or with a
column of the wrong type (``wrong_type``, which would otherwise fail the parquet writer after the
work) is a *reject*: counted as ``dropped_<reason>`` in the stage's stats, written with its
``file:line`` to the stage's ``rejected/`` folder, and the other rows go on. datatrove's own
``JsonlReader`` logs a warning and skips such a line, or the rest of the file. A file that cannot
be read to its end (a truncated ``.jsonl.gz``, a corrupt parquet file) stops the stage with
:class:`UnreadableFile`, one line naming the file and line: the rows after it are unknown, so no
count of them can be honest. :func:`check_input` runs the reader once before a stage's work and
stops the command when more than ``max_rejected`` of the rows were rejected.
"""

from __future__ import annotations

import functools
import json
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any, NamedTuple

import pyarrow as pa
import pyarrow.parquet as pq

from crossthink_data import storage
from crossthink_data.executors import StageFailed, make_executor, stage_stats
from crossthink_data.record import arrow_schema

ROW_SUFFIXES = (".parquet", ".jsonl", ".jsonl.gz")

# Columns curation adds; declared here so every writer (and the Hub export) knows their types.
CURATION_FIELDS = {
    "pass_rate": pa.float64(),
    "difficulty_model": pa.string(),
    "difficulty_samples": pa.int32(),
}


# ---------------------------------------------------------------- reading rows, every one counted

REJECT_REASONS = ("bad_utf8", "nul_byte", "malformed_json", "missing_column", "wrong_type")
"""Why a row was rejected on read: each is a ``dropped_<reason>`` stat and a report/card key."""
REQUIRED_COLUMNS = ("question", "answer")
"""What every curation stage reads of a row: the text it compares or asks, and the gold."""

_STR, _STR_LIST, _MESSAGES, _FLOAT, _INT = (
    "a string",
    "a list of strings",
    "a list of messages",
    "a number",
    "an integer",
)
_COLUMN_TYPES = {
    **dict.fromkeys(
        ("id", "source", "domain", "category", "subject", "question", "answer", "answer_text",
         "provenance", "template", "kind", "ground_truth", "difficulty_model"),
        _STR,
    ),
    "options": _STR_LIST,
    "prompt": _MESSAGES,
    "pass_rate": _FLOAT,
    "difficulty_samples": _INT,
}  # fmt: skip


_NUL = b"\x00"


class RowReject(NamedTuple):
    """A row that was read but cannot be used: ``reason`` (one of :data:`REJECT_REASONS`) and
    ``where`` (``file:line``, 1-based) with what was wrong."""

    reason: str
    where: str
    detail: str

    def __str__(self) -> str:
        return f"{self.where}: {self.detail}"


class UnreadableFile(StageFailed):
    """A row file that cannot be read to its end: the message names the file and the line."""


def jsonl_items(handle: IO[bytes], name: str) -> Iterator[tuple[int, dict[str, Any] | RowReject]]:
    """``(line number, row or reject)`` for each non-blank line of an open binary JSONL stream.

    Each line is decoded on its own, so one bad byte rejects one line, not the rest of the file.
    Raises :class:`UnreadableFile` when the stream itself breaks (a truncated or corrupt ``.gz``).
    """
    number = 0
    try:
        for number, raw in enumerate(handle, 1):  # noqa: B007 - the last number names a broken file
            item = _parse_line(raw, f"{name}:{number}")
            if item is not None:
                yield number, item
    except (EOFError, OSError, zlib.error) as err:
        raise UnreadableFile(
            f"{name}: line {number + 1}: the file cannot be read past line {number} ({err}); "
            "re-download or re-create it"
        ) from None


def _parse_line(raw: bytes, where: str) -> dict[str, Any] | RowReject | None:
    if _NUL in raw:
        return RowReject("nul_byte", where, f"a raw NUL byte at column {raw.index(_NUL) + 1}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        return RowReject(
            "bad_utf8", where, f"not UTF-8 (byte 0x{raw[err.start]:02x} at column {err.start + 1})"
        )
    if not text.strip():
        return None
    try:
        row = json.loads(text)
    except json.JSONDecodeError as err:
        return RowReject("malformed_json", where, f"not valid JSON ({err})")
    if not isinstance(row, dict):
        return RowReject("malformed_json", where, f"a JSON {type(row).__name__}, not an object")
    return row


def row_problem(row: dict[str, Any], where: str) -> RowReject | None:
    """Why a record row cannot go through a stage (a missing or wrongly typed column), or None."""
    for column in REQUIRED_COLUMNS:
        value = row.get(column)
        if value is None or value == "":
            columns = ", ".join(sorted(row)) or "none"
            return RowReject("missing_column", where, f"no {column!r} value (columns: {columns})")
    for column, value in row.items():
        kind = _COLUMN_TYPES.get(column)
        if value is not None and kind is not None and not _has_type(value, kind):
            shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
            return RowReject(
                "wrong_type", where, f"{column!r} must be {kind}, got {type(value).__name__} {shown}"
            )
    return None


def _has_type(value: Any, kind: str) -> bool:
    if kind == _STR:
        return isinstance(value, str)
    if kind == _STR_LIST:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == _MESSAGES:
        return isinstance(value, list) and all(isinstance(m, dict) for m in value)
    if kind == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, int | float) and not isinstance(value, bool)


def row_files(folder: str) -> list[str]:
    """Every row file under ``folder`` (a file is its own list), sorted so task splits are deterministic.

    Raises:
        FileNotFoundError: the folder does not exist or holds no row files.
        ValueError: the folder mixes parquet and jsonl.
    """
    folder = storage.as_url(folder)
    if storage.is_file(folder):
        return [folder]
    if not storage.is_dir(folder):
        raise FileNotFoundError(f"input folder {folder} does not exist")
    files = [f for f in storage.list_files(folder, ROW_SUFFIXES) if "/.staging" not in f]
    if not files:
        raise FileNotFoundError(f"no {', '.join(ROW_SUFFIXES)} files under {folder}")
    kinds = {_kind(p) for p in files}
    if len(kinds) > 1:
        raise ValueError(f"{folder} mixes parquet and jsonl files; give one format per input folder")
    return files


def _kind(path: str) -> str:
    return "parquet" if path.endswith(".parquet") else "jsonl"


def row_adapter(reader, data: dict, path: str, id_in_file: int | str) -> dict:
    """Reader adapter: a flat row becomes a Document (text = question, metadata = the rest)."""
    data = dict(data)
    question = data.pop("question", None)
    row_id = data.pop("id", None) or f"{path}/{id_in_file}"
    return {"text": question, "id": row_id, "metadata": data}


def document_row(writer, document) -> dict:
    """Writer adapter: the inverse of :func:`row_adapter`."""
    return {"id": document.id, "question": document.text, **document.metadata}


def documents_table(documents: list, templated: bool = False) -> pa.Table:
    """A batch of record Documents as a pyarrow table (the input of the columnar filter H path)."""
    return pa.Table.from_pylist([document_row(None, d) for d in documents], schema=arrow_schema(templated))


def make_reader(folder: str, limit: int = -1, rejects_folder: str | None = None):
    """The datatrove reader for the record rows under ``folder`` (parquet or jsonl, any storage):
    every rejected row is counted (``dropped_<reason>``) and, with ``rejects_folder``, written there."""
    folder = storage.as_url(folder)
    files = row_files(folder)
    single = files == [folder]
    root = folder.rsplit("/", 1)[0] if single else folder
    rejects = make_rejects_writer(rejects_folder) if rejects_folder else None
    if _kind(files[0]) == "parquet":
        pattern = storage.basename(folder) if single else "**/*.parquet"
        return _row_readers()[0](
            root, adapter=row_adapter, glob_pattern=pattern, limit=limit, rejects_writer=rejects
        )
    compression = "gzip" if files[0].endswith(".gz") else None
    pattern = storage.basename(folder) if single else ("**/*.jsonl.gz" if compression else "**/*.jsonl")
    return _row_readers()[1](
        root,
        adapter=row_adapter,
        glob_pattern=pattern,
        compression=compression,
        limit=limit,
        add_file_path=False,
        rejects_writer=rejects,
    )


class _CountedRows:
    """What both record readers share: each row checked (:func:`row_problem`), counted as
    ``rows_in``, and a rejected row counted as ``dropped_<reason>`` and written to the rejects."""

    def __init__(self, *args, rejects_writer=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rejects_writer = rejects_writer
        self._rejects = None
        self._rank = 0

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        self._rank = rank  # read_file has no rank; rejects are written per task
        if self.rejects_writer is None:
            yield from super().run(data, rank, world_size)
            return
        with self.rejects_writer as writer:
            self._rejects = writer
            yield from super().run(data, rank, world_size)

    def _accept(self, item: dict[str, Any] | RowReject, filepath: str, line: int, rank: int):
        """The row's Document, or None for a reject (counted, and written when there is a writer)."""
        self.stat_update("rows_in")
        if isinstance(item, dict):
            item = row_problem(item, f"{self._where(filepath)}:{line}") or item
        if isinstance(item, RowReject):
            self.stat_update(f"dropped_{item.reason}")
            if self._rejects is not None:
                from datatrove.data import Document

                reject = Document(text=str(item), id=item.where, metadata={"filter_reason": item.reason})
                self._rejects.write(reject, rank)
            return None
        return self.get_document_from_dict(item, filepath, line - 1)

    def _where(self, filepath: str) -> str:
        return self.data_folder.resolve_paths(filepath)


@functools.cache
def _row_readers():
    """datatrove's ``ParquetReader`` and ``JsonlReader`` with every row counted (:class:`_CountedRows`).

    The parquet one reads through :func:`crossthink_data.storage.parquet_file` (no pre-buffering: with
    it, reading a file held memory in proportion to the file); the JSONL one reads bytes and decodes
    line by line (:func:`jsonl_items`), where datatrove's skips a bad line, or the rest of the file,
    with a logged warning.
    """
    from datatrove.pipeline.readers import JsonlReader, ParquetReader

    class RowParquetReader(_CountedRows, ParquetReader):
        def read_file(self, filepath: str):
            with self.data_folder.open(filepath, "rb") as f:
                rows = _parquet_rows(f, self._where(filepath), self.batch_size)
                for line, row in enumerate(rows, 1):
                    document = self._accept(row, filepath, line, self._rank)
                    if document is not None:
                        yield document

    class RowJsonlReader(_CountedRows, JsonlReader):
        def read_file(self, filepath: str):
            with self.data_folder.open(filepath, "rb", compression=self.compression) as f:
                for line, item in jsonl_items(f, self._where(filepath)):
                    document = self._accept(item, filepath, line, self._rank)
                    if document is not None:
                        yield document

    return RowParquetReader, RowJsonlReader


def _parquet_rows(handle, name: str, batch_size: int) -> Iterator[dict[str, Any]]:
    """The rows of one open parquet file; :class:`UnreadableFile` naming the file and row if it breaks."""
    line = 0
    try:
        for batch in storage.parquet_file(handle).iter_batches(batch_size=batch_size):
            for row in batch.to_pylist():
                line += 1
                yield row
    except (OSError, pa.ArrowException) as err:
        raise UnreadableFile(f"{name}: row {line + 1}: not a readable parquet file ({err})") from None


def input_schema(folder: str, extra: dict[str, pa.DataType] | None = None) -> pa.Schema:
    """Schema of the rows under ``folder`` plus ``extra`` columns (for writers: no late inference)."""
    first = row_files(folder)[0]
    if _kind(first) == "parquet":
        with storage.open_url(first) as handle:
            schema = pq.read_schema(handle)
        schema = pa.schema([f for f in schema if f.name != "__index_level_0__"])
    else:
        row = _first_row(first)
        schema = arrow_schema(templated="template" in row)
        for name, dtype in CURATION_FIELDS.items():
            if name in row and name not in schema.names:
                schema = schema.append(pa.field(name, dtype))
    for name, dtype in (extra or {}).items():
        if name not in schema.names:
            schema = schema.append(pa.field(name, dtype))
    return schema


def _first_row(file: str) -> dict[str, Any]:
    """The first row of a JSONL file that a stage would accept (rejects are the reader's to count)."""
    for _, item in _jsonl_file_items(file):
        if isinstance(item, dict) and row_problem(item, file) is None:
            return item
    return {}


def _jsonl_file_items(file: str) -> Iterator[tuple[int, dict[str, Any] | RowReject]]:
    compression = "gzip" if file.endswith(".gz") else None
    with storage.open_url(file, "rb", compression=compression) as stream:
        yield from jsonl_items(stream, file)


def make_writer(folder: str, schema: pa.Schema):
    """A parquet writer with an explicit schema and one plain ``${rank}.parquet`` file per task."""
    from datatrove.pipeline.writers import ParquetWriter

    return ParquetWriter(
        storage.as_url(folder),
        output_filename="${rank}.parquet",
        adapter=document_row,
        schema=schema,
        max_file_size=-1,
    )


def make_rejects_writer(folder: str):
    """Rejected rows (with their ``filter_reason``) as plain ``${rank}.jsonl`` files, readable by eye."""
    from datatrove.pipeline.writers import JsonlWriter

    return JsonlWriter(storage.as_url(folder), output_filename="${rank}.jsonl", compression=None)


def parquet_batches(
    file: str, columns: list[str] | None = None, batch_size: int = 4096
) -> Iterator[pa.RecordBatch]:
    """One parquet file at any URL, batch by batch, in constant memory (no pyarrow pre-buffering,
    see :func:`crossthink_data.storage.parquet_file`); a file that breaks is :class:`UnreadableFile`."""
    done = 0
    with storage.open_url(file) as handle:
        try:
            for batch in storage.parquet_file(handle).iter_batches(batch_size=batch_size, columns=columns):
                yield batch
                done += batch.num_rows
        except pa.ArrowException as err:
            raise UnreadableFile(f"{file}: row {done + 1}: not a readable parquet file ({err})") from None


def iter_rows(path: str) -> Iterator[dict[str, Any]]:
    """Rows of one file or of every row file under a folder, as plain dicts; a JSONL line that is not
    a row stops the read with :class:`UnreadableFile` naming ``file:line`` (never a silent skip)."""
    for file in row_files(path):
        if _kind(file) == "parquet":
            for batch in parquet_batches(file):
                yield from batch.to_pylist()
            continue
        for _, item in _jsonl_file_items(file):
            if isinstance(item, RowReject):
                raise UnreadableFile(f"{item} ({item.reason})")
            yield item


def read_table(path: str) -> pa.Table:
    """All rows under ``path`` as one arrow table (parquet files are read natively)."""
    files = row_files(path)
    if _kind(files[0]) == "parquet":
        tables = []
        for file in files:
            with storage.open_url(file) as handle:
                tables.append(pq.read_table(handle))
        return pa.concat_tables(tables, promote_options="default")
    return pa.Table.from_pylist(list(iter_rows(path)), schema=input_schema(path))


def count_rows(path: str) -> int:
    """Rows under ``path`` (parquet: from the footers, without reading the data); 0 when there is none."""
    try:
        files = row_files(path)
    except FileNotFoundError:
        return 0
    total = 0
    for file in files:
        if _kind(file) == "parquet":
            with storage.open_url(file) as handle:
                total += pq.ParquetFile(handle).metadata.num_rows
        else:  # lines that are JSON objects (progress totals; the reader counts the rejects)
            total += sum(isinstance(item, dict) for _, item in _jsonl_file_items(file))
    return total


def task_row_count(folder: str, rank: int = 0, world_size: int = 1, limit: int = -1) -> int:
    """Rows a datatrove reader of ``folder`` gives task ``rank`` of ``world_size`` (for "n of N" progress).

    datatrove deals the sorted files to tasks (``files[rank::world_size]``); ``limit`` is per task.
    """
    total = sum(count_rows(file) for file in row_files(folder)[rank::world_size])
    return min(total, limit) if limit >= 0 else total


@dataclass
class ReadCounts:
    """Rows a stage read (``rows_in``, rejects included) and its rejects by reason."""

    rows_in: int = 0
    rejected: dict[str, int] = field(default_factory=dict)

    @property
    def total_rejected(self) -> int:
        return sum(self.rejected.values())


def read_counts(logging_dir: str) -> ReadCounts:
    """The reader's counts of a stage from the stats datatrove saved (every task, resumed ones too)."""
    counts, rejected = ReadCounts(), Counter()
    for step in stage_stats(logging_dir).stats:
        for key, metric in step.stats.items():
            if key == "rows_in":
                counts.rows_in += int(metric.total)
            elif key.removeprefix("dropped_") in REJECT_REASONS:
                rejected[key.removeprefix("dropped_")] += int(metric.total)
    counts.rejected = dict(sorted(rejected.items()))
    return counts


def check_input(
    input_dir: str,
    out: str,
    max_rejected: float,
    command: str,
    *,
    limit: int = -1,
    tasks: int = 1,
    workers: int = 1,
    executor: str = "local",
) -> ReadCounts:
    """Reads every input row once, before a command's work: rejects are counted (``logs/0_read``) and
    written to ``<out>/rejected/``, and more than ``max_rejected`` of the rows stops the command
    (:func:`check_rejected`), so nothing is written from an input that lost rows.

    A finished read is resumed (skipped) like any stage; a read that stopped the command is not
    marked finished, so the rerun after the input is fixed (or with a higher ``max_rejected``)
    reads the input again.
    """
    logs, rejects = storage.join(out, "logs", "0_read"), storage.join(out, "rejected")
    completions = storage.join(logs, "completions")
    if not storage.exists(completions):
        storage.remove(rejects)  # a fresh read: no rejects left by an earlier one
    reader = make_reader(input_dir, limit=limit, rejects_folder=rejects)
    n_workers = min(workers, tasks) if workers > 0 else workers
    make_executor([reader], logs, executor, tasks=tasks, workers=n_workers, stage=f"{command} 0_read").run()
    counts = read_counts(logs)
    try:
        check_rejected(counts, max_rejected, command, rejects)
    except StageFailed:
        storage.remove(completions)
        raise
    return counts


def check_rejected(counts: ReadCounts, max_rejected: float, command: str, rejects_folder: str) -> None:
    """:class:`~crossthink_data.executors.StageFailed` (one line: how many, why, the first, where all
    are) when more than ``max_rejected`` of the rows read were rejected."""
    if counts.total_rejected <= max_rejected * counts.rows_in:
        return
    reasons = ", ".join(f"{reason}: {n:,}" for reason, n in counts.rejected.items())
    raise StageFailed(
        f"{command}: {counts.total_rejected:,} of {counts.rows_in:,} input rows rejected on read "
        f"({counts.total_rejected / counts.rows_in:.1%}; {reasons}), more than --max-rejected {max_rejected:g}; "
        f"the first: {first_rejected(rejects_folder)}; all: {rejects_folder}. Fix the input, or raise "
        "--max-rejected to go on without them"
    )


def first_rejected(rejects_folder: str) -> str | None:
    """The first reject written under ``rejects_folder`` (task order): ``file:line: what was wrong``."""
    if not storage.is_dir(rejects_folder):
        return None
    for file in storage.list_files(rejects_folder, (".jsonl",), recursive=False):
        for row in iter_rows(file):
            return row.get("text")
    return None


def options_of(metadata: dict[str, Any]) -> list[str]:
    options = metadata.get("options")
    return [str(o) for o in options] if options is not None else []


def content_text(document) -> str:
    """What decontamination and deduplication compare: the question followed by its options."""
    options = options_of(document.metadata)
    return document.text if not options else document.text + "\n" + "\n".join(options)
