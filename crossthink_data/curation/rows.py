"""Record rows on disk <-> datatrove Documents, shared by every curation stage.

Stages exchange folders of parquet (or jsonl) rows with the record columns, optionally the
template columns and curation columns (``pass_rate``...). Inside datatrove a row is a Document
whose text is the question and whose metadata holds every other column, exactly as
:func:`crossthink_data.record.to_document` and the source pipeline's writer adapter do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from datatrove.data import Document

from crossthink_data.record import arrow_schema

ROW_SUFFIXES = (".parquet", ".jsonl", ".jsonl.gz")

# Columns curation adds; declared here so every writer knows their types.
CURATION_FIELDS = {
    "pass_rate": pa.float64(),
    "difficulty_model": pa.string(),
    "difficulty_samples": pa.int32(),
}


def row_files(folder: Path | str) -> list[Path]:
    """Every row file under ``folder`` (recursively), sorted so task splits are deterministic."""
    folder = Path(folder)
    if folder.is_file():
        return [folder]
    if not folder.is_dir():
        raise FileNotFoundError(f"input folder {folder} does not exist")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name.endswith(ROW_SUFFIXES))
    if not files:
        raise FileNotFoundError(f"no {', '.join(ROW_SUFFIXES)} files under {folder}")
    kinds = {_kind(p) for p in files}
    if len(kinds) > 1:
        raise ValueError(f"{folder} mixes parquet and jsonl files; give one format per input folder")
    return files


def _kind(path: Path) -> str:
    return "parquet" if path.name.endswith(".parquet") else "jsonl"


def row_adapter(reader, data: dict, path: str, id_in_file: int | str) -> dict:
    """Reader adapter: a flat row becomes a Document (text = question, metadata = the rest)."""
    data = dict(data)
    question = data.pop("question", None)
    row_id = data.pop("id", None) or f"{path}/{id_in_file}"
    return {"text": question, "id": row_id, "metadata": data}


def document_row(writer, document: Document) -> dict:
    """Writer adapter: the inverse of :func:`row_adapter`."""
    return {"id": document.id, "question": document.text, **document.metadata}


def make_reader(folder: Path | str, limit: int = -1):
    """A datatrove reader for the row files under ``folder`` (parquet or jsonl)."""
    files = row_files(folder)
    root = Path(folder) if Path(folder).is_dir() else Path(folder).parent
    if _kind(files[0]) == "parquet":
        from datatrove.pipeline.readers import ParquetReader

        return ParquetReader(str(root), adapter=row_adapter, glob_pattern="**/*.parquet", limit=limit)
    from datatrove.pipeline.readers import JsonlReader

    compression = "gzip" if files[0].name.endswith(".gz") else None
    pattern = "**/*.jsonl.gz" if compression else "**/*.jsonl"
    return JsonlReader(
        str(root),
        adapter=row_adapter,
        glob_pattern=pattern,
        compression=compression,
        limit=limit,
        add_file_path=False,
    )


def input_schema(folder: Path | str, extra: dict[str, pa.DataType] | None = None) -> pa.Schema:
    """Schema of the rows under ``folder`` plus ``extra`` columns (for writers: no late inference)."""
    first = row_files(folder)[0]
    if _kind(first) == "parquet":
        schema = pq.read_schema(first)
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


def make_writer(folder: Path | str, schema: pa.Schema):
    """A parquet writer with an explicit schema and one plain ``${rank}.parquet`` file per task."""
    from datatrove.pipeline.writers import ParquetWriter

    return ParquetWriter(
        str(folder), output_filename="${rank}.parquet", adapter=document_row, schema=schema, max_file_size=-1
    )


def iter_rows(path: Path | str) -> Iterator[dict[str, Any]]:
    """Rows of one file or of every row file under a folder, as plain dicts."""
    for file in row_files(path):
        if _kind(file) == "parquet":
            for batch in pq.ParquetFile(file).iter_batches(batch_size=4096):
                yield from batch.to_pylist()
        else:
            import gzip

            opener = gzip.open if file.name.endswith(".gz") else open
            with opener(file, "rt", encoding="utf-8") as handle:
                for line in handle:
                    if line.strip():
                        yield json.loads(line)


def read_table(path: Path | str) -> pa.Table:
    """All rows under ``path`` as one arrow table (parquet files are read natively)."""
    files = row_files(path)
    if _kind(files[0]) == "parquet":
        return pa.concat_tables([pq.read_table(f) for f in files], promote_options="default")
    return pa.Table.from_pylist(list(iter_rows(path)), schema=input_schema(path))


def options_of(metadata: dict[str, Any]) -> list[str]:
    options = metadata.get("options")
    return [str(o) for o in options] if options is not None else []


def content_text(document: Document) -> str:
    """What decontamination and deduplication compare: the question followed by its options."""
    options = options_of(document.metadata)
    return document.text if not options else document.text + "\n" + "\n".join(options)
