"""``demo``: the ``demo`` recipe built offline into one Hub dataset repo (what ``make demo`` runs)."""

from __future__ import annotations

from typing import Annotated

import typer

from crossthink_data.cli.common import fail, fail_stage


def demo(
    output: Annotated[
        str, typer.Option("--output", "-o", help="Folder for the repo (OUTPUT/crossthink) and OUTPUT/_work.")
    ] = "demo_output",
    work_dir: Annotated[
        str | None, typer.Option(help="Intermediate stages (default OUTPUT/_work/crossthink).")
    ] = None,
    pages: Annotated[
        int | None,
        typer.Option(
            envvar="CROSSTHINK_DEMO_PAGES", help="Shipped Common Crawl pages to mine (default: all 16)."
        ),
    ] = None,
    real: Annotated[
        bool, typer.Option("--real", hidden=True, help="Moved: python -m crossthink_demo.")
    ] = False,
) -> None:
    """Build the CrossThink demo dataset offline from real rows and pages shipped in the package.

    Same as `crossthink-data build demo --output OUTPUT/crossthink`, then prints the configs and
    loads the default one. With CROSSTHINK_ENDPOINT and CROSSTHINK_MODEL set, mining also generates
    Syn-QA on that server (--pages / CROSSTHINK_DEMO_PAGES: how many pages). The real-model demo
    (data, training and evaluation together) is `python -m crossthink_demo` (`make demo-real`).
    """
    from crossthink_data.executors import StageFailed

    if real:  # the real-model demo drives training and evaluation too: it lives above this package
        fail("the real-model demo moved: run `python -m crossthink_demo` (make demo-real)", 2)
    try:
        from crossthink_data.demo import run_demo

        run_demo(output, work_dir, pages)
    except StageFailed as err:  # generation against CROSSTHINK_ENDPOINT failed: one line, exit 1 or 3
        fail_stage(err)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
