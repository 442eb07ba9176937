"""``compare``: per-benchmark deltas between two evaluation runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def compare(
    run_a: Annotated[Path, typer.Argument(help="Eval output dir (results.json) of the reference, A.")],
    run_b: Annotated[Path, typer.Argument(help="Eval output dir (results.json) compared against A, B.")],
    output: Annotated[Path | None, typer.Option(help="Also write the comparison as JSON here.")] = None,
) -> None:
    """Per-benchmark deltas (B - A) of the paper-comparable accuracy, and tokens of correct answers
    per task group, the paper's token-efficiency figure."""
    from crossthink_eval.compare import CompareError, compare_runs

    try:
        compare_runs(run_a, run_b, output)
    except CompareError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None


def register(app: typer.Typer) -> None:
    app.command("compare")(compare)
