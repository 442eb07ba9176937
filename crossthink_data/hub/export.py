"""One config's rows as Hub parquet shards: the writer :func:`crossthink_data.hub.export_repo` uses.

A config's shards are named the way the Hub names them (``data/<config>/train-00000-of-00002.parquet``),
what ``datasets.load_dataset(repo, config)`` and the Hub viewer read. Rows are streamed in batches
and written with an explicit Arrow schema derived from :func:`crossthink_data.record.arrow_schema`,
so a bad row fails at once with its config, index and column instead of surfacing as a schema
mismatch at load time. Input is rows, an Arrow table, parquet files (any storage URL) or a
:class:`ParquetSelection` of a shared pool, never loaded whole.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from crossthink_data import storage
from crossthink_data.record import (
    CATEGORIES,
    DOMAINS,
    KINDS,
    RECORD_FIELDS,
    TEMPLATED_FIELDS,
    TEMPLATES,
    QARecord,
    arrow_schema,
)

from .stats import ConfigStats

logger = logging.getLogger(__name__)

SPLIT = "train"
DATA_DIR = "data"
ASSETS_DIR = "assets"
BATCH_ROWS = 10_000
CONFIG_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")

REQUIRED_COLUMNS = ("id", "source", "domain", "category", "question", "answer")
ALLOWED_VALUES = {"domain": DOMAINS, "category": CATEGORIES, "template": TEMPLATES, "kind": KINDS}


@dataclass(frozen=True)
class ParquetSelection:
    """The rows of parquet files whose columns equal given values, read batch by batch: a config cut
    from a shared pool (``where={"source": "mmlu_train", "template": "mcq"}``) without loading it,
    optionally only rows whose ``id`` is in ``ids`` (a ``pyarrow`` array)."""

    files: tuple[str, ...]
    where: tuple[tuple[str, str], ...] = ()
    ids: Any = None

    def keep(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        mask = None
        for column, value in self.where:
            test = pc.equal(batch.column(column), value)
            mask = test if mask is None else pc.and_(mask, test)
        if self.ids is not None:
            test = pc.is_in(batch.column("id"), value_set=self.ids)
            mask = test if mask is None else pc.and_(mask, test)
        return batch if mask is None else batch.filter(mask.fill_null(False))


# rows, an arrow table, parquet files given as paths/URLs (a file, a folder or a list of files), or a
# selection of rows of parquet files
ConfigInput = (
    Iterable[dict[str, Any]] | list[str | os.PathLike] | str | os.PathLike | pa.Table | ParquetSelection
)


class ExportError(ValueError):
    """Input that cannot become a config of the repo; the message names the config, row and column."""


def shard_name(index: int, total: int) -> str:
    """Hub shard file name: ``train-00000-of-00003.parquet``."""
    return f"{SPLIT}-{index:05d}-of-{total:05d}.parquet"


# ---- one config ---------------------------------------------------------------------------------


@dataclass
class _Schema:
    arrow: pa.Schema  # with the `huggingface` features metadata, as `datasets` writes it
    templated: bool

    @property
    def required(self) -> tuple[str, ...]:
        return REQUIRED_COLUMNS + (TEMPLATED_FIELDS if self.templated else ())


class ShardWriter:
    """Writes one config's batches as parquet shards of at most ``rows_per_shard`` rows under a
    local staging folder (row groups of at most ``BATCH_ROWS`` rows, so the Hub viewer pages through
    them); :meth:`close` gives the shards their Hub names (``train-00000-of-00003.parquet``)."""

    def __init__(self, folder: Path, schema: pa.Schema, rows_per_shard: int) -> None:
        self.folder = folder
        self.schema = schema
        self.rows_per_shard = rows_per_shard
        self.rows = 0
        self._written: list[Path] = []
        self._writer: pq.ParquetWriter | None = None
        self._in_shard = 0
        folder.mkdir(parents=True)

    def write(self, table: pa.Table) -> None:
        start = 0
        while start < table.num_rows:
            if self._writer is None:
                self._written.append(self.folder / f"part-{len(self._written):05d}.parquet")
                self._writer = pq.ParquetWriter(self._written[-1], self.schema)
                self._in_shard = 0
            take = min(self.rows_per_shard - self._in_shard, table.num_rows - start)
            self._writer.write_table(table.slice(start, take), row_group_size=BATCH_ROWS)
            start += take
            self._in_shard += take
            self.rows += take
            if self._in_shard == self.rows_per_shard:
                self._finish_shard()

    def _finish_shard(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def close(self) -> list[Path]:
        """Closes the open shard and renames every shard to its Hub name; returns them in order."""
        self._finish_shard()
        final = []
        for index, path in enumerate(self._written):
            final.append(path.with_name(shard_name(index, len(self._written))))
            path.rename(final[-1])
        return final

    def abort(self) -> None:
        self._finish_shard()


def _write_config(
    name: str, rows: ConfigInput, templated: bool | None, staging: Path, rows_per_shard: int
) -> ConfigStats:
    tables = _tables(name, rows, templated)
    first = next(tables, None)
    if first is None:
        raise ExportError(f"config {name!r} has no rows: a Hub config needs at least one row")
    schema, first_table = first
    stats = ConfigStats(name=name, templated=schema.templated)
    stats.features = _features(schema.arrow)
    writer = ShardWriter(staging, schema.arrow, rows_per_shard)
    try:
        for table in itertools.chain([first_table], (t for _, t in tables)):
            stats.update(table)
            writer.write(table)
    finally:
        writer.abort()
    finish_stats(stats, writer.close())
    logger.info("config %s: %d rows in %d shard(s)", name, stats.rows, len(stats.shards))
    return stats


def finish_stats(stats: ConfigStats, shards: list[Path]) -> None:
    """Records a config's shard names and parquet size once its shards are closed."""
    for path in shards:
        stats.shards.append(path.name)
        stats.download_size += path.stat().st_size


