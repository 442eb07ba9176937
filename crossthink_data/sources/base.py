"""What every source adapter is: where upstream rows come from, and how one row becomes a QARecord.

An adapter knows one upstream dataset: its Hub id/config/split, license, citation, the file layout
of a local copy, and the mapping of one upstream row to a :class:`~crossthink_data.record.QARecord`.
Reading (Hub or local files) is separate from mapping so the pipeline can count, reject and resume
per row, and so tests can feed real rows straight into :meth:`SourceAdapter.to_record`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from functools import partial
from typing import Any, ClassVar

from crossthink_data.options import option_label
from crossthink_data.record import QARecord, RecordError

from .readers import MalformedRow, find_files, read_rows
from .shards import Part, count_rows, dataset_part, file_part, parquet_part, shard_rows


class SourceAdapter(ABC):
    """One upstream QA dataset. Subclasses set the class attributes and implement :meth:`to_record`."""

    name: ClassVar[str]  # QARecord.source of its records, e.g. "mmlu_train"
    hub_id: ClassVar[str | None] = None  # e.g. "cais/mmlu"; None: local files only
    hub_config: ClassVar[str | None] = None
    hub_configs: ClassVar[tuple[str, ...]] = ()  # several configs read one after the other (MATH)
    hub_split: ClassVar[str] = "train"
    hub_data_files: ClassVar[str | None] = None  # load one file of a multi-file repo (NVIDIA)
    local_patterns: ClassVar[tuple[str, ...]] = ("**/*.jsonl", "**/*.json", "**/*.parquet")
    license: ClassVar[str]  # Hub license id
    commercial_use: ClassVar[bool] = True
    citation: ClassVar[str] = ""
    description: ClassVar[str] = ""
    domain: ClassVar[str]  # "gpr" or "math"

    # ---- reading ---------------------------------------------------------------------------------
    def rows(
        self, from_dir: str | None = None, limit: int | None = None, rank: int = 0, world_size: int = 1
    ) -> Iterator[dict[str, Any]]:
        """Upstream rows, unchanged: from the Hub with ``datasets.load_dataset`` by default, or from
        files in the upstream layout (``local_patterns`` under ``from_dir``, any storage URL). With
        ``world_size`` > 1, only task ``rank``'s contiguous block of them (see :mod:`.shards`). A line
        of a file that cannot be read comes as a :class:`~.readers.MalformedRow` in its place."""
        return (row for _, row in self.indexed_rows(from_dir, limit, rank, world_size))

    def indexed_rows(
        self,
        from_dir: str | None = None,
        limit: int | None = None,
        rank: int = 0,
        world_size: int = 1,
        counts: list[int] | None = None,
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        """``(position in the whole source, row)`` for the rows of task ``rank`` of ``world_size``;
        ``counts`` (from :meth:`row_counts`) spares each task counting the source itself."""
        return shard_rows(self._parts(from_dir), rank, world_size, limit, counts)

    def row_counts(self, from_dir: str | None = None, limit: int | None = None) -> list[int]:
        """Rows of each file (or Hub dataset) of the source, cut to ``limit``: count once, give to every task."""
        return count_rows(self._parts(from_dir), limit)

    def _parts(self, from_dir: str | None) -> list[Part]:
        return self._local_parts(str(from_dir)) if from_dir is not None else self._hub_parts()

    def _hub_parts(self) -> list[Part]:
        if self.hub_id is None:
            raise ValueError(
                f"source {self.name!r} has no Hub dataset; pass from_dir (--from-dir) with local files"
            )
        from datasets import load_dataset

        if self.hub_data_files is not None:
            data_files = {self.hub_split: self.hub_data_files}
            return [
                dataset_part(partial(load_dataset, self.hub_id, data_files=data_files, split=self.hub_split))
            ]
        return [
            dataset_part(partial(load_dataset, self.hub_id, config, split=self.hub_split))
            for config in self.hub_configs or (self.hub_config,)
        ]

    def _local_parts(self, from_dir: str) -> list[Part]:
        # Parquet in the upstream schema is counted from its footer; anything an adapter reads its
        # own way (read_local_file overridden) is counted and skipped through that reader.
        plain = type(self).read_local_file is SourceAdapter.read_local_file
        return [
            parquet_part(path)
            if plain and path.endswith(".parquet")
            else file_part(self.read_local_file, path)
            for path in find_files(from_dir, self.local_patterns)
        ]

    def read_local_file(self, path: str) -> Iterator[dict[str, Any]]:
        """Rows of one file, given by URL (override where the file layout differs from the Hub schema)."""
        return read_rows(path)

    # ---- mapping ---------------------------------------------------------------------------------
    @abstractmethod
    def to_record(self, row: dict[str, Any]) -> QARecord:
        """One upstream row as a QARecord; raises RecordError naming the problem."""

    def records(
        self, from_dir: str | None = None, limit: int | None = None, rank: int = 0, world_size: int = 1
    ) -> Iterator[QARecord | RecordError]:
        """Records of :meth:`rows`; a bad row yields its RecordError (with ``.row`` set) instead, so
        the caller can count and write rejects without stopping."""
        return (item for _, item in self.indexed_records(from_dir, limit, rank, world_size))

    def indexed_records(
        self,
        from_dir: str | None = None,
        limit: int | None = None,
        rank: int = 0,
        world_size: int = 1,
        counts: list[int] | None = None,
    ) -> Iterator[tuple[int, QARecord | RecordError]]:
        """``(position in the whole source, record or error)`` for task ``rank``'s rows: only they are
        mapped. A row the reader could not read comes as its :class:`~.readers.MalformedRow`."""
        for index, row in self.indexed_rows(from_dir, limit, rank, world_size, counts):
            if isinstance(row, MalformedRow):
                row.reason = str(row)  # type: ignore[attr-defined]
                yield index, row
                continue
            try:
                record = self.to_record(row)
            except RecordError as err:
                error = RecordError(f"{self.name} row {index}: {err}")
                error.row = row  # type: ignore[attr-defined]
                error.reason = str(err)  # type: ignore[attr-defined]
                yield index, error
                continue
            record.provenance.setdefault("row_index", index)
            yield index, record

    # ---- helpers for subclasses ------------------------------------------------------------------
    def provenance(self, **extra: Any) -> dict[str, Any]:
        """Provenance common to every record of this source, plus row-specific fields."""
        base: dict[str, Any] = {"dataset": self.hub_id or self.name, "license": self.license}
        base.update({k: v for k, v in extra.items() if v is not None})
        return base

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} ({self.hub_id or 'local files'})>"


def scalar_text(value: Any, field: str) -> str:
    """A string or a number as stripped text; RecordError for anything else (a list, a mapping, a
    boolean): ``str()`` of a list would turn ``["540"]`` into the gold ``['540']``."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        raise RecordError(f"{field!r} must be a string or a number, got {type(value).__name__} {shown}")
    return str(value).strip()


def required_text(row: dict[str, Any], field: str) -> str:
    """``row[field]`` (a string or a number) as a stripped non-empty string, or RecordError naming
    the field."""
    value = row.get(field)
    if value is None:
        raise RecordError(f"missing {field!r}")
    value = scalar_text(value, field)
    if not value:
        raise RecordError(f"empty {field!r}")
    return value


def gold_from_index(answer: Any, n_options: int) -> str:
    """Option label of a 0-based gold index, or RecordError when it is not an index of an option."""
    if isinstance(answer, bool) or answer is None:
        raise RecordError(f"gold answer must be an option index, got {answer!r}")
    try:
        index = int(answer)
    except (TypeError, ValueError) as err:
        raise RecordError(f"gold answer must be an option index, got {answer!r}") from err
    if index != answer and str(index) != str(answer).strip():
        raise RecordError(f"gold answer must be an option index, got {answer!r}")
    if not 0 <= index < n_options:
        raise RecordError(f"gold index {index} out of range for {n_options} options")
    return option_label(index)
