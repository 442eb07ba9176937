"""The paper's data blends, declared in YAML and sampled exactly, reproducibly and without reuse.

A blend says which column its ratio is over (``domain``, ``template``, ``source``, ``kind``...),
the ratio (weights per value, or ``natural`` for the pool's own proportions), optional ``where``
filters, a total size (``null``: the largest blend the pool allows without reusing a row) and a
seed. Counts per group are apportioned with the largest-remainder method, so every group is
within one row of its exact share and the counts add up to the total. Rows are drawn without
replacement unless the YAML sets ``upsample: true``. The pool is sorted by (id, template) first,
so the same seed gives the same blend whatever the file layout of the pool.

The eight paper blends ship in ``crossthink_data/curation/blends/*.yaml``; ``crossthink-data
blend CONFIG`` takes one of their names or a path to your own YAML.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crossthink_data import storage
from crossthink_data.config import ConfigError, check_keys, field_names, load_yaml

BLENDS_DIR = Path(__file__).resolve().parent / "blends"
PAPER_BLENDS = (
    "natural",
    "math_2to1",
    "crossthink",
    "mcq_2to1",
    "open_2to1",
    "score_weighted",
    "math_only",
    "general_only",
)


class BlendError(ValueError):
    """A blend that cannot be built as declared; the message says what to change."""


@dataclass
class BlendSpec:
    """One blend as declared in YAML (see the module doc for the fields)."""

    name: str
    by: str
    ratio: dict[str, float] | str
    pretty_name: str = ""
    description: str = ""
    where: dict[str, Any] = field(default_factory=dict)
    total: int | None = None
    seed: int = 0
    upsample: bool = False
    paper: str = ""
    default_weight: float | None = None
    missing: str = "error"

    def __post_init__(self) -> None:
        if not self.name or not str(self.name).replace("_", "").replace("-", "").isalnum():
            raise BlendError(f"blend name {self.name!r} must be letters, digits, '_' or '-'")
        if isinstance(self.ratio, str):
            if self.ratio != "natural":
                raise BlendError(
                    f"blend {self.name}: ratio must be a mapping or 'natural', got {self.ratio!r}"
                )
        else:
            if not isinstance(self.ratio, dict) or (not self.ratio and self.default_weight is None):
                raise BlendError(f"blend {self.name}: ratio must be a non-empty mapping value -> weight")
            bad = {k: v for k, v in self.ratio.items() if not isinstance(v, (int, float)) or v < 0}
            if bad or not (any(v > 0 for v in self.ratio.values()) or (self.default_weight or 0) > 0):
                raise BlendError(
                    f"blend {self.name}: weights must be non-negative numbers, some positive: {bad}"
                )
            self.ratio = {str(k): float(v) for k, v in self.ratio.items()}
        if self.missing not in ("error", "skip"):
            raise BlendError(f"blend {self.name}: missing must be 'error' or 'skip', got {self.missing!r}")
        if self.total is not None and (not isinstance(self.total, int) or self.total < 1):
            raise BlendError(
                f"blend {self.name}: total must be a positive integer or null, got {self.total!r}"
            )

    @classmethod
    def load(cls, name_or_path: str | Path) -> BlendSpec:
        """A paper blend by name (``crossthink``) or a YAML file."""
        path = Path(name_or_path)
        if not path.suffix and not path.exists():
            path = BLENDS_DIR / f"{name_or_path}.yaml"
        if not path.exists():
            known = ", ".join(PAPER_BLENDS)
            raise BlendError(f"no blend {name_or_path!r}: give a YAML path or one of {known}")
        try:
            data = load_yaml(path)
            check_keys(data, field_names(cls), str(path))
        except ConfigError as err:
            raise BlendError(str(err)) from None
        missing = [k for k in ("name", "by", "ratio") if k not in data]
        if missing:
            raise BlendError(f"{path}: missing key(s) {missing}")
        return cls(**data)


def apportion(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Largest-remainder split of ``total``: each count within one of its exact share, sum exact."""
    weight_sum = sum(weights.values())
    quotas = {g: total * w / weight_sum for g, w in weights.items()}
    counts = {g: math.floor(q) for g, q in quotas.items()}
    left = total - sum(counts.values())
    for g in sorted(quotas, key=lambda g: (-(quotas[g] - counts[g]), g))[:left]:
        counts[g] += 1
    return counts


