"""`crossthink-eval`: the evaluation commands on one typer app, one module per command, registered as
`crossthink-data` and `crossthink-train` do.

    crossthink-eval run --model Qwen/Qwen2.5-7B --tasks math_500,agieval
    crossthink-eval crosscheck eval_results
    crossthink-eval compare eval_math_only eval_crossthink

``python -m crossthink_eval.run`` and ``python -m crossthink_eval.crosscheck`` (``make eval``) run
the same commands (:func:`run_as_script`). Commands import lighteval lazily so ``--help`` is instant.
"""

from __future__ import annotations

import typer

from crossthink_eval.cli import compare, crosscheck, run

app = typer.Typer(
    name="crossthink-eval",
    help="Evaluate CrossThink models on the paper's benchmarks with lighteval.",
    no_args_is_help=True,
    add_completion=False,
)

COMMAND_MODULES = {"run": run, "crosscheck": crosscheck, "compare": compare}
for _module in COMMAND_MODULES.values():
    _module.register(app)


def run_as_script(name: str) -> None:
    """``python -m crossthink_eval.<name>``: the command ``name`` on its own (the pre-typer entry)."""
    single = typer.Typer(add_completion=False)
    COMMAND_MODULES[name].register(single)
    single(prog_name=f"python -m crossthink_eval.{name}")


def main() -> None:
    """The console script ``crossthink-eval``."""
    app(prog_name="crossthink-eval")


__all__ = ["app", "main", "run_as_script"]