def _features(schema: pa.Schema):
    from datasets import Features

    return Features.from_arrow_schema(schema)


def _tables(name: str, rows: ConfigInput, templated: bool | None) -> Iterator[tuple[_Schema, pa.Table]]:
    """Batches of one config conformed to its schema, each with that schema."""
    if isinstance(rows, pa.Table):
        yield from _tables_from_arrow(name, [(None, rows.schema, rows.to_batches(BATCH_ROWS))], templated)
        return
    if isinstance(rows, ParquetSelection):
        yield from _tables_from_arrow(name, _parquet_sources(name, list(rows.files), rows.keep), templated)
        return
    files = _parquet_inputs(name, rows)
    if files is not None:
        yield from _tables_from_arrow(name, _parquet_sources(name, files), templated)
    else:
        yield from _tables_from_rows(name, rows, templated)  # type: ignore[arg-type]


def _parquet_inputs(name: str, rows: ConfigInput) -> list[str] | None:
    """The parquet files (URLs) a config is given as, or None when it is given as rows."""
    if isinstance(rows, (str, os.PathLike)):
        candidates = [storage.as_url(rows)]
    elif isinstance(rows, (list, tuple)) and rows and all(isinstance(r, (str, os.PathLike)) for r in rows):
        candidates = [storage.as_url(r) for r in rows]
    else:
        return None
    files: list[str] = []
    for location in candidates:
        if storage.is_dir(location):
            found = storage.list_files(location, (".parquet",))
            files += [f for f in found if ".staging" not in storage.relative(f, location).split("/")]
        elif storage.is_file(location):
            files.append(location)
        else:
            raise ExportError(f"config {name!r}: input file {location} does not exist")
    if not files:
        raise ExportError(f"config {name!r}: no parquet files under {', '.join(candidates)}")
    return files


def _base_schema(templated: bool, extras: list[pa.Field]) -> _Schema:
    fields = list(arrow_schema(templated)) + extras
    return _Schema(arrow=_features(pa.schema(fields)).arrow_schema, templated=templated)


