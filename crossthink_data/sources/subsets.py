"""One Hub subset per open QA source: run its pipeline configs, then export folder + card.

``build_source_subset`` is what ``crossthink-data sources`` and ``make demo`` call: the datatrove
pipeline (:mod:`crossthink_data.sources.pipeline`) writes parquet per config under ``work_dir``; the
finished shards become ``output_dir/<source>/`` in the Hub dataset-repo layout, with a card built
from the adapter's license, citation and description.
"""

from __future__ import annotations

from collections.abc import Iterable

from crossthink_data import storage
from crossthink_data.sources.pipeline import CONFIGS, TEMPLATED, ConfigSummary, parquet_files, run_source

CONFIG_DESCRIPTIONS = {
    "records": "the validated QA records (question, options, gold) before templating",
    "mcq": "T_MCQ rows: question with lettered options; the reward checks the gold letter",
    "open": "T_Open rows: options removed; the reward checks the short gold answer",
}


def subset_card(source: str, summaries: list[ConfigSummary]):
    """The dataset card data of one source's subset, from the adapter's own metadata."""
    from crossthink_data.hub import SubsetCard
    from crossthink_data.sources import get_source

    adapter = get_source(source)
    configs = "\n".join(
        f"- `{s.config}`: {CONFIG_DESCRIPTIONS[s.config]} ({s.kept:,} rows)" for s in summaries if s.kept
    )
    dropped = "\n".join(
        f"| `{s.config}` | {s.rows_in:,} | {s.kept:,} | "
        + (", ".join(f"{rule}: {n:,}" for rule, n in sorted(s.dropped.items())) or "none")
        + " |"
        for s in summaries
    )
    return SubsetCard(
        name=source,
        pretty_name=f"CrossThink: {source}",
        description=(
            f"{adapter.description}\n\nThis subset was built by the CrossThink pipeline: upstream rows -> "
            f"QA records -> filter H (only answers a rule-based reward can verify) -> templates.\n\n{configs}"
        ),
        licenses=[adapter.license],
        source_datasets=[adapter.hub_id] if adapter.hub_id else [],
        citations=[adapter.citation] if adapter.citation else [],
        non_commercial_sources=[] if adapter.commercial_use else [source],
        extra_sections={
            "Filter H": "Rows read, kept and dropped by rule, per config.\n\n"
            "| config | rows in | kept | dropped by rule |\n|---|---|---|---|\n" + dropped
        },
    )


def build_source_subset(
    source: str,
    output_dir: str,
    work_dir: str,
    from_dir: str | None = None,
    limit: int | None = None,
    configs: Iterable[str] = CONFIGS,
    tasks: int = 1,
    workers: int = 1,
    executor: str = "local",
) -> list[ConfigSummary]:
    """Runs (or resumes) the source's pipeline and exports ``output_dir/<source>``; returns the counts."""
    from crossthink_data.hub import export_subset

    configs = list(configs)
    summaries = run_source(
        source, work_dir, from_dir, limit, configs, tasks=tasks, workers=workers, executor=executor
    )
    non_empty = [s for s in summaries if s.kept]
    if not non_empty:
        raise RuntimeError(f"source {source!r} produced no rows in any config; see rejects under {work_dir}")
    export_subset(
        storage.join(output_dir, source),
        {s.config: parquet_files(work_dir, source, s.config) for s in non_empty},
        subset_card(source, summaries),
        templated={s.config: TEMPLATED[s.config] for s in non_empty},
    )
    return summaries


def summary_table(summaries: list[ConfigSummary]):
    """A rich table: rows in, kept and dropped by rule for every (source, config)."""
    from rich.table import Table

    table = Table(title="CrossThink subsets", show_lines=False)
    for column in ("source", "config", "rows in", "kept", "dropped by rule"):
        table.add_column(column, justify="right" if column in ("rows in", "kept") else "left")
    for s in summaries:
        dropped = ", ".join(f"{rule} {n:,}" for rule, n in sorted(s.dropped.items(), key=lambda kv: -kv[1]))
        table.add_row(s.source, s.config, f"{s.rows_in:,}", f"{s.kept:,}", dropped or "-")
    return table
