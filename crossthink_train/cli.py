"""`crossthink-train`: helpers around the GRPO trainer (tiny offline model, adapter merging)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="crossthink-train",
    help="CrossThink GRPO training helpers.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command("tiny-model")
def tiny_model(
    output_dir: Annotated[Path, typer.Argument(help="Folder to write the tiny model + tokenizer to.")],
) -> None:
    """Build a tiny 2-layer Qwen2 model and BPE tokenizer offline (for tiny_cpu.yaml and tests)."""
    from crossthink_train.tiny_model import build_tiny_model

    path = build_tiny_model(output_dir)
    typer.echo(f"tiny model written to {path}")


if __name__ == "__main__":
    app()
