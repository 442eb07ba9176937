"""``demo``: the ``demo`` recipe built offline into one Hub dataset repo (what ``make demo`` runs)."""

from __future__ import annotations

from typing import Annotated

import typer

from crossthink_data.cli.common import fail_stage


def demo(
    output: Annotated[
        str, typer.Option("--output", "-o", help="Folder for the repo (OUTPUT/crossthink) and OUTPUT/_work.")
    ] = "demo_output",
    work_dir: Annotated[
        str | None, typer.Option(help="Intermediate stages (default OUTPUT/_work/crossthink).")
    ] = None,
) -> None:
    """Build the CrossThink demo dataset offline from real rows and pages shipped in the package.

    Same as `crossthink-data build demo --output OUTPUT/crossthink`, then prints the configs and
    loads the default one. With CROSSTHINK_ENDPOINT and CROSSTHINK_MODEL set, mining also generates
    Syn-QA on that server.
    """
    from crossthink_data.demo import run_demo
    from crossthink_data.executors import StageFailed

    try:
        run_demo(output, work_dir)
    except StageFailed as err:  # generation against CROSSTHINK_ENDPOINT failed: one line, exit 1 or 3
        fail_stage(err)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
