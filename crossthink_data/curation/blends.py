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
    if spec.by not in pool.column_names:
        raise BlendError(
            f"blend {spec.name}: ratio column {spec.by!r} is not in the pool {pool.column_names}"
        )
    pool = _apply_where(pool, spec.where, spec.name)
    if commercial_only:
        excluded = non_commercial_sources(sorted(set(pool.column("source").to_pylist())), pool)
        if excluded:
            pool = pool.filter(pc.invert(pc.is_in(pool["source"], value_set=pa.array(excluded))))
    sort_keys = [("id", "ascending")] + (
        [("template", "ascending")] if "template" in pool.column_names else []
    )
    pool = pool.sort_by(sort_keys)
    groups = pool.column(spec.by).to_pylist()
    available = Counter(str(g) for g in groups)
    counts = plan_counts(spec, dict(available))
    rng = np.random.default_rng(spec.seed)
    positions: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        positions.setdefault(str(g), []).append(i)
    chosen: list[int] = []
    for group in sorted(counts):
        members = np.asarray(positions[group])
        want = counts[group]
        repeats, rest = divmod(want, len(members))
        chosen.extend(np.tile(members, repeats).tolist())
        chosen.extend(members[rng.permutation(len(members))[:rest]].tolist())
    order = rng.permutation(len(chosen))
    return pool.take(pa.array(np.asarray(chosen, dtype=np.int64)[order]))


# ---------------------------------------------------------------- cards and export


def composition(table: pa.Table, columns: tuple[str, ...] = ("source", "domain", "template")) -> dict:
    """Row counts per value of each column (the card's composition table and chart)."""
    return {
        c: dict(sorted(Counter(table.column(c).to_pylist()).items(), key=lambda kv: (-kv[1], str(kv[0]))))
        for c in columns
        if c in table.column_names
    }


def composition_markdown(counts: dict, total: int) -> str:
    lines = []
    for column, values in counts.items():
        lines += [f"| {column} | rows | share |", "|---|---:|---:|"]
        lines += [f"| {v} | {n:,} | {n / total:.1%} |" for v, n in values.items()]
        lines.append("")
    return "\n".join(lines)