def plan_counts(spec: BlendSpec, available: dict[str, int]) -> dict[str, int]:
    """Rows to draw per group: exact to the ratio, feasible without reuse unless ``upsample``."""
    if spec.ratio == "natural":
        weights = {g: float(n) for g, n in available.items()}
    else:
        weights = {g: spec.default_weight for g in available if spec.default_weight} | dict(spec.ratio)
        if spec.missing == "skip":
            weights = {g: w for g, w in weights.items() if available.get(g, 0) > 0}
    weights = {g: float(w) for g, w in weights.items() if w > 0}
    if not weights:
        raise BlendError(f"blend {spec.name}: the pool has no rows for its ratio over {spec.by!r}")
    empty = sorted(g for g in weights if available.get(g, 0) == 0)
    if empty:
        raise BlendError(
            f"blend {spec.name}: the pool has no rows with {spec.by} in {empty} "
            f"(pool has {dict(sorted(available.items()))})"
        )
    weight_sum = sum(weights.values())
    largest = min(math.floor(available[g] * weight_sum / w + 1e-9) for g, w in weights.items())
    while largest > 0 and any(c > available[g] for g, c in apportion(largest, weights).items()):
        largest -= 1
    total = spec.total if spec.total is not None else largest
    if total < 1:
        raise BlendError(f"blend {spec.name}: the pool is too small for ratio {weights}")
    if total > largest and not spec.upsample:
        raise BlendError(
            f"blend {spec.name}: {total} rows at ratio {weights} would reuse rows "
            f"(pool per {spec.by}: {dict(sorted(available.items()))}); the most without reuse is "
            f"{largest}. Lower total, set total: null, or set upsample: true."
        )
    return apportion(total, weights)


def _apply_where(table: pa.Table, where: dict[str, Any], blend: str) -> pa.Table:
    for column, wanted in where.items():
        if column not in table.column_names:
            raise BlendError(
                f"blend {blend}: where-column {column!r} is not in the pool {table.column_names}"
            )
        values = wanted if isinstance(wanted, list) else [wanted]
        table = table.filter(pc.is_in(table[column], value_set=pa.array([str(v) for v in values])))
    return table


def non_commercial_sources(sources: list[str], table: pa.Table | None = None) -> list[str]:
    """Sources whose license forbids commercial use (adapter flag, or an NC license in provenance)."""
    licenses = source_licenses(sources, table)
    flagged = []
    for source in sources:
        adapter = _adapter(source)
        if (adapter is not None and not adapter.commercial_use) or "-nc" in licenses.get(source, "").lower():
            flagged.append(source)
    return sorted(flagged)


def source_licenses(sources: list[str], table: pa.Table | None = None) -> dict[str, str]:
    """License id per source: the adapter's, else the ``license`` in the rows' provenance."""
    import json

    licenses: dict[str, str] = {}
    for source in sources:
        adapter = _adapter(source)
        if adapter is not None and getattr(adapter, "license", None):
            licenses[source] = adapter.license
    if table is not None and "provenance" in table.column_names:
        for source in sorted(set(sources) - set(licenses)):
            rows = table.filter(pc.equal(table["source"], source)).column("provenance").to_pylist()
            for raw in rows[:50]:
                try:
                    license_id = (json.loads(raw) if isinstance(raw, str) else raw or {}).get("license")
                except (ValueError, AttributeError):
                    license_id = None
                if license_id:
                    licenses[source] = str(license_id)
                    break
    for source in sources:
        licenses.setdefault(source, "unknown")
    return licenses


def _adapter(source: str):
    try:
        from crossthink_data.sources import SOURCES
    except ImportError:  # pragma: no cover - sources package missing
        return None
    return SOURCES.get(source)


