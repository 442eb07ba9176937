"""Read upstream rows from local files (the ``from_dir`` code path of every adapter).

Plain streaming readers for the layouts the Hub repos use (jsonl, json arrays, csv with a header,
parquet). They yield each row unchanged as a dict, file by file in sorted order, so a local copy
gives the same rows as ``datasets.load_dataset`` on the Hub without a cache or a conversion step.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from crossthink_data.record import RecordError

SUFFIXES = (".jsonl", ".jsonl.gz", ".json", ".csv", ".parquet")


def find_files(from_dir: Path, patterns: Iterable[str]) -> list[Path]:
    """Files under ``from_dir`` matching any glob pattern, sorted, each once; clear error if none."""
    from_dir = Path(from_dir)
    if not from_dir.is_dir():
        raise FileNotFoundError(f"--from-dir {from_dir} is not a directory")
    patterns = list(patterns)
    found = sorted({p for pattern in patterns for p in from_dir.glob(pattern) if p.is_file()})
    if not found:
        raise FileNotFoundError(
            f"no input files in {from_dir} matching {', '.join(patterns)} (the upstream layout this source reads)"
        )
    return found


def read_rows(path: Path) -> Iterator[dict[str, Any]]:
    """Rows of one file, chosen by suffix: .jsonl[.gz], .json (array, object or json lines), .csv, .parquet."""
    path = Path(path)
    name = path.name.lower()
    if name.endswith(".jsonl") or name.endswith(".jsonl.gz"):
        yield from _read_jsonl(path)
    elif name.endswith(".json"):
        yield from _read_json(path)
    elif name.endswith(".csv"):
        with path.open(newline="", encoding="utf-8") as handle:
            yield from csv.DictReader(handle)
    elif name.endswith(".parquet"):
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):
            yield from batch.to_pylist()
    else:
        raise ValueError(f"cannot read {path}: supported suffixes are {', '.join(SUFFIXES)}")


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as err:
                raise RecordError(f"{path}:{line_number}: not valid JSON ({err})") from err


def _read_json(path: Path) -> Iterator[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        # Some upstream ".json" files are JSON lines; read them as such.
        yield from _read_jsonl(path)
        return
    if isinstance(data, list):
        yield from data
    elif isinstance(data, dict):
        yield data
    else:
        raise RecordError(f"{path}: expected a JSON array or object, got {type(data).__name__}")
