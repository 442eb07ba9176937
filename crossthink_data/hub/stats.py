"""Per-config statistics gathered while the shards are written, for the card's tables and charts.

Counting happens batch by batch with pyarrow compute so a config of millions of rows is never held
in memory twice: the exporter streams, the stats only keep counters.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

# Provenance is a JSON string with sorted keys (QARecord.to_dict): pull the license out without parsing.
_LICENSE_PATTERN = r'"license":\s*"(?P<license>[^"]*)"'
UNKNOWN = "(not recorded)"


@dataclass
class ConfigStats:
    """What the card says about one config: counts by category, source, template, license, and
    the answer-length distribution in words (the filter-H "at most 10 words" rule is about this)."""

    name: str
    templated: bool
    rows: int = 0
    num_bytes: int = 0  # in-memory Arrow size, what `datasets` reports as dataset_size
    download_size: int = 0  # parquet bytes on disk
    shards: list[str] = field(default_factory=list)
    categories: Counter = field(default_factory=Counter)
    domains: Counter = field(default_factory=Counter)
    sources: Counter = field(default_factory=Counter)
    templates: Counter = field(default_factory=Counter)  # (source, template) -> rows
    licenses: Counter = field(default_factory=Counter)  # (source, license) -> rows
    features: Any = None  # datasets.Features of the config, as load_dataset returns them

    def update(self, table: pa.Table) -> None:
        """Adds one batch (already conformed to the export schema)."""
        self.rows += table.num_rows
        self.num_bytes += table.nbytes
        self.categories.update(_counts(table["category"]))
        self.domains.update(_counts(table["domain"]))
        self.sources.update(_counts(table["source"]))
        if self.templated:
            template = table["template"]
        else:
            template = pa.array(["(record)"] * table.num_rows, pa.string())
        self.templates.update(_pair_counts(table["source"], template))
        licenses = pc.struct_field(pc.extract_regex(table["provenance"], _LICENSE_PATTERN), [0])
        licenses = pc.if_else(pc.equal(licenses, ""), pa.scalar(None, pa.string()), licenses)
        self.licenses.update(_pair_counts(table["source"], licenses.fill_null(UNKNOWN)))


def _counts(array) -> Counter:
    counts = pc.value_counts(array)
    return Counter(
        dict(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True))
    )


def _pair_counts(first, second) -> Counter:
    table = pa.table({"a": first, "b": second})
    grouped = table.group_by(["a", "b"]).aggregate([([], "count_all")])
    return Counter(
        {
            (a, b): n
            for a, b, n in zip(
                grouped["a"].to_pylist(),
                grouped["b"].to_pylist(),
                grouped["count_all"].to_pylist(),
                strict=True,
            )
        }
    )