def sample_blend(pool: pa.Table, spec: BlendSpec, commercial_only: bool = False) -> pa.Table:
    """The blend's rows: filtered, grouped by ``spec.by``, drawn per :func:`plan_counts`, shuffled."""
    _check_columns(pool.column_names, spec)
    pool = _apply_where(pool, spec.where, spec.name)
    return pool.take(pa.array(blend_positions(pool, spec, commercial_only, pool)))


def _check_columns(columns: list[str], spec: BlendSpec) -> None:
    if spec.by not in columns:
        raise BlendError(f"blend {spec.name}: ratio column {spec.by!r} is not in the pool {columns}")
    for column in spec.where:
        if column not in columns:
            raise BlendError(f"blend {spec.name}: where-column {column!r} is not in the pool {columns}")


def blend_positions(
    pool: pa.Table, spec: BlendSpec, commercial_only: bool = False, licenses_from: pa.Table | None = None
) -> np.ndarray:
    """Row numbers of ``pool`` (already filtered by ``spec.where``) in blend order.

    Needs only the columns ``id``, ``template`` (when present), ``source`` and ``spec.by``, so a
    pool on disk is planned from those few columns (:func:`write_blend`). Rows are ordered by
    (id, template) first (a stable sort), so the same seed gives the same blend whatever the pool's
    file layout. ``licenses_from``: rows whose ``provenance`` names the license of a source without
    an adapter (see :func:`source_licenses`).
    """
    rows = np.arange(pool.num_rows, dtype=np.int64)
    if commercial_only:
        excluded = non_commercial_sources(sorted(set(pc.unique(pool["source"]).to_pylist())), licenses_from)
        if excluded:
            keep = pc.invert(pc.is_in(pool["source"], value_set=pa.array(excluded)))
            rows = rows[np.asarray(keep.to_numpy(zero_copy_only=False), dtype=bool)]
    keys = ["id"] + (["template"] if "template" in pool.column_names else [])
    sortable = pool.select(keys) if len(rows) == pool.num_rows else pool.select(keys).take(pa.array(rows))
    order = pc.sort_indices(sortable, [(k, "ascending") for k in keys])
    del sortable
    rows = rows[order.to_numpy()]
    positions = _group_positions(pool.column(spec.by).take(pa.array(rows)))
    counts = plan_counts(spec, {g: len(p) for g, p in positions.items()})
    rng = np.random.default_rng(spec.seed)
    chosen: list[np.ndarray] = []
    for group in sorted(counts):
        members = positions[group]
        want = counts[group]
        repeats, rest = divmod(want, len(members))
        chosen.append(np.tile(members, repeats))
        chosen.append(members[rng.permutation(len(members))[:rest]])
    picked = np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)
    order = rng.permutation(len(picked))
    return rows[picked[order]]


def _group_positions(column: pa.ChunkedArray) -> dict[str, np.ndarray]:
    """Positions of each value (as ``str``, None as "None") of ``column``, each in increasing order."""
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        encoded = pc.dictionary_encode(column.fill_null("None")).combine_chunks()
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(encoded.dictionary) + 1))
        return {
            value: order[bounds[i] : bounds[i + 1]]
            for i, value in enumerate(encoded.dictionary.to_pylist())
            if bounds[i + 1] > bounds[i]
        }
    positions: dict[str, list[int]] = {}
    for i, g in enumerate(column.to_pylist()):
        positions.setdefault(str(g), []).append(i)
    return {g: np.asarray(p, dtype=np.int64) for g, p in positions.items()}


# ---------------------------------------------------------------- cards and export


def composition(table: pa.Table, columns: tuple[str, ...] = ("source", "domain", "template")) -> dict:
    """Row counts per value of each column (the card's composition table and chart)."""
    return {c: _ordered(Counter(table.column(c).to_pylist())) for c in columns if c in table.column_names}


BLEND_WINDOW = 10_000  # output rows held in memory at once while a blend is written


