"""`crossthink-train`: helpers around the GRPO trainer (tiny and real local models, a local server,
adapter merging), one module per command group, registered as `crossthink-data` and `crossthink-eval` do.

Commands import their work lazily so ``--help`` is instant.
"""

from __future__ import annotations

import typer

from crossthink_train.cli import merge, models, serve

app = typer.Typer(
    name="crossthink-train",
    help="CrossThink GRPO training helpers.",
    no_args_is_help=True,
    add_completion=False,
)

for module in (models, serve, merge):
    module.register(app)


def main() -> None:
    """The console script ``crossthink-train``."""
    app(prog_name="crossthink-train")


__all__ = ["app", "main"]
