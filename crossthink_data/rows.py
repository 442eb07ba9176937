"""Row I/O for every stage: record rows on any storage <-> datatrove Documents.

Stages exchange folders of parquet (or jsonl) rows with the record columns, optionally the
template columns and the curation columns (``pass_rate``...). Inside datatrove a row is a Document
whose text is the question and whose metadata holds every other column
(:func:`row_adapter` / :func:`document_row`, the one pair of adapters every reader and writer uses).

Folders are URLs (:mod:`crossthink_data.storage`): a local path, ``file://``, ``s3://``, ``hf://``...
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from crossthink_data import storage
from crossthink_data.record import arrow_schema

ROW_SUFFIXES = (".parquet", ".jsonl", ".jsonl.gz")

# Columns curation adds; declared here so every writer (and the Hub export) knows their types.
CURATION_FIELDS = {
    "pass_rate": pa.float64(),
    "difficulty_model": pa.string(),
    "difficulty_samples": pa.int32(),
}


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


def make_reader(folder: str, limit: int = -1):
    """A datatrove reader for the row files under ``folder`` (parquet or jsonl, any storage)."""
    folder = storage.as_url(folder)
    files = row_files(folder)
    single = files == [folder]
    root = folder.rsplit("/", 1)[0] if single else folder
    if _kind(files[0]) == "parquet":
        pattern = storage.basename(folder) if single else "**/*.parquet"
        return _streaming_parquet_reader()(root, adapter=row_adapter, glob_pattern=pattern, limit=limit)
    from datatrove.pipeline.readers import JsonlReader

    compression = "gzip" if files[0].endswith(".gz") else None
    pattern = storage.basename(folder) if single else ("**/*.jsonl.gz" if compression else "**/*.jsonl")
    return JsonlReader(
        root,
        adapter=row_adapter,
        glob_pattern=pattern,
        compression=compression,
        limit=limit,
        add_file_path=False,
    )


@functools.cache
def _streaming_parquet_reader():
    """datatrove's ``ParquetReader`` reading through :func:`crossthink_data.storage.parquet_file`
    (no pre-buffering: with it, reading a file held memory in proportion to the file)."""
    from datatrove.pipeline.readers import ParquetReader

    class StreamingParquetReader(ParquetReader):
        def read_file(self, filepath: str):
            # datatrove 0.10.1's read_file, with the ParquetFile opened without pre-buffering
            with self.data_folder.open(filepath, "rb") as f, storage.parquet_file(f) as parquet:
                li = 0
                columns = [self.text_key, self.id_key] if not self.read_metadata else None
                for batch in parquet.iter_batches(batch_size=self.batch_size, columns=columns):
                    documents = []
                    with self.track_time("batch"):
                        for line in batch.to_pylist():
                            document = self.get_document_from_dict(line, filepath, li)
                            if not document:
                                continue
                            documents.append(document)
                            li += 1
                    yield from documents

    return StreamingParquetReader


def input_schema(folder: str, extra: dict[str, pa.DataType] | None = None) -> pa.Schema:
    """Schema of the rows under ``folder`` plus ``extra`` columns (for writers: no late inference)."""
    first = row_files(folder)[0]
    if _kind(first) == "parquet":
        with storage.open_url(first) as handle:
            schema = pq.read_schema(handle)
        schema = pa.schema([f for f in schema if f.name != "__index_level_0__"])
    else:
        row = next(iter_rows(first), {})
        schema = arrow_schema(templated="template" in row)
        for name, dtype in CURATION_FIELDS.items():
            if name in row and name not in schema.names:
                schema = schema.append(pa.field(name, dtype))
    for name, dtype in (extra or {}).items():
        if name not in schema.names:
            schema = schema.append(pa.field(name, dtype))
    return schema


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
    see :func:`crossthink_data.storage.parquet_file`)."""
    with storage.open_url(file) as handle:
        yield from storage.parquet_file(handle).iter_batches(batch_size=batch_size, columns=columns)


def iter_rows(path: str) -> Iterator[dict[str, Any]]:
    """Rows of one file or of every row file under a folder, as plain dicts."""
    for file in row_files(path):
        if _kind(file) == "parquet":
            for batch in parquet_batches(file):
                yield from batch.to_pylist()
        else:
            compression = "gzip" if file.endswith(".gz") else None
            with storage.open_url(file, "rt", encoding="utf-8", compression=compression) as stream:
                for line in stream:
                    if line.strip():
                        yield json.loads(line)


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
        else:
            total += sum(1 for _ in iter_rows(file))
    return total


def task_row_count(folder: str, rank: int = 0, world_size: int = 1, limit: int = -1) -> int:
    """Rows a datatrove reader of ``folder`` gives task ``rank`` of ``world_size`` (for "n of N" progress).

    datatrove deals the sorted files to tasks (``files[rank::world_size]``); ``limit`` is per task.
    """
    total = sum(count_rows(file) for file in row_files(folder)[rank::world_size])
    return min(total, limit) if limit >= 0 else total


def options_of(metadata: dict[str, Any]) -> list[str]:
    options = metadata.get("options")
    return [str(o) for o in options] if options is not None else []


def content_text(document) -> str:
    """What decontamination and deduplication compare: the question followed by its options."""
    options = options_of(document.metadata)
    return document.text if not options else document.text + "\n" + "\n".join(options)