def write_blend(
    pool_dir: str, spec: BlendSpec, stage_dir: str, commercial_only: bool = False, window: int = BLEND_WINDOW
) -> dict:
    """Samples ``spec`` from the row files under ``pool_dir`` into ``stage_dir/data/blend.parquet``
    with ``report.json`` (rows, composition, the spec): the build's blend stage, exported later as
    configs of the one repo. The same rows in the same order as :func:`sample_blend` on the whole
    pool, but the pool is never loaded: the draw is planned from a few columns
    (:func:`blend_positions`), then one pass over the pool routes each drawn row to the window of
    ``window`` output positions it falls in (parquet files in a local scratch folder), and the
    windows are written in order: memory holds the plan and one window, whatever the pool's size."""
    import shutil

    import pyarrow.parquet as pq

    from crossthink_data.rows import row_files

    files = row_files(pool_dir)
    schema = pa.unify_schemas([_parquet_schema(f) for f in files])
    _check_columns(schema.names, spec)
    index, samples = _blend_index(files, schema, spec)
    rows = index.column("__row").to_numpy()[blend_positions(index, spec, commercial_only, samples)]
    del index
    scratch = storage.local_scratch(stage_dir, "windows")
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    try:
        windows = _route_to_windows(files, schema, rows, window, scratch)
        counts = {c: Counter() for c in ("source", "domain", "template") if c in schema.names}
        licenses: dict[str, list] = {}
        target = storage.join(stage_dir, "data", "blend.parquet")
        with storage.open_url(target, "wb") as handle, pq.ParquetWriter(handle, schema) as writer:
            for path in windows:
                with pa.ipc.open_stream(path) as stream:
                    table = stream.read_all()
                table = table.take(pc.sort_indices(table["__pos"])).drop_columns(["__pos"])
                writer.write_table(table)
                for column, counter in counts.items():
                    counter.update(_value_counts(table[column]))
                _license_samples(table, licenses)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    sources = sorted(counts["source"])
    report = {
        "rows": len(rows),
        "by": spec.by,
        "ratio": spec.ratio,
        "total": spec.total,
        "seed": spec.seed,
        "paper": spec.paper,
        "counts": {c: _ordered(counter) for c, counter in counts.items()},
        "non_commercial_sources": non_commercial_sources(sources, _samples_table(licenses)),
    }
    _write_report(stage_dir, report)
    return report


def _write_report(stage_dir: str, report: dict) -> None:
    """Written last: a blend stage with a report is finished (the build's resume test kills here)."""
    import json

    storage.write_text(storage.join(stage_dir, "report.json"), json.dumps(report, indent=2, default=str))


def _parquet_schema(path: str) -> pa.Schema:
    import pyarrow.parquet as pq

    with storage.open_url(path) as handle:
        schema = pq.read_schema(handle)
    return pa.schema([f for f in schema if f.name != "__index_level_0__"])


def _pool_batches(files: list[str], schema: pa.Schema, columns: list[str] | None = None, rows: int = 4096):
    """The pool's rows batch by batch, conformed to ``schema`` (a file lacking a column gets nulls,
    as ``concat_tables(promote_options="default")`` does), restricted to ``columns``."""

    wanted = columns or schema.names
    for path in files:
        with storage.open_url(path) as handle:
            parquet = storage.parquet_file(handle)
            present = [c for c in wanted if c in parquet.schema_arrow.names]
            for batch in parquet.iter_batches(batch_size=rows, columns=present, use_threads=False):
                table = pa.Table.from_batches([batch])
                for name in wanted:
                    if name not in table.column_names:
                        table = table.append_column(name, pa.nulls(len(table), schema.field(name).type))
                yield table.select(wanted).cast(pa.schema([schema.field(c) for c in wanted]))


