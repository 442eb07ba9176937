"""The sources stage of a build: one source's pipeline into ``<work>/sources/``, and its report.

``build`` and ``crossthink-data sources`` both call :func:`run_source_stage`, so a source run alone
leaves the same folder a build leaves (and a later ``build`` or ``export`` on that work folder reads
it)::

    <work>/sources/<source>/{parquet,rejects,logs}/<config>   datatrove's output and completion markers
    <work>/sources/report.json                               every source's counts per config

``report.json`` holds one entry per (source, config) (:class:`~crossthink_data.sources.pipeline.ConfigSummary`
as a mapping); a rerun of one source replaces that source's entries and keeps the others', so
sources run one command at a time add up to the report a build writes.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from crossthink_data import storage
from crossthink_data.sources.pipeline import CONFIGS, ConfigSummary, first_reject, run_source

REPORT = "report.json"


class SourceError(ValueError):
    """A source that gave no rows at all; the message names the rejects folder to look in."""


def run_source_stage(
    source: str,
    sources_dir: str,
    from_dir: str | None = None,
    limit: int | None = None,
    configs: list[str] = CONFIGS,
    tasks: int = 1,
    workers: int = 1,
    executor: str = "local",
    console: Any = None,
) -> list[ConfigSummary]:
    """Runs (or resumes) one source into ``sources_dir/<source>/`` and records its counts in
    ``sources_dir/report.json``; returns them. Malformed upstream rows are counted as rejects and
    named in one warning line (a build must not stop on one bad line of a 100 GB dump); a source
    that kept no row in any config raises :class:`SourceError`."""
    found = run_source(
        source, sources_dir, from_dir, limit, list(configs), tasks=tasks, workers=workers, executor=executor
    )
    malformed = max(s.dropped.get("malformed_row", 0) for s in found)
    if malformed and console is not None:
        first = first_reject(sources_dir, source, found[0].config, "malformed_row")
        console.print(
            f"warning: source {source}: {malformed:,} malformed row(s) counted as rejects "
            f"(malformed_row), the first: {first}",
            markup=False,
            highlight=False,
            soft_wrap=True,  # one line, however long the path
        )
    if not any(s.kept for s in found):
        raise SourceError(
            f"source {source!r} produced no rows; see the rejects under {storage.join(sources_dir, source)}"
        )
    _record(sources_dir, source, found)
    return found


def _record(sources_dir: str, source: str, found: list[ConfigSummary]) -> None:
    """``report.json`` with this source's entries replaced (others kept, in their order); left as
    it is when nothing changed, so a resumed build leaves a finished stage's files untouched."""
    old = read_source_report(sources_dir)
    mine = [asdict(s) for s in found]
    at = next((i for i, e in enumerate(old) if e["source"] == source), len(old))
    others = [e for e in old if e["source"] != source]
    new = others[:at] + mine + others[at:]  # in this source's place: a rerun changes nothing
    if new != old:
        storage.write_json(storage.join(sources_dir, REPORT), new)


def read_source_report(sources_dir: str) -> list[dict[str, Any]]:
    """The entries of ``sources_dir/report.json`` (none when no source ran there yet)."""
    location = storage.join(sources_dir, REPORT)
    return storage.read_json(location) if storage.exists(location) else []


def summary_table(summaries: list[ConfigSummary]):
    """A rich table: rows in, kept and dropped by rule for every (source, config)."""
    from rich.table import Table

    table = Table(title="CrossThink subsets", show_lines=False)  # as `make demo` has always printed it
    for column in ("source", "config", "rows in", "kept", "dropped by rule"):
        table.add_column(column, justify="right" if column in ("rows in", "kept") else "left")
    for s in summaries:
        dropped = ", ".join(f"{rule} {n:,}" for rule, n in sorted(s.dropped.items(), key=lambda kv: -kv[1]))
        table.add_row(s.source, s.config, f"{s.rows_in:,}", f"{s.kept:,}", dropped or "-")
    return table


__all__ = ["REPORT", "SourceError", "read_source_report", "run_source_stage", "summary_table"]
