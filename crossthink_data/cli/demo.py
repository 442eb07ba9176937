"""``demo``: the offline sample build behind ``make demo`` (sources, mining, curation on shipped data)."""

from __future__ import annotations

from typing import Annotated

import typer

from crossthink_data.cli.common import fail, fail_stage


def demo(
    output: Annotated[str, typer.Option("--output", "-o", help="Where the Hub folders go.")] = "demo_output",
    work_dir: Annotated[str | None, typer.Option(help="Intermediate files (default OUTPUT/_work).")] = None,
    only: Annotated[
        str | None,
        typer.Option(
            help="Run one part on its own: 'mining' (shipped WARC pages) or 'curation' (needs the "
            "source part's folders in OUTPUT)."
        ),
    ] = None,
) -> None:
    """Build the CrossThink sample datasets offline from real rows shipped in the package.

    With CROSSTHINK_ENDPOINT and CROSSTHINK_MODEL set, mining also generates Syn-QA on that server.
    """
    from crossthink_data.demo import run_demo
    from crossthink_data.executors import StageFailed

    if only not in (None, "mining", "curation"):
        fail(f"--only takes 'mining' or 'curation', not {only!r}")
    try:
        run_demo(output, work_dir, only)
    except StageFailed as err:  # generation against CROSSTHINK_ENDPOINT failed: one line, exit 1 or 3
        fail_stage(err)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
