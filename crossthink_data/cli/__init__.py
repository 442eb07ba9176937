"""`crossthink-data`: one command line for every data stage, one module per stage (as lighteval's CLI).

Commands import their stage lazily so ``--help`` is instant and a missing optional extra only
fails the command that needs it. Every data command takes ``--config FILE.yaml`` (see
:mod:`crossthink_data.cli.common`).
"""

from __future__ import annotations

import typer

from crossthink_data.cli import blend, build, decontaminate, dedup, demo, difficulty, hub, mine, sources

app = typer.Typer(
    name="crossthink-data",
    help="Build CrossThink datasets: open QA sources, Common Crawl mining, curation, blends, Hub export.",
    no_args_is_help=True,
    add_completion=False,
)

# In pipeline order: sources, mining, curation, blends, the whole recipe, Hub, demo.
for module in (sources, mine, decontaminate, dedup, difficulty, blend, build, hub, demo):
    module.register(app)


def main() -> None:
    app()


__all__ = ["app", "main"]
