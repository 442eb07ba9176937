"""``mine`` and ``train-domain-classifier``: Common Crawl WARC -> ... -> Syn-QA records."""

from __future__ import annotations

from typing import Annotated

import typer

from crossthink_data.cli import generation_options as gen
from crossthink_data.cli.common import (
    ConfigFile,
    ExecutorName,
    Overwrite,
    Workers,
    check_executor,
    fail,
    fail_stage,
    location,
    own_output,
    settings_from,
    split_list,
)


def mine(
    input: Annotated[
        str,
        typer.Option(
            "--input",
            "-i",
            help="A WARC folder (files matching --glob), one .warc/.warc.gz file, or a glob such as "
            "'DIR/*.warc.gz'; a local path or any storage URL (file://, s3://, hf://...). "
            "With --snapshot: the Common Crawl root (a local mirror or https://data.commoncrawl.org).",
        ),
    ],
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="Stages write DIR/<stage>/ and DIR/report.json: a local path or any storage URL (file://, "
            "s3://...); rerun resumes. WORK/mining is where `build` mines and `export WORK` reads Syn-QA.",
        ),
    ],
    checkpoints_dir: Annotated[
        str | None,
        typer.Option(
            help="LOCAL folder for generation's checkpoints and request cache (datatrove keeps them on "
            "local disk). Default: OUTPUT/checkpoints for a local --output; for a remote one, "
            "~/.cache/crossthink_data/mine-checkpoints/<output URL> on this machine (on Slurm, pass a "
            "shared folder so a resumed task on another node finds them)."
        ),
    ] = None,
    until: Annotated[
        str, typer.Option(help="Last stage: extract, filter, domain, generate or parse.")
    ] = "domain",
    glob: Annotated[str, typer.Option(help="WARC files under an --input folder (a glob).")] = "**/*.warc.gz",
    snapshot: Annotated[
        str | None, typer.Option(help="Common Crawl snapshot, e.g. CC-MAIN-2024-22 (with --shards).")
    ] = None,
    shards: Annotated[str, typer.Option(help="WARC file range FIRST:LAST of the snapshot.")] = "0:0",
    limit: Annotated[int, typer.Option(help="Records per task, for trials (-1: all).")] = -1,
    lid_model: Annotated[str | None, typer.Option(help="Local lid.176 fastText model.")] = None,
    domain_model: Annotated[str | None, typer.Option(help="Domain classifier (.ftz).")] = None,
    categories: Annotated[
        str, typer.Option(help="Categories to keep.")
    ] = "stem,humanities,social_sciences,other",
    budget: Annotated[int | None, typer.Option(help="Documents per category, whole run.")] = None,
    min_confidence: Annotated[float, typer.Option(help="Minimum domain confidence.")] = 0.5,
    # generation (the same flags as `difficulty`; crossthink_data.cli.generation_options)
    model: gen.Model = "Qwen/Qwen2.5-72B-Instruct",
    server_type: gen.ServerType = "endpoint",
    endpoint_url: gen.EndpointUrl = None,
    api_key: gen.ApiKey = None,
    request_timeout: gen.RequestTimeout = gen.REQUEST_TIMEOUT,
    max_attempts: gen.MaxAttempts = gen.MAX_ATTEMPTS,
    max_concurrent: gen.MaxConcurrent = gen.MAX_CONCURRENT,
    max_failed: gen.MaxFailed = gen.MAX_FAILED,
    temperature: gen.Temperature = 0.6,
    max_tokens: gen.MaxTokens = 2048,
    response_format: gen.ResponseFormat = "none",
    tp: gen.Tp = 1,
    endpoint: gen.OldEndpoint = None,
    questions_per_doc: Annotated[int, typer.Option(help="Questions asked per document.")] = 3,
    executor: ExecutorName = "local",
    tasks: Annotated[int, typer.Option(help="CPU tasks (WARC files are dealt to tasks).")] = 1,
    workers: Workers = 1,
    gpu_tasks: Annotated[int, typer.Option(help="Generation tasks (one server each).")] = 1,
    partition: Annotated[str, typer.Option(help="Slurm partition of the CPU job.")] = "cpu",
    gpu_partition: Annotated[str, typer.Option(help="Slurm partition of the generation job.")] = "gpu",
    time: Annotated[str, typer.Option(help="Slurm time limit per task.")] = "04:00:00",
    gpus_per_task: Annotated[int, typer.Option(help="GPUs per generation task (= tp for vllm).")] = 8,
    venv_path: Annotated[str | None, typer.Option(help="venv activate script for the jobs.")] = None,
    overwrite: Overwrite = False,
    config: ConfigFile = None,
) -> None:
    """Mine Common Crawl: WARC -> extract -> filter -> domain -> generate -> parse (datatrove).

    Example: crossthink-data mine -i crossthink_data/demo_data/common_crawl -o out/mine --until domain

    Exit codes: 0 done; 1 a setting must change (refused request, wrong URL, key or model);
    3 the same command may succeed later (more than --max-failed requests failed, or the endpoint
    never became ready); a rerun sends only the missing requests.
    """
    generation = gen.generation_settings(locals())  # first: only the parameters are in locals()
    from rich.console import Console

    from crossthink_data import storage
    from crossthink_data.mining.pipeline import MINE_WRITES, MinerConfig

    input, output = location(input), location(output)
    check_executor(executor, command="mine")
    own_output(output, "mine", overwrite, writes=MINE_WRITES)
    cfg = settings_from(
        MinerConfig, locals(), "mine", categories=split_list(categories), generation=generation
    )
    if snapshot:
        _read_snapshot(cfg, snapshot, shards, root=input, output=output)
    common = {"time": time, **({"venv_path": venv_path} if venv_path else {})}
    slurm = {
        "cpu_slurm": {"partition": partition, **common},
        "gpu_slurm": {
            "partition": gpu_partition,
            "gpus_per_task": gpus_per_task,
            "cpus_per_task": 8,
            **common,
        },
    }
    result = _run(cfg, until, executor, tasks=tasks, workers=workers, gpu_tasks=gpu_tasks, **slurm)
    if "submitted" not in result:  # as the build's miner stage leaves it: `export` reads it
        storage.write_json(storage.join(output, "report.json"), result)
    Console().print(result)


