"""``difficulty``: k sampled answers per question, scored by the answer checker; pass_rate and filter."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from crossthink_data.cli import generation_options as gen
from crossthink_data.cli.common import (
    ConfigFile,
    ExecutorName,
    MaxRejected,
    Overwrite,
    SlurmArrays,
    StageInput,
    Tasks,
    Workers,
    WorkOutput,
    check_executor,
    fail,
    fail_stage,
    print_panel,
    run_stage_command,
    settings_from,
)
from crossthink_data.config import DEFAULT_MAX_REJECTED


def difficulty(
    output: Annotated[str, WorkOutput("difficulty")],
    input: Annotated[str | None, StageInput] = None,
    # the stage's defaults (curation.difficulty.default_difficulty_generation), written out so the
    # CLI starts without importing datatrove; tests/crossthink_data/cli/test_generation.py compares
    model: gen.Model = "Qwen/Qwen2.5-7B",
    samples: Annotated[int, typer.Option("--samples", "-k", help="Answers sampled per question.")] = 1,
    max_pass_rate: Annotated[
        float | None, typer.Option(help="Drop rows solved more often than this (0.0: keep only unsolved).")
    ] = None,
    require_format: Annotated[
        bool,
        typer.Option(
            "--require-format",
            help="Count an answer as solved only with the <think>...</think> format too (default: the "
            "right boxed answer suffices, as the paper judges its base model).",
        ),
    ] = False,
    # generation (the same flags as `mine`; crossthink_data.cli.generation_options)
    server_type: gen.ServerType = "endpoint",
    endpoint_url: gen.EndpointUrl = None,
    api_key: gen.ApiKey = None,
    request_timeout: gen.RequestTimeout = gen.REQUEST_TIMEOUT,
    max_attempts: gen.MaxAttempts = gen.MAX_ATTEMPTS,
    max_concurrent: gen.MaxConcurrent = gen.MAX_CONCURRENT,
    max_failed: gen.MaxFailed = gen.MAX_FAILED,
    temperature: gen.Temperature = 0.0,
    max_tokens: gen.MaxTokens = 4096,
    tp: gen.Tp = 1,
    api_key_env: gen.OldApiKeyEnv = None,
    limit: Annotated[int, typer.Option(help="Rows per task, for trials (-1: all).")] = -1,
    max_rejected: MaxRejected = DEFAULT_MAX_REJECTED,
    tasks: Tasks = 1,
    workers: Workers = 1,
    executor: ExecutorName = "local",
    overwrite: Overwrite = False,
    slurm: SlurmArrays = None,
    config: ConfigFile = None,
) -> None:
    """Answer each question k times, score the answers with the answer checker, store pass_rate, filter.

    Defaults as in the paper: Qwen/Qwen2.5-7B (base), zero-shot, one greedy answer, solved when
    its boxed answer is right (--require-format also asks for the <think> format).

    Example: crossthink-data difficulty -o work/ --endpoint-url http://localhost:8000/v1
    --max-pass-rate 0

    Exit codes: 0 done; 1 a setting must change (refused request, wrong URL, key or model);
    3 the same command may succeed later (more than --max-failed requests failed, or the endpoint
    never became ready); a rerun sends only the missing requests.
    """
    generation = gen.generation_settings(locals())  # first: only the parameters are in locals()
    from crossthink_data.curation.build import DifficultyStage
    from crossthink_data.curation.difficulty import score_difficulty
    from crossthink_data.executors import StageFailed

    settings = settings_from(DifficultyStage, locals(), "difficulty", generation=generation)
    if limit < -1:
        fail(f"--limit: must be at least -1 (-1: all rows), got {limit}")
    check_executor(executor, "difficulty", slurm or [])
    fingerprint = (
        settings if limit == -1 else {"settings": settings, "limit": limit}
    )  # a trial is its own run
    try:
        _rows, _folder, report = run_stage_command(
            "difficulty", output, input, fingerprint,
            lambda rows, folder: score_difficulty(
                rows, folder, settings, tasks=tasks, workers=workers, limit=limit, executor=executor
            ), overwrite=overwrite,
        )  # fmt: skip
    except StageFailed as err:
        fail_stage(err)
    print_panel("difficulty", json.dumps(report, indent=2))


def register(app: typer.Typer) -> None:
    app.command("difficulty")(difficulty)
