"""`crossthink-data`: one command line for every data stage (each command is a thin wrapper).

Commands import their module lazily so `--help` is instant and a missing optional extra only
fails the command that needs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="crossthink-data",
    help="Build CrossThink datasets: open QA sources, Common Crawl mining, curation, blends, Hub export.",
    no_args_is_help=True,
    add_completion=False,
)

# Each stage registers its commands below, one section per module, in pipeline order.
# --- sources / filter H / templates (crossthink_data.pipeline) ---


@app.command("list-sources")
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


@app.command("sources")
def sources(
    names: Annotated[list[str], typer.Argument(help="Source names (see `crossthink-data list-sources`).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the Hub subset folders.")],
    from_dir: Annotated[
        Path | None,
        typer.Option(
            help="Read the source from local files in its upstream layout instead of the Hub "
            "(one source only)."
        ),
    ] = None,
    work_dir: Annotated[
        Path | None,
        typer.Option(
            help="Intermediate parquet, rejects and logs (default OUTPUT/_work); "
            "rerunning with the same folder resumes."
        ),
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Read at most this many upstream rows (trials).")] = None,
    configs: Annotated[str, typer.Option(help="Comma-separated configs to build.")] = "records,mcq,open",
    tasks: Annotated[int, typer.Option(help="datatrove tasks per config.")] = 1,
    workers: Annotated[int, typer.Option(help="Tasks run at once.")] = 1,
) -> None:
    """Build Hub subsets from open QA sources: records -> filter H -> T_MCQ / T_Open -> parquet + card.

    Example: crossthink-data sources mmlu_train numina_math --output out/
    """
    from rich.console import Console

    from crossthink_data.subsets import build_source_subset, summary_table

    if from_dir is not None and len(names) != 1:
        raise typer.BadParameter("--from-dir reads one source's files: give exactly one source name")
    config_list = [c.strip() for c in configs.split(",") if c.strip()]
    work = work_dir or output / "_work"
    console = Console()
    summaries = []
    for name in names:
        console.print(f"[bold]building {name}[/bold] -> {output / name}")
        summaries += build_source_subset(name, output, work, from_dir, limit, config_list, tasks, workers)
    console.print(summary_table(summaries))


# --- hub export (crossthink_data.hub) ---
# --- mining (crossthink_data.mining) ---
# --- curation (crossthink_data.curation) ---


if __name__ == "__main__":
    app()
