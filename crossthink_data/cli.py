"""`crossthink-data`: one command line for every data stage (each command is a thin wrapper).

Commands import their module lazily so `--help` is instant and a missing optional extra only
fails the command that needs it.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="crossthink-data",
    help="Build CrossThink datasets: open QA sources, Common Crawl mining, curation, blends, Hub export.",
    no_args_is_help=True,
    add_completion=False,
)

# Each stage registers its commands below, one section per module, in pipeline order.
# --- sources / filter H / templates (crossthink_data.pipeline) ---
# --- hub export (crossthink_data.hub) ---
# --- mining (crossthink_data.mining) ---
# --- curation (crossthink_data.curation) ---


if __name__ == "__main__":
    app()