def composition_chart(counts: dict, path: str, title: str) -> str:
    """One horizontal bar chart per column (source, domain, template), saved as PNG at ``path``
    (any storage URL)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(counts), figsize=(4.2 * len(counts), 3.2), squeeze=False)
    for ax, (column, values) in zip(axes[0], counts.items()):
        labels = [str(v) for v in values][::-1]
        ax.barh(labels, list(values.values())[::-1], color="#4C72B0")
        ax.set_title(f"rows per {column}")
    fig.suptitle(title)
    fig.tight_layout()
    with storage.open_url(path, "wb") as handle:
        fig.savefig(handle, dpi=100, format="png")
    plt.close(fig)
    return path


def blend_card(spec: BlendSpec, table: pa.Table, chart: str, commercial_only: bool):
    """The SubsetCard of ``blend-<name>``.

    The card template (``dataset_cards/blend.md``) already renders the composition tables, the
    license of every source (from the rows' provenance) and, when ``non_commercial_sources`` is
    set, the non-commercial banner at the top; we add the recipe and the composition chart.
    """
    from crossthink_data.hub import SubsetCard

    sources = sorted(set(table.column("source").to_pylist()))
    licenses = source_licenses(sources, table)
    nc = non_commercial_sources(sources, table)
    hub_ids = sorted({a.hub_id for s in sources if (a := _adapter(s)) is not None and a.hub_id})
    citations = [
        a.citation for s in sources if (a := _adapter(s)) is not None and getattr(a, "citation", None)
    ]
    if spec.ratio == "natural":
        ratio = "the pool's own proportions"
    else:
        ratio = " : ".join(f"{w:g} {g}" for g, w in spec.ratio.items()) or "equal"
        if spec.default_weight:
            ratio += f" (other values: {spec.default_weight:g} each)"
    rebuild = f"crossthink-data blend {spec.name}{' --commercial-only' if commercial_only else ''} --input POOL --output DIR"
    recipe = "\n".join(
        [
            *([spec.paper, ""] if spec.paper else []),
            f"- ratio over `{spec.by}`: {ratio}",
            f"- filters: {spec.where or 'none'}",
            f"- rows: {table.num_rows:,} ({'as declared' if spec.total else 'the most the pool allows without reuse'}), "
            f"seed {spec.seed}, {'with' if spec.upsample else 'without'} up-sampling",
            f"- sources: {'commercial-use sources only' if commercial_only else 'all sources in the pool'}",
            f"- rebuild: `{rebuild}`",
        ]
    )
    counts = composition(table)
    sections = {
        "Blend recipe": recipe,
        "Composition chart": composition_markdown(counts, table.num_rows) + f"\n![composition]({chart})",
    }
    return SubsetCard(
        name=f"blend-{spec.name}",
        pretty_name=spec.pretty_name or f"CrossThink blend: {spec.name}",
        description=spec.description.strip(),
        licenses=sorted(set(licenses.values()) - {"unknown"}) or ["unknown"],
        source_datasets=hub_ids,
        citations=citations,
        task_categories=["question-answering", "text-generation"],
        non_commercial_sources=nc,
        extra_sections=sections,
    )


@dataclass
class BlendResult:
    """Where a blend was written and what went in."""

    name: str
    path: str  # storage URL of the blend's Hub folder
    rows: int
    counts: dict[str, dict[str, int]]
    non_commercial_sources: list[str]


def build_blend(
    pool_dir: str,
    spec: BlendSpec | str | Path,
    output_dir: str,
    commercial_only: bool = False,
    total: int | None = None,
    seed: int | None = None,
) -> BlendResult:
    """Samples ``spec`` from the rows under ``pool_dir`` and writes the ``blend-<name>`` Hub folder
    under ``output_dir`` (both any storage URL)."""
    from crossthink_data.hub import export_subset
    from crossthink_data.rows import read_table

    spec = spec if isinstance(spec, BlendSpec) else BlendSpec.load(spec)
    if total is not None:
        spec.total = total
    if seed is not None:
        spec.seed = seed
    table = sample_blend(read_table(pool_dir), spec, commercial_only)
    out = storage.join(output_dir, f"blend-{spec.name}")
    chart_rel = "assets/composition.png"
    card = blend_card(spec, table, chart_rel, commercial_only)
    templated = "template" in table.column_names
    export_subset(out, {"default": table.to_pylist()}, card, templated={"default": templated})
    composition_chart(
        composition(table), storage.join(out, chart_rel), f"blend-{spec.name} ({table.num_rows:,} rows)"
    )
    return BlendResult(spec.name, out, table.num_rows, composition(table), card.non_commercial_sources)


def write_blend(pool: pa.Table, spec: BlendSpec, stage_dir: str, commercial_only: bool = False) -> dict:
    """Samples ``spec`` from ``pool`` into ``stage_dir/data/blend.parquet`` with ``report.json`` (rows,
    composition, the spec): the build's blend stage, exported later as configs of the one repo."""
    import json

    import pyarrow.parquet as pq

    table = sample_blend(pool, spec, commercial_only)
    with storage.open_url(storage.join(stage_dir, "data", "blend.parquet"), "wb") as handle:
        pq.write_table(table, handle)
    report = {
        "rows": table.num_rows,
        "by": spec.by,
        "ratio": spec.ratio,
        "total": spec.total,
        "seed": spec.seed,
        "paper": spec.paper,
        "counts": composition(table),
        "non_commercial_sources": non_commercial_sources(
            sorted(set(table.column("source").to_pylist())), table
        ),
    }
    storage.write_text(storage.join(stage_dir, "report.json"), json.dumps(report, indent=2, default=str))
    return report


__all__ = [
    "BLENDS_DIR",
    "PAPER_BLENDS",
    "BlendError",
    "BlendResult",
    "BlendSpec",
    "apportion",
    "blend_card",
    "build_blend",
    "composition",
    "non_commercial_sources",
    "plan_counts",
    "sample_blend",
    "source_licenses",
    "write_blend",
]
