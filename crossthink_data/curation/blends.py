"""The paper's data blends, declared in YAML and sampled exactly, reproducibly and by question.

A blend counts **questions**, as the paper does (its Table 1 totals 588,645 questions): the rows of
one question (its T_MCQ and T_Open rows) share the record ``id``, and a question enters a blend at
most once. Which of its rows enters is the blend's ``form``:

- ``source`` (the default): the question's own form, T_MCQ for a question with options (MCQ
  sources such as MMLU train) and T_Open otherwise (Natural Reasoning, the math sources). The
  paper's "mixed MCQ + open-ended" template setting (55.66 in its template ablation, the natural
  blend of Table 4). A question whose own-form row was removed (dedup, decontamination) is left out.
- ``open`` / ``mcq``: every question in that template (``open``: the paper's all-open ablation,
  MCQ questions turned open-ended; a question without such a row, e.g. an option-dependent stem
  that filter H dropped, is left out).
- ``per_question``: the template is chosen per question so that the ratio over ``template`` holds
  (the paper's 2:1 MCQ:open and 2:1 open:MCQ blends); needs ``by: template``.

A blend also says which column its ratio is over (``domain``, ``template``, ``source``...), the
ratio (weights per value, or ``natural`` for the pool's own proportions), optional ``where`` row
filters, a total number of questions (``null``: the largest blend the pool allows without using a
question twice) and a seed. Counts per group are apportioned with the largest-remainder method, so
every group is within one question of its exact share and the counts add up to the total. Questions
are drawn without replacement unless the YAML sets ``upsample: true``. The pool is sorted by (id,
template) first, so the same seed gives the same blend whatever the file layout of the pool.

The paper blends ship in ``crossthink_data/curation/blends/*.yaml``; ``crossthink-data blend
CONFIG`` takes one of their names or a path to your own YAML.
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
from crossthink_data.licenses import is_non_commercial

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
    "all_open",
)
FORMS = ("source", "open", "mcq", "per_question")  # which row of a question enters (module doc)


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
    form: str = "source"

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
        if self.form not in FORMS:
            raise BlendError(f"blend {self.name}: form must be one of {list(FORMS)}, got {self.form!r}")
        if self.form == "per_question" and (self.by != "template" or self.upsample):
            raise BlendError(
                f"blend {self.name}: form per_question chooses each question's template, so it needs "
                f"by: template and no upsample (got by: {self.by}, upsample: {self.upsample})"
            )
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


def plan_counts(spec: BlendSpec, available: dict[str, int], questions: int | None = None) -> dict[str, int]:
    """Questions to draw per group: exact to the ratio, feasible without reuse unless ``upsample``.

    ``available``: the questions that can go to each group. When a question can go to either of two
    groups (``form: per_question``), ``questions`` is how many distinct questions there are in all,
    and the groups together cannot take more (with two groups, that and the per-group bounds are
    exactly the condition for giving every drawn question its own group)."""
    weights = _weights(spec, available)
    weight_sum = sum(weights.values())
    largest = min(math.floor(available[g] * weight_sum / w + 1e-9) for g, w in weights.items())
    if questions is not None:
        largest = min(largest, questions)

    def fits(counts: dict[str, int]) -> bool:
        over = any(c > available[g] for g, c in counts.items())
        return not over and (questions is None or sum(counts.values()) <= questions)

    while largest > 0 and not fits(apportion(largest, weights)):
        largest -= 1
    total = spec.total if spec.total is not None else largest
    if total < 1:
        raise BlendError(f"blend {spec.name}: the pool is too small for ratio {weights}")
    if total > largest and not spec.upsample:
        raise BlendError(
            f"blend {spec.name}: {total} questions at ratio {weights} would reuse questions "
            f"(pool per {spec.by}: {dict(sorted(available.items()))}); the most without reuse is "
            f"{largest}. Lower total, set total: null, or set upsample: true."
        )
    return apportion(total, weights)


def _weights(spec: BlendSpec, available: dict[str, int]) -> dict[str, float]:
    """The positive weight of every group the blend draws from (``natural``: the pool's counts;
    otherwise the ratio, ``default_weight`` for values it does not name)."""
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
    return weights


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
        if (adapter is not None and not adapter.commercial_use) or is_non_commercial(licenses.get(source)):
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
    """Row numbers of ``pool`` (already filtered by ``spec.where``) in blend order, one row per
    question (unless ``upsample``).

    Needs only the columns ``id``, ``template`` (when present), ``source``, ``spec.by`` and, for
    ``form: source``, ``options`` or its summary ``__mcq`` (whether the question has options), so a
    pool on disk is planned from those few columns (:func:`write_blend`). Rows are ordered by (id,
    template) first (a stable sort), so the same seed gives the same blend whatever the pool's file
    layout. ``licenses_from``: rows whose ``provenance`` names the license of a source without an
    adapter (see :func:`source_licenses`).
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
    rng = np.random.default_rng(spec.seed)
    if spec.form == "per_question":
        return rows[_per_question_draw(pool, rows, spec, rng)]
    rows = rows[_question_rows(pool, rows, spec.form)]
    positions = _group_positions(pool.column(spec.by).take(pa.array(rows)))
    counts = plan_counts(spec, {g: len(p) for g, p in positions.items()})
    chosen: list[np.ndarray] = []
    for group in sorted(counts):
        members = positions[group]
        repeats, rest = divmod(counts[group], len(members))
        chosen.append(np.tile(members, repeats))
        chosen.append(members[rng.permutation(len(members))[:rest]])
    picked = np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)
    return rows[picked[rng.permutation(len(picked))]]


def _column(pool: pa.Table, name: str, rows: np.ndarray) -> np.ndarray:
    return np.asarray(pool.column(name).take(pa.array(rows)).to_numpy(zero_copy_only=False))