def _check_template_columns(name: str, columns: Iterable[str], templated: bool | None) -> bool:
    present = [c for c in TEMPLATED_FIELDS if c in set(columns)]
    if templated is None:
        return bool(present)
    if not templated and present:
        raise ExportError(
            f"config {name!r} is declared not templated but its rows carry template column(s) {present}"
        )
    return templated


def _extras(name: str, columns: Iterable[str], templated: bool) -> list[str]:
    known = set(RECORD_FIELDS) | set(TEMPLATED_FIELDS if templated else ())
    return [c for c in columns if c not in known and not c.startswith("__")]


# ---- rows given as dicts -------------------------------------------------------------------------


def _tables_from_rows(
    name: str, rows: Iterable[dict[str, Any]], templated: bool | None
) -> Iterator[tuple[_Schema, pa.Table]]:
    schema: _Schema | None = None
    offset = 0
    for batch in _chunks(rows, BATCH_ROWS):
        batch = [_as_row(name, row, offset + i) for i, row in enumerate(batch)]
        keys = list(dict.fromkeys(k for row in batch for k in row))
        if schema is None:
            is_templated = _check_template_columns(name, keys, templated)
            extras = [_infer_field(name, column, batch) for column in _extras(name, keys, is_templated)]
            schema = _base_schema(is_templated, extras)
        else:
            new = [k for k in keys if k not in schema.arrow.names and not k.startswith("__")]
            if new:
                raise ExportError(
                    f"config {name!r}: column(s) {new} first appear after row {offset}; every row of a config "
                    "must have the same columns"
                )
        table = _table_from_rows(name, batch, schema.arrow, offset)
        _check_values(name, table, schema, offset)
        yield schema, table
        offset += len(batch)


