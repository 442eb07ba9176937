"""``crosscheck``: one run's generations scored by lighteval's built-in metrics too."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def crosscheck(
    path: Annotated[Path, typer.Argument(help="An eval output dir (its latest run) or one run dir.")],
) -> None:
    """Score one run's generations with lighteval's built-in metrics too and list disagreements."""
    from crossthink_eval.crosscheck import crosscheck_run

    try:
        crosscheck_run(path)
    except FileNotFoundError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None


def register(app: typer.Typer) -> None:
    app.command("crosscheck")(crosscheck)
