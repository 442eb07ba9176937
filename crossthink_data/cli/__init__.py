"""`crossthink-data`: one command line for every data stage, one module per stage (as lighteval's CLI).

Commands import their stage lazily so ``--help`` is instant and a missing optional extra only
fails the command that needs it. Each single-stage command (``sources``, ``mine``,
``decontaminate``, ``dedup``, ``difficulty``, ``blend``) runs one stage of the build into a work
folder and takes ``--config FILE.yaml`` (see :mod:`crossthink_data.cli.common`); ``build`` runs
them all from a recipe, and only ``build`` and ``export`` write the one dataset repo.
"""

from __future__ import annotations

import sys

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


# Modules of the `data` extra: a command that needs them on an install without it says so in one line.
DATA_EXTRA_MODULES = {"datatrove", "spacy", "trafilatura", "warcio", "fasttext", "magic", "tldextract"}


def main() -> None:
    """The console script: the app, with one line instead of a traceback for what a user must fix:
    a missing input (``FileNotFoundError``), a failed stage (``StageFailed``, with its exit code)
    that the command did not report itself, or the `data` extra not installed."""
    command = typer.main.get_command(app)
    try:
        command.main(prog_name="crossthink-data")
    except FileNotFoundError as err:
        typer.echo(f"error: {err}", err=True)
        raise SystemExit(1) from None
    except ModuleNotFoundError as err:
        missing = (err.name or "").split(".")[0]
        if missing not in DATA_EXTRA_MODULES:
            raise
        typer.echo(
            f"error: this command needs the data stack ({missing} is not installed): "
            "pip install 'crossthink[data]'",
            err=True,
        )
        raise SystemExit(1) from None
    except Exception as err:
        if not _is_stage_failure(err):
            raise
        typer.echo(f"error: {err}", err=True)
        raise SystemExit(getattr(err, "exit_code", 1)) from None


def _is_stage_failure(err: Exception) -> bool:
    # StageFailed lives with the executors (datatrove): if they were never imported, it is not one
    executors = sys.modules.get("crossthink_data.executors")
    return executors is not None and isinstance(err, executors.StageFailed)


__all__ = ["app", "main"]
