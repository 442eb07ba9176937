"""``dedup``: exact and MinHash near duplicates across sources; the most trusted source's copy stays."""

from __future__ import annotations

from typing import Annotated

import typer

from crossthink_data.cli.common import (
    ConfigFile,
    ExecutorName,
    Overwrite,
    Tasks,
    Workers,
    check_executor,
    location,
    own_output,
    print_panel,
    settings_from,
    split_list,
)


def dedup(
    input: Annotated[
        str, typer.Option("--input", "-i", help="Folder or storage URL of (templated) record rows.")
    ],
    output: Annotated[
        str,
        typer.Option(
            "--output", "-o", help="Folder or storage URL: kept rows in data/, removed/, report.json."
        ),
    ],
    trust_order: Annotated[
        str | None,
        typer.Option(help="Comma-separated sources, most trusted first (default: the documented order)."),
    ] = None,
    near: Annotated[bool, typer.Option(help="Also remove MinHash near-duplicates.")] = True,
    tasks: Tasks = 1,
    workers: Workers = 1,
    executor: ExecutorName = "local",
    overwrite: Overwrite = False,
    config: ConfigFile = None,
) -> None:
    """Remove exact and near duplicates across sources, keeping the most trusted source's copy.

    Example: crossthink-data dedup -i decont/data -o dedup/
    """
    from crossthink_data.curation.dedup import DEDUP_WRITES, DedupSettings
    from crossthink_data.curation.dedup import dedup as run

    input, output = location(input), location(output)
    order = split_list(trust_order) or None  # None: the documented order
    settings = settings_from(DedupSettings, locals(), "dedup", trust_order=order)
    check_executor(executor, ("local", "ray"), "dedup")
    own_output(output, "dedup", overwrite, writes=DEDUP_WRITES)
    report = run(input, output, settings, tasks=tasks, workers=workers, executor=executor)
    print_panel(
        "deduplication",
        f"rows in {report.rows_in:,}, kept {report.kept:,}\nexact duplicates removed: {report.exact_removed}\n"
        f"near duplicates removed: {report.near_removed}",
    )


def register(app: typer.Typer) -> None:
    app.command("dedup")(dedup)