def _chunks(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _as_row(name: str, row: Any, index: int) -> dict[str, Any]:
    if isinstance(row, QARecord):
        return row.to_dict()
    if not isinstance(row, dict):
        raise ExportError(f"config {name!r}: row {index} is a {type(row).__name__}, expected a dict")
    return row


def _infer_field(name: str, column: str, batch: list[dict[str, Any]]) -> pa.Field:
    known = _curation_types().get(column)
    if known is not None:
        return pa.field(column, known)
    try:
        array = pa.array([row.get(column) for row in batch])
    except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
        raise ExportError(f"config {name!r}: extra column {column!r} has mixed types: {err}") from None
    if pa.types.is_null(array.type):
        raise ExportError(
            f"config {name!r}: extra column {column!r} is null in every row of the first batch, so its type "
            "is unknown; drop it or fill it"
        )
    return pa.field(column, array.type)


def _curation_types() -> dict[str, pa.DataType]:
    """Types of the columns curation adds (pass_rate...), so all-null first batches still type them."""
    from crossthink_data.rows import CURATION_FIELDS

    return dict(CURATION_FIELDS)


def _table_from_rows(name: str, batch: list[dict[str, Any]], schema: pa.Schema, offset: int) -> pa.Table:
    # pyarrow turns a string given for a list column into a list of its characters: refuse it.
    for field in schema:
        if pa.types.is_list(field.type):
            for index, row in enumerate(batch):
                if isinstance(row.get(field.name), (str, bytes)):
                    raise ExportError(
                        f"config {name!r}: row {offset + index} (id {row.get('id')!r}) column {field.name!r} "
                        f"= {_short(row[field.name])} does not fit type {field.type}: a string, not a list"
                    )
    try:
        return pa.Table.from_pylist(batch, schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        pass
    # Find the first failing (row, column) to say exactly what is wrong.
    for index, row in enumerate(batch):
        for field in schema:
            try:
                pa.array([row.get(field.name)], type=field.type)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as err:
                raise ExportError(
                    f"config {name!r}: row {offset + index} (id {row.get('id')!r}) column {field.name!r} "
                    f"= {_short(row.get(field.name))} does not fit type {field.type}: {err}"
                ) from None
    raise ExportError(f"config {name!r}: rows {offset}-{offset + len(batch) - 1} do not fit the schema")


# ---- rows given as parquet files -------------------------------------------------------------


def _parquet_sources(
    name: str, files: list[str], keep=None
) -> Iterator[tuple[str, pa.Schema, Iterable[pa.RecordBatch]]]:
    for location in files:
        handle = storage.open_url(location)
        try:
            parquet = storage.parquet_file(handle)
        except (pa.ArrowInvalid, OSError) as err:
            handle.close()
            raise ExportError(f"config {name!r}: {location} is not a readable parquet file: {err}") from None
        yield location, parquet.schema_arrow, _batches(parquet, handle, keep)


def _batches(parquet: pq.ParquetFile, handle, keep=None) -> Iterator[pa.RecordBatch]:
    """The file's batches (only the rows ``keep`` keeps); its handle closes once they are read."""
    with handle:
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
            batch = keep(batch) if keep is not None else batch
            if batch.num_rows:
                yield batch


def _tables_from_arrow(
    name: str,
    sources: Iterable[tuple[str | None, pa.Schema, Iterable[pa.RecordBatch]]],
    templated: bool | None,
) -> Iterator[tuple[_Schema, pa.Table]]:
    """Arrow input (parquet files or an in-memory table): extras keep their own Arrow types."""
    schema: _Schema | None = None
    offset = 0
    for path, arrow_schema_, batches in sources:
        if schema is None:
            is_templated = _check_template_columns(name, arrow_schema_.names, templated)
            extras = [arrow_schema_.field(c) for c in _extras(name, arrow_schema_.names, is_templated)]
            schema = _base_schema(is_templated, extras)
        for batch in batches:
            table = _conform(name, pa.Table.from_batches([batch]), schema, path)
            _check_values(name, table, schema, offset, origin=path)
            yield schema, table
            offset += table.num_rows


def _conform(name: str, table: pa.Table, schema: _Schema, path: str | None) -> pa.Table:
    path = path or "the input table"
    unexpected = [c for c in table.column_names if c not in schema.arrow.names and not c.startswith("__")]
    if unexpected:
        raise ExportError(f"config {name!r}: {path} has column(s) {unexpected} the config's first file lacks")
    missing_required = [c for c in schema.required if c not in table.column_names]
    if missing_required:
        raise ExportError(f"config {name!r}: {path} lacks required column(s) {missing_required}")
    for field in schema.arrow:
        if field.name not in table.column_names:  # optional record field (subject, options, ...): null
            table = table.append_column(field.name, pa.nulls(table.num_rows, field.type))
    try:
        return table.select(schema.arrow.names).cast(schema.arrow)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as err:
        raise ExportError(f"config {name!r}: {path} does not fit the export schema: {err}") from None


# ---- value checks ---------------------------------------------------------------------------------


def _check_values(
    name: str, table: pa.Table, schema: _Schema, offset: int, origin: str | None = None
) -> None:
    """Required columns non-empty and enum columns valid, checked per batch with pyarrow compute."""
    where = f" of {origin}" if origin else ""
    for column in schema.required:
        values = table[column]
        if pa.types.is_string(values.type):
            bad = pc.or_kleene(pc.is_null(values), pc.equal(pc.utf8_trim_whitespace(values), ""))
        else:  # prompt: a non-empty list of messages
            bad = pc.or_kleene(pc.is_null(values), pc.equal(pc.list_value_length(values), 0))
        _raise_first(name, table, bad.fill_null(True), column, "is empty or missing", offset, where)
    for column, allowed in ALLOWED_VALUES.items():
        if column in table.column_names:
            bad = pc.invert(pc.is_in(table[column], value_set=pa.array(allowed)))
            _raise_first(name, table, bad.fill_null(False), column, f"is not one of {allowed}", offset, where)


def _raise_first(name, table, mask, column, problem, offset, where) -> None:
    indices = pc.indices_nonzero(mask)
    if len(indices):
        index = indices[0].as_py()
        row_id = table["id"][index].as_py()
        value = table[column][index].as_py()
        raise ExportError(
            f"config {name!r}: row {offset + index}{where} (id {row_id!r}) column {column!r} = {_short(value)} "
            f"{problem}"
        )


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