def _blend_index(files: list[str], schema: pa.Schema, spec: BlendSpec) -> tuple[pa.Table, pa.Table]:
    """The columns :func:`blend_positions` needs, for the rows the ``where`` filter keeps (``__row``:
    their position in the whole pool), and for sources without an adapter the ``provenance`` of their
    first 50 such rows (their license; read in a second pass, only when there is such a source)."""
    columns = list(dict.fromkeys(["id", "template", "source", spec.by, *spec.where]))
    columns = [c for c in columns if c in schema.names]
    parts, offset = [], 0
    for table in _pool_batches(files, schema, columns, rows=65_536):
        table = table.append_column("__row", pa.array(np.arange(offset, offset + len(table))))
        offset += len(table)
        parts.append(_apply_where(table, spec.where, spec.name))
    index = pa.concat_tables(parts)
    del parts
    licenses: dict[str, list] = {}
    if "provenance" in schema.names and any(
        _adapter_license(s) is None for s in pc.unique(index["source"]).to_pylist()
    ):
        wanted = list(dict.fromkeys(["source", "provenance", *spec.where]))
        for table in _pool_batches(files, schema, wanted, rows=65_536):
            _license_samples(_apply_where(table, spec.where, spec.name), licenses)
    return index, _samples_table(licenses)


def _adapter_license(source: str) -> str | None:
    adapter = _adapter(source)
    return getattr(adapter, "license", None) if adapter is not None else None


def _license_samples(table: pa.Table, samples: dict[str, list]) -> None:
    """Adds the ``provenance`` of up to 50 rows per source without an adapter license, in row order
    (what :func:`source_licenses` reads for them)."""
    if "provenance" not in table.column_names:
        return
    for source in pc.unique(table["source"]).to_pylist():
        kept = samples.setdefault(source, [])
        if _adapter_license(source) or len(kept) >= 50:
            continue
        rows = table.filter(pc.equal(table["source"], source)).column("provenance")
        kept += rows.slice(0, 50 - len(kept)).to_pylist()


def _samples_table(samples: dict[str, list]) -> pa.Table:
    pairs = [(s, p) for s, values in samples.items() for p in values]
    return pa.table({"source": [s for s, _ in pairs], "provenance": [p for _, p in pairs]})


def _route_to_windows(
    files: list[str], schema: pa.Schema, rows: np.ndarray, window: int, scratch: str
) -> list[str]:
    """One pass over the pool: output position ``p`` takes pool row ``rows[p]``; each drawn row is
    appended (with ``__pos``) to the Arrow stream file of its window ``p // window``. Streams, not
    parquet: a parquet writer keeps every row group's metadata until it closes, and every pool batch
    adds a row group to every window. Returns the window files."""
    by_row = np.argsort(rows, kind="stable")
    sorted_rows = rows[by_row]
    paths = [os.path.join(scratch, f"{w:05d}.arrows") for w in range((len(rows) + window - 1) // window)]
    routed = schema.append(pa.field("__pos", pa.int64()))
    options = pa.ipc.IpcWriteOptions(compression="lz4")
    writers: dict[int, pa.ipc.RecordBatchStreamWriter] = {}
    offset = 0
    try:
        for table in _pool_batches(files, schema):
            lo, hi = np.searchsorted(sorted_rows, [offset, offset + len(table)])
            positions = by_row[lo:hi]
            taken = table.take(pa.array(sorted_rows[lo:hi] - offset))
            offset += len(table)
            if not len(positions):
                continue
            taken = taken.append_column("__pos", pa.array(positions))
            windows = positions // window
            order = np.argsort(windows, kind="stable")
            bounds = np.flatnonzero(np.diff(windows[order])) + 1
            for part in np.split(order, bounds):
                w = int(windows[part[0]])
                if w not in writers:
                    writers[w] = pa.ipc.new_stream(paths[w], routed, options=options)
                writers[w].write_table(taken.take(pa.array(part)))
    finally:
        for writer in writers.values():
            writer.close()
    return paths


def _value_counts(array) -> Counter:
    counts = pc.value_counts(array)
    return Counter(dict(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist())))


def _ordered(counter: Counter) -> dict:
    """Counts by decreasing size, then value (the order of the card's composition tables)."""
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0]))))


__all__ = [
    "BLENDS_DIR",
    "PAPER_BLENDS",
    "BlendError",
    "BlendSpec",
    "apportion",
    "blend_positions",
    "composition",
    "non_commercial_sources",
    "plan_counts",
    "sample_blend",
    "source_licenses",
    "write_blend",
]
