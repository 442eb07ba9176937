"""``list-sources`` and ``sources``: open QA sets -> records -> filter H -> templates -> Hub folders."""

from __future__ import annotations

from typing import Annotated

import typer

from crossthink_data.cli.common import ConfigFile, Tasks, Workers, fail, split_list


def list_sources() -> None:
    """List the open QA sources with their Hub ids and licenses."""
    from rich.console import Console
    from rich.table import Table

    from crossthink_data.sources import SOURCES

    table = Table(title="Open QA sources")
    for column in ("name", "hub id", "domain", "license", "commercial use"):
        table.add_column(column)
    for name, adapter in SOURCES.items():
        table.add_row(
            name,
            adapter.hub_id or "(local files)",
            adapter.domain,
            adapter.license,
            "yes" if adapter.commercial_use else "NO",
        )
    Console().print(table)


def sources(
    names: Annotated[list[str], typer.Argument(help="Source names (see `crossthink-data list-sources`).")],
    output: Annotated[
        str, typer.Option("--output", "-o", help="Folder or storage URL for the Hub subset folders.")
    ],
    from_dir: Annotated[
        str | None,
        typer.Option(
            help="Read the source from files in its upstream layout (folder or storage URL) instead of "
            "the Hub (one source only)."
        ),
    ] = None,
    work_dir: Annotated[
        str | None,
        typer.Option(
            help="Intermediate parquet, rejects and logs (default OUTPUT/_work); "
            "rerunning with the same folder resumes."
        ),
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Read at most this many upstream rows (trials).")] = None,
    configs: Annotated[str, typer.Option(help="Comma-separated configs to build.")] = "records,mcq,open",
    tasks: Tasks = 1,
    workers: Workers = 1,
    config: ConfigFile = None,
) -> None:
    """Build Hub subsets from open QA sources: records -> filter H -> T_MCQ / T_Open -> parquet + card.

    Example: crossthink-data sources mmlu_train numina_math --output out/
    """
    from rich.console import Console

    from crossthink_data import storage
    from crossthink_data.sources.subsets import build_source_subset, summary_table

    if from_dir is not None and len(names) != 1:
        raise typer.BadParameter("--from-dir reads one source's files: give exactly one source name")
    work = work_dir or storage.join(output, "_work")
    console = Console()
    summaries = []
    for name in names:
        console.print(f"[bold]building {name}[/bold] -> {storage.join(output, name)}")
        try:
            summaries += build_source_subset(
                name, output, work, from_dir, limit, split_list(configs), tasks, workers
            )
        except (FileNotFoundError, RuntimeError, KeyError) as err:
            fail(str(err).strip("'\""))
    console.print(summary_table(summaries))


def register(app: typer.Typer) -> None:
    app.command("list-sources")(list_sources)
    app.command("sources")(sources)
