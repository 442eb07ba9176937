"""Read upstream rows from files (the ``from_dir`` code path of every adapter).

Plain streaming readers for the layouts the Hub repos use (jsonl, json arrays, csv with a header,
parquet). They yield each row unchanged as a dict, file by file in sorted order, so a copy of the
upstream files gives the same rows as ``datasets.load_dataset`` on the Hub without a cache or a
conversion step. A line of a JSON-lines file that is not a JSON object (a line cut short, a stray
value, bytes that are not UTF-8, a raw NUL) is yielded as a :class:`MalformedRow` in its place,
naming ``file:line``: the pipeline counts it as a reject and goes on, and row positions stay those
of the file. JSONL is read by the one line reader of :mod:`crossthink_data.rows`. A whole-file format
(a JSON array, CSV) with bytes that are not UTF-8 stops with one line naming the file and line. ``from_dir`` is any storage URL (:mod:`crossthink_data.storage`): a local folder,
``file://``, ``s3://``, ``hf://``...
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import Any

from crossthink_data import storage
from crossthink_data.record import RecordError

SUFFIXES = (".jsonl", ".jsonl.gz", ".json", ".csv", ".parquet")


class MalformedRow(RecordError):
    """A row of an upstream file that cannot be read as a row; its message names ``file:line``."""

    rule = "malformed_row"  # the reject reason and ``dropped_<rule>`` stat


def find_files(from_dir: str, patterns: Iterable[str]) -> list[str]:
    """Files (URLs) under ``from_dir`` matching any glob pattern, sorted, each once; clear error if none."""
    from_dir = storage.as_url(from_dir)
    if not storage.is_dir(from_dir):
        raise FileNotFoundError(f"--from-dir {from_dir} is not a directory")
    patterns = list(patterns)
    found = sorted({url for pattern in patterns for url in storage.glob(from_dir, pattern)})
    if not found:
        raise FileNotFoundError(
            f"no input files in {from_dir} matching {', '.join(patterns)} (the upstream layout this source reads)"
        )
    return found


def read_rows(path: str) -> Iterator[dict[str, Any] | MalformedRow]:
    """Rows of one file, chosen by suffix: .jsonl[.gz], .json (array, object or json lines), .csv, .parquet;
    an unreadable JSON line as a :class:`MalformedRow`."""
    path = storage.as_url(path)
    name = storage.basename(path).lower()
    if name.endswith(".jsonl") or name.endswith(".jsonl.gz"):
        yield from _read_jsonl(path)
    elif name.endswith(".json"):
        yield from _read_json(path)
    elif name.endswith(".csv"):
        yield from _read_csv(path)
    elif name.endswith(".parquet"):
        from crossthink_data.rows import parquet_batches

        for batch in parquet_batches(path, batch_size=1024):
            yield from batch.to_pylist()
    else:
        raise ValueError(f"cannot read {path}: supported suffixes are {', '.join(SUFFIXES)}")


def _read_jsonl(path: str) -> Iterator[dict[str, Any] | MalformedRow]:
    from crossthink_data.rows import RowReject, jsonl_items

    compression = "gzip" if path.lower().endswith(".gz") else None
    with storage.open_url(path, "rb", compression=compression) as handle:
        for _, item in jsonl_items(handle, path):
            yield MalformedRow(str(item)) if isinstance(item, RowReject) else item


def _utf8(data: bytes, path: str, line: int = 1) -> str:
    """``data`` decoded, or RecordError naming the file and the line of the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line += data.count(b"\n", 0, err.start)
        raise RecordError(
            f"{path}: line {line}: not UTF-8 (byte 0x{data[err.start]:02x}); fix or re-download the file"
        ) from None


def text_lines(path: str) -> Iterator[str]:
    """The lines of a text file (CSV), decoded one by one so bytes that are not UTF-8 stop the read
    with one line naming the file and the line (``open(encoding=...)`` names neither)."""
    with storage.open_url(path, "rb") as handle:
        for number, line in enumerate(handle, 1):
            yield _utf8(line, path, number)


def _read_csv(path: str) -> Iterator[dict[str, Any]]:
    yield from csv.DictReader(text_lines(path))


def _read_json(path: str) -> Iterator[dict[str, Any]]:
    text = _utf8(storage.read_bytes(path), path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        if text.lstrip().startswith("["):  # a JSON array that does not parse: no row can be trusted
            raise RecordError(f"{path}: not a valid JSON array ({err})") from err
        # Some upstream ".json" files are JSON lines; read them as such.
        yield from _read_jsonl(path)
        return
    if isinstance(data, list):
        yield from data
    elif isinstance(data, dict):
        yield data
    else:
        raise RecordError(f"{path}: expected a JSON array or object, got {type(data).__name__}")