def has_options(table: pa.Table) -> pa.Array:
    """Per row: whether its question has options (an MCQ question, whose own form is T_MCQ)."""
    options = table["options"]
    if pa.types.is_list(options.type) or pa.types.is_large_list(options.type):
        return pc.greater(pc.fill_null(pc.list_value_length(options), 0), 0)
    return pc.fill_null(pc.invert(pc.is_null(options)), False)


def _question_rows(pool: pa.Table, rows: np.ndarray, form: str) -> np.ndarray:
    """Positions in ``rows`` (sorted by id, template) of the one row per question that ``form``
    takes: its own template (``source``: T_MCQ for a question with options, else T_Open) or the
    named one; a question without that row is left out."""
    if "template" not in pool.column_names:
        kept = np.arange(len(rows))
    else:
        templates = _column(pool, "template", rows)
        if form != "source":
            wanted = np.full(len(rows), form, dtype=object)
        elif "__mcq" in pool.column_names or "options" in pool.column_names:
            mcq = pool["__mcq"] if "__mcq" in pool.column_names else has_options(pool)
            mcq = np.asarray(mcq.take(pa.array(rows)).to_numpy(zero_copy_only=False), dtype=bool)
            wanted = np.where(mcq, "mcq", "open")
        else:  # no options column: a question with a T_MCQ row is an MCQ question (mcq sorts first)
            ids = _column(pool, "id", rows)
            first = np.r_[True, ids[1:] != ids[:-1]]
            wanted = np.where(templates[np.flatnonzero(first)[np.cumsum(first) - 1]] == "mcq", "mcq", "open")
        kept = np.flatnonzero(templates == wanted)
    ids = _column(pool, "id", rows[kept])
    return kept[np.r_[True, ids[1:] != ids[:-1]]] if len(kept) else kept


def _per_question_draw(pool: pa.Table, rows: np.ndarray, spec: BlendSpec, rng) -> np.ndarray:
    """Positions in ``rows`` of a ``form: per_question`` blend: each question once, its template
    chosen so that the ratio over ``template`` is exact. A question with rows in both groups may
    go to either; the first group (sorted) draws uniformly from its candidates but leaves the
    second enough of the shared ones, then the second draws from what is left."""
    if spec.upsample:
        raise BlendError(f"blend {spec.name}: form per_question draws each question once (no upsample)")
    ids, templates = _column(pool, "id", rows), _column(pool, "template", rows)
    new = np.r_[True, ids[1:] != ids[:-1]] if len(ids) else np.zeros(0, dtype=bool)
    question = np.cumsum(new) - 1
    member = {}
    for group in sorted(set(templates.tolist())):
        member[group] = np.full(int(new.sum()), -1, dtype=np.int64)
        at = np.flatnonzero(templates == group)
        member[group][question[at]] = at
    available = {g: int((m >= 0).sum()) for g, m in member.items()}
    counts = plan_counts(spec, available, questions=int(new.sum()))
    groups = sorted(counts)
    if len(groups) > 2:
        raise BlendError(f"blend {spec.name}: form per_question takes two templates, got {groups}")
    free = np.ones(int(new.sum()), dtype=bool)
    picked = []
    for i, group in enumerate(groups):
        can = (member[group] >= 0) & free
        candidates = np.flatnonzero(can)[rng.permutation(int(can.sum()))]
        if i + 1 < len(groups):
            other = member[groups[i + 1]] >= 0
            shared = other[candidates]
            spare = int(other.sum()) - counts[groups[i + 1]]  # shared questions this group may take
            candidates = candidates[~shared | (np.cumsum(shared) <= spare)]
        taken = candidates[: counts[group]]
        free[taken] = False
        picked.append(member[group][taken])
    picked = np.concatenate(picked) if picked else np.zeros(0, dtype=np.int64)
    return picked[rng.permutation(len(picked))]


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
    picked = blend_positions(index, spec, commercial_only, samples)
    rows = index.column("__row").to_numpy()[picked]
    questions = question_counts(index.select(["id", "source"]).take(pa.array(picked)))
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
        "questions": sum(questions.values()),
        "questions_per_source": questions,
        "form": spec.form,
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


def question_counts(table: pa.Table) -> dict[str, int]:
    """Distinct questions (``id``) per ``source`` of a blend's rows, largest first: the blend's size
    as the paper counts it (a question drawn twice by ``upsample`` counts once)."""
    if not table.num_rows:
        return {}
    grouped = table.group_by("source").aggregate([("id", "count_distinct")])
    return _ordered(
        Counter(dict(zip(grouped["source"].to_pylist(), grouped["id_count_distinct"].to_pylist())))
    )


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
    their position in the whole pool; ``__mcq``: whether the question has options), and for sources without an adapter the ``provenance`` of their
    first 50 such rows (their license; read in a second pass, only when there is such a source)."""
    columns = list(dict.fromkeys(["id", "template", "source", spec.by, *spec.where, "options"]))
    columns = [c for c in columns if c in schema.names]
    parts, offset = [], 0
    for table in _pool_batches(files, schema, columns, rows=65_536):
        table = table.append_column("__row", pa.array(np.arange(offset, offset + len(table))))
        offset += len(table)
        table = _apply_where(table, spec.where, spec.name)
        if "options" in table.column_names:  # only whether there are options: the list stays on disk
            table = table.append_column("__mcq", has_options(table))
            table = table.drop_columns(["options"]) if "options" not in (spec.by, *spec.where) else table
        parts.append(table)
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
    "has_options",
    "non_commercial_sources",
    "plan_counts",
    "question_counts",
    "sample_blend",
    "source_licenses",
    "write_blend",
]
