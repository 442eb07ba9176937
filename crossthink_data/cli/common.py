"""What every ``crossthink-data`` command shares: ``--config FILE.yaml``, one-line errors, panels.

``--config`` reads the command's settings from YAML (keys are the option names, ``snake_case`` or
``kebab-case``); options given on the command line override it. It is processed first (eager) and
fills click's ``default_map``, so a required option may come from the file too. Unknown keys fail
with the list of the command's options, through the one strict loader in
:mod:`crossthink_data.config`.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import shutil
import subprocess
from collections.abc import Mapping
from typing import Annotated, Any, NoReturn, TypeVar

import click
import typer

from crossthink_data.config import EXECUTORS, ConfigError, check_keys, check_value, from_dict, load_yaml

T = TypeVar("T")


def _load_config(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if not value:
        return value
    try:
        data = {str(k).replace("-", "_"): v for k, v in load_yaml(value).items()}
        names = [p.name for p in ctx.command.params if p.name and p.name != param.name]
        check_keys(data, names, f"--config {value}")
        params = {p.name: p for p in ctx.command.params}
        for key, item in data.items():
            _check_config_value(params[key], item, f"--config {value}: {key}")
    except ConfigError as err:
        fail(str(err))
    ctx.default_map = {**(ctx.default_map or {}), **data}
    return value


def _check_config_value(param: click.Parameter, value: object, where: str) -> None:
    """A ``--config`` value of the option's declared type, checked as the recipe loader checks it
    (click would read the string ``"no"`` as false and ``"10"`` as 10; a YAML file says what it means)."""
    descriptor = getattr(param, "type_descriptor", None)  # typer: the parameter's annotation
    hint = getattr(descriptor, "annotation", None)
    if hint is not None and value is not None:
        check_value(hint, value, where)


ConfigFile = Annotated[
    str | None,
    typer.Option(
        "--config",
        help="YAML file with this command's settings (option names as keys); flags override it.",
        is_eager=True,
        callback=_load_config,
    ),
]
Overwrite = Annotated[
    bool,
    typer.Option(
        "--overwrite",
        help="Write into an output folder that holds other files: they are kept, never read or replaced.",
    ),
]
Tasks = Annotated[int, typer.Option(min=1, help="datatrove tasks (the input is split across them).")]
Workers = Annotated[int, typer.Option(min=-1, help="Tasks run at once (local and ray executors; -1: all).")]
MaxRejected = Annotated[
    float,
    typer.Option(
        min=0.0,
        max=1.0,
        help="Share of input rows that may be rejected on read (bad UTF-8 or JSON, a NUL byte, a missing or "
        "wrongly typed column; each counted by reason in report.json and rejected/) before the command "
        "stops without writing rows.",
    ),
]
ExecutorName = Annotated[
    str,
    typer.Option(
        "--executor",
        help=f"Where datatrove runs the tasks: {', '.join(EXECUTORS)} (slurm needs a Slurm controller; "
        "ray a Ray cluster, or starts a local one).",
    ),
]


def WorkOutput(stage: str) -> typer.models.OptionInfo:  # noqa: N802 (an option, as typer spells them)
    """``-o WORK`` of a single-stage command: the work folder, which the stage writes under
    ``WORK/<its folder>/`` as ``build`` does."""
    from crossthink_data.curation.work import CURATION

    stage_folder = CURATION[stage]
    return typer.Option(
        "--output",
        "-o",
        help=f"The work folder (or storage URL): writes OUTPUT/{stage_folder}/ (data/, report.json), "
        "as `build` does; a finished stage on the same rows and settings is skipped.",
    )


StageInput = typer.Option(
    "--input",
    "-i",
    help="Rows to read, parquet or jsonl, folder or storage URL (default: the work folder's last "
    "finished stage before this one, else its sources' templated rows).",
)


def run_stage_command(
    stage: str, work: str, input: str | None, settings: Any, run, overwrite: bool = False
) -> tuple[str, str, dict]:
    """One curation stage of a single-stage command, run as ``build`` runs it
    (:func:`crossthink_data.curation.work.run_stage`): into ``WORK/<stage folder>``, skipped when it
    finished on the same rows and settings. ``run(rows, folder)`` writes the stage. Returns the rows
    read, the stage folder and its report.

    The work folder is claimed first (:func:`own_output`): one the tool marked (by ``sources``, an
    earlier stage or ``build``) is taken as it is, a folder of the user's needs ``--overwrite``.
    """
    from crossthink_data import storage
    from crossthink_data.curation.work import run_stage, stage_dir, stage_input, stage_inputs

    if input and not storage.exists(location(input)):
        fail(f"input folder {location(input)} does not exist")
    work = own_work(work, stage, overwrite)
    try:
        rows = location(input) if input else stage_input(work, stage)
    except FileNotFoundError as err:
        fail(str(err))
    folder = stage_dir(work, stage)
    inputs = stage_inputs(stage, rows, settings)
    return rows, folder, run_stage(folder, inputs, settings, lambda: run(rows, folder), stage)


def own_work(work: str, command: str, overwrite: bool = False) -> str:
    """``-o WORK`` of a command that writes the work folder (``sources``, ``blend``): checked and
    claimed as every stage command claims it, so several commands share one work folder."""
    from crossthink_data.curation.work import WORK_ENTRIES

    work = location(work)
    own_output(work, command, overwrite, writes=WORK_ENTRIES)
    return work


SlurmArrays = Annotated[
    list[str] | None,
    typer.Option(
        "--slurm",
        help="KEY=VALUE, with --executor slurm: an option of every stage's job array (partition, time, "
        "cpus_per_task, mem_per_cpu_gb, ...: datatrove's SlurmPipelineExecutor); the command waits for each.",
    ),
]


def check_executor(executor: str, command: str = "", slurm: list[str] | None = None) -> str:
    """``--executor`` (or a recipe's ``executor:``) checked before any work: a known choice, and for
    ``slurm`` a controller that answers, for ``ray`` the package; else one line.

    Args:
        slurm: a stage command's ``--slurm KEY=VALUE`` options: given (even empty) with ``slurm``,
            each of its stages runs as a job array it waits for, since it reads the results back.
    """
    if executor not in EXECUTORS:
        fail(f"--executor: must be one of {list(EXECUTORS)}, got {executor!r}")
    if slurm and executor != "slurm":
        fail(f"--slurm: {command or 'this command'} runs job arrays only with --executor slurm")
    if executor == "slurm":
        _check_slurm()
        if slurm is not None:
            _use_slurm_arrays(slurm)
    if executor == "ray" and importlib.util.find_spec("ray") is None:
        fail("--executor ray: the ray package is not installed: pip install 'crossthink[data,ray]'")
    return executor


def _use_slurm_arrays(pairs: list[str]) -> None:
    """Every Slurm stage of this process submits its job array with these options and waits for it
    (:func:`crossthink_data.executors.slurm_stage_options`)."""
    import json

    import yaml

    from crossthink_data.executors import SLURM_STAGES_ENV, slurm_array_options

    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            fail(f"--slurm {pair!r}: expected KEY=VALUE, e.g. --slurm partition=cpu")
        options[key.strip().replace("-", "_")] = yaml.safe_load(value)
    try:
        os.environ[SLURM_STAGES_ENV] = json.dumps(slurm_array_options(options, "--slurm"))
    except ConfigError as err:
        fail(str(err))


def _check_slurm() -> None:
    if shutil.which("sbatch") is None or shutil.which("scontrol") is None:
        fail(
            "--executor slurm: sbatch/scontrol are not on PATH; run on a Slurm login node or use --executor local"
        )
    try:
        ping = subprocess.run(["scontrol", "ping"], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        fail("--executor slurm: `scontrol ping` did not answer in 30 s; is the Slurm controller up?")
    if ping.returncode != 0 or "UP" not in ping.stdout:
        detail = (ping.stdout + ping.stderr).strip().splitlines()
        fail(
            f"--executor slurm: no Slurm controller answers `scontrol ping` ({detail[0] if detail else 'no output'}); "
            "start it or use --executor local"
        )


def check_writable(location: str, option: str = "--output") -> None:
    """A local output folder this user can write (checked before any work); a URL is left to its store.

    The nearest folder that exists on the way to ``location`` must be writable: a read-only output
    otherwise fails with a ``PermissionError`` traceback after the stages ran.
    """
    from crossthink_data import storage

    if not storage.is_local(location):
        return
    path = os.path.abspath(storage.local_path(location))
    while not os.path.exists(path):
        path = os.path.dirname(path)
    if os.path.isdir(path) and not os.access(path, os.W_OK | os.X_OK):
        fail(
            f"{option} {location}: cannot write into {path} (read-only); choose another folder or fix its permissions"
        )


def own_output(
    location: str,
    command: str,
    overwrite: bool = False,
    option: str = "--output",
    writes: tuple[str, ...] = (),
    mark_new: bool = True,
) -> None:
    """The output folder checked writable and claimed as ``command``'s before any work
    (:func:`crossthink_data.ownership.claim`): a folder holding the user's files, a file, ``.``, a
    home folder or a folder with ``.git`` end the command with one line. A folder the claim made is
    removed again when the command ends with nothing in it (a later check refused the run).

    ``mark_new=False``: a new or empty folder is only checked, not made (a build's repo appears
    only when its export swaps it in, which marks it)."""
    from crossthink_data import storage
    from crossthink_data.ownership import OwnershipError, check_output, claim

    check_writable(location, option)
    existed = storage.exists(location)
    try:
        if mark_new or (existed and storage.file_sizes(location)):
            claim(location, command, overwrite, option, writes)
        else:
            check_output(location, command, overwrite, option, writes)
    except OwnershipError as err:
        fail(str(err))
    ctx = _current_context()
    if not existed and ctx is not None:
        ctx.call_on_close(lambda: _drop_if_unused(location))


def _current_context():
    """The running command's click context: typer 0.29 runs commands on its own copy of click
    (``typer._click``), whose context stack the installed ``click`` does not see."""
    for name in ("typer._click.globals", "click.globals"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        ctx = module.get_current_context(silent=True)
        if ctx is not None:
            return ctx
    return None


def _drop_if_unused(location: str) -> None:
    from crossthink_data import storage
    from crossthink_data.ownership import MARKER

    if set(storage.file_sizes(location)) <= {MARKER}:
        storage.remove(location)


def settings_from(cls: type[T], params: Mapping[str, Any], where: str, **values: Any) -> T:
    """The stage's settings dataclass from a command's parameters (its ``locals()``): every parameter
    named like a field is forwarded (the field names are the flags and ``--config`` keys), through
    the one strict loader, so ranges and choices are checked as in a recipe; a bad value ends the
    command with one line."""
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    data = {name: params[name] for name in names if name in params and params[name] is not None}
    try:
        return from_dict(cls, {**data, **values}, where)
    except ConfigError as err:
        fail(str(err))


def location(value: str) -> str:
    """A command's folder or file argument: a ``file://`` URL as its (percent-decoded) path."""
    from crossthink_data.storage import decode_file_url

    return decode_file_url(value)


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
