"""What every ``crossthink-data`` command shares: ``--config FILE.yaml``, one-line errors, panels.

``--config`` reads the command's settings from YAML (keys are the option names, ``snake_case`` or
``kebab-case``); options given on the command line override it. It is processed first (eager) and
fills click's ``default_map``, so a required option may come from the file too. Unknown keys fail
with the list of the command's options, through the one strict loader in
:mod:`crossthink_data.config`.
"""

from __future__ import annotations

from typing import Annotated, NoReturn

import click
import typer

from crossthink_data.config import ConfigError, check_keys, load_yaml


def _load_config(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if not value:
        return value
    try:
        data = {str(k).replace("-", "_"): v for k, v in load_yaml(value).items()}
        names = [p.name for p in ctx.command.params if p.name and p.name != param.name]
        check_keys(data, names, f"--config {value}")
    except ConfigError as err:
        raise click.BadParameter(str(err), ctx=ctx, param=param) from None
    ctx.default_map = {**(ctx.default_map or {}), **data}
    return value


ConfigFile = Annotated[
    str | None,
    typer.Option(
        "--config",
        help="YAML file with this command's settings (option names as keys); flags override it.",
        is_eager=True,
        callback=_load_config,
    ),
]
Tasks = Annotated[int, typer.Option(help="datatrove tasks (the input is split across them).")]
Workers = Annotated[int, typer.Option(help="Tasks run at once (local executor).")]


def fail(message: str, code: int = 1) -> NoReturn:
    """Ends the command with one clear line on stderr and a non-zero exit code."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def fail_stage(err: Exception) -> NoReturn:
    """Ends the command for a :class:`~crossthink_data.executors.StageFailed` (its line and exit code)."""
    fail(str(err), getattr(err, "exit_code", 1))


def print_panel(title: str, text: str) -> None:
    from rich.console import Console
    from rich.panel import Panel

    Console().print(Panel(text, title=title))


def split_list(value: str | None) -> list[str]:
    """``"a, b,,c"`` -> ``["a", "b", "c"]`` (comma-separated option values)."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]