def _read_snapshot(cfg, snapshot: str, shards: str, root: str, output: str) -> None:
    """Points ``cfg`` at WARC files FIRST:LAST of a Common Crawl snapshot (their list saved under ``output``)."""
    from crossthink_data import storage
    from crossthink_data.mining.pipeline import common_crawl_paths

    first, _, last = shards.partition(":")
    cfg.paths_file = common_crawl_paths(
        snapshot, int(first), int(last or first), storage.join(output, "warc.paths"), root=root
    )
    cfg.glob = None


def _run(cfg, until: str, executor: str, **run_options):
    """Runs the miner; a setting to fix or a failed stage ends the command with one line."""
    from crossthink_data.executors import StageFailed
    from crossthink_data.mining.pipeline import run_miner
    from crossthink_data.mining.warc import WarcInputError

    try:
        cfg.checkpoints()
    except ValueError as err:
        fail(str(err))
    try:
        return run_miner(cfg, until, executor, **run_options)
    except WarcInputError as err:
        fail(str(err))
    except StageFailed as err:  # a refused request, an unusable endpoint, too many failed requests
        fail_stage(err)


def train_domain_classifier(
    mmlu_dir: Annotated[str, typer.Option(help="MMLU folder with test/, dev/, val/ CSV files per subject.")],
    output: Annotated[str | None, typer.Option(help="Model path (default: the packaged model).")] = None,
    agieval_dir: Annotated[
        str | None, typer.Option(help="AGIEval v1 jsonl folder, for a second check.")
    ] = None,
) -> None:
    """Train the fastText domain classifier on MMLU test+dev; report accuracy on held-out val (and AGIEval)."""
    from crossthink_data.mining.domain import DEFAULT_MODEL, train_from_mmlu

    report = train_from_mmlu(mmlu_dir, output or DEFAULT_MODEL, agieval_dir)
    for line in report.lines():
        typer.echo(line)


def register(app: typer.Typer) -> None:
    app.command("mine")(mine)
    app.command("train-domain-classifier")(train_domain_classifier)
