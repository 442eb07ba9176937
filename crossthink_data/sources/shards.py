"""Which upstream rows one task reads: the rank/world-size contract of datatrove's readers.

A source's upstream rows come in *parts*, read one after the other: the local files (sorted) or
the Hub datasets (one per config). Together they form one sequence of global row positions
``0..n-1``. Task ``rank`` of ``world_size`` reads the contiguous block :func:`rank_range` of that
sequence (the split ``datasets``' ``shard(contiguous=True)`` makes), so

* the adapter maps only the task's own rows: more tasks make the mapping faster;
* every row keeps its global position (its ``row_index`` provenance and reject id), so the rows
  written by N tasks are exactly the rows written by one task, and the task files read in rank
  order are in the same order as the single task's file;
* a rerun of a task reads exactly the same rows (resume stays exact).

To find its block a task needs the rows of every part: :func:`count_rows` counts them (parquet
from the footers; other parts by reading their rows without mapping them, a small fraction of
what the mapping and later steps cost). The pipeline counts once and hands the counts to every
task and config; a task given none counts itself. Parquet blocks are read by row groups. With one
task nothing is counted: rows stream straight through.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from crossthink_data import storage

Row = dict[str, Any]


@dataclass(frozen=True)
class Part:
    """One part of a source's upstream rows: how many rows it has, and its rows ``[start, stop)``.

    Both are callables so that nothing is opened or loaded before it is needed.
    """

    count: Callable[[], int]
    read: Callable[[int, int | None], Iterable[Row]]


def rank_range(total: int, rank: int, world_size: int) -> range:
    """The contiguous block of ``range(total)`` task ``rank`` reads; blocks differ by at most one row.

    The same split as ``datasets.Dataset.shard(num_shards=world_size, index=rank, contiguous=True)``.
    """
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f"rank {rank} is not a task of world_size {world_size}")
    size, extra = divmod(total, world_size)
    start = size * rank + min(rank, extra)
    return range(start, start + size + (1 if rank < extra else 0))


def shard_rows(
    parts: Sequence[Part],
    rank: int = 0,
    world_size: int = 1,
    limit: int | None = None,
    counts: Sequence[int] | None = None,
) -> Iterator[tuple[int, Row]]:
    """``(global position, row)`` for the rows of task ``rank``, in order; ``limit`` caps the whole source.

    ``counts``: :func:`count_rows` of these parts and limit when the caller already has them.
    """
    if world_size == 1:
        rows = itertools.chain.from_iterable(part.read(0, None) for part in parts)
        yield from enumerate(itertools.islice(rows, limit) if limit is not None else rows)
        return
    if counts is None:
        counts = count_rows(parts, limit)
    elif len(counts) > len(parts):
        raise ValueError(
            f"{len(counts)} row counts for {len(parts)} parts: the source changed since it was counted"
        )
    wanted = rank_range(sum(counts), rank, world_size)
    offset = 0
    for part, count in zip(parts, counts, strict=False):
        start, stop = max(wanted.start - offset, 0), min(wanted.stop - offset, count)
        if start < stop:
            yield from zip(itertools.count(offset + start), part.read(start, stop), strict=False)
        offset += count
        if offset >= wanted.stop:
            return


def count_rows(parts: Sequence[Part], limit: int | None = None) -> list[int]:
    """Rows of each part, the last ones cut to ``limit`` (parts past the limit are not counted)."""
    counts: list[int] = []
    left = limit
    for part in parts:
        if left is not None and left <= 0:
            break
        count = part.count()
        if left is not None:
            count = min(count, left)
            left -= count
        counts.append(count)
    return counts


# ---- parts ---------------------------------------------------------------------------------------
def file_part(read_file: Callable[[str], Iterable[Row]], path: str) -> Part:
    """A local file read by ``read_file``: counted by reading, its block taken by skipping rows."""
    return Part(
        count=lambda: sum(1 for _ in read_file(path)),
        read=lambda start, stop: itertools.islice(read_file(path), start, stop),
    )


def parquet_part(path: str) -> Part:
    """A parquet file: counted from its footer; row groups outside the block are never read."""
    return Part(
        count=lambda: _parquet_rows_count(path), read=lambda start, stop: _parquet_rows(path, start, stop)
    )


def _parquet_rows_count(path: str) -> int:
    import pyarrow.parquet as pq

    with storage.open_url(path) as handle:
        return pq.ParquetFile(handle).metadata.num_rows


def _parquet_rows(path: str, start: int, stop: int | None, batch_size: int = 1024) -> Iterator[Row]:
    import pyarrow.parquet as pq

    with storage.open_url(path) as handle:
        parquet = pq.ParquetFile(handle)
        stop = parquet.metadata.num_rows if stop is None else stop
        first = 0  # global position of the current row group's first row
        for group in range(parquet.metadata.num_row_groups):
            rows = parquet.metadata.row_group(group).num_rows
            if first >= stop:
                return
            if first + rows > start:
                table = parquet.read_row_group(group)
                lo, hi = max(start - first, 0), min(stop - first, rows)
                for batch in table.slice(lo, hi - lo).to_batches(max_chunksize=batch_size):
                    yield from batch.to_pylist()
            first += rows


def dataset_part(load: Callable[[], Any]) -> Part:
    """A Hub dataset (``load`` calls ``datasets.load_dataset``, once): its block is a ``select``."""
    load = functools.cache(load)

    def read(start: int, stop: int | None) -> Iterable[Row]:
        dataset = load()
        if start == 0 and stop is None:
            return dataset
        return dataset.select(range(start, len(dataset) if stop is None else stop))

    return Part(count=lambda: len(load()), read=read)
