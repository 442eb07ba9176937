"""`crossthink-data`: one command line for every data stage (each command is a thin wrapper).

Commands import their module lazily so `--help` is instant and a missing optional extra only
fails the command that needs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="crossthink-data",
    help="Build CrossThink datasets: open QA sources, Common Crawl mining, curation, blends, Hub export.",
    no_args_is_help=True,
    add_completion=False,
)

# Each stage registers its commands below, one section per module, in pipeline order.
# --- sources / filter H / templates (crossthink_data.pipeline) ---


@app.command("list-sources")
def list_sources() -> None:
    """List the open QA sources with their Hub ids and licenses."""
    from rich.console import Console
    from rich.table import Table

    from crossthink_data.sources import SOURCES

    table = Table(title="Open QA sources")
    for column in ("name", "hub id", "domain", "license", "commercial use"):
        table.add_column(column)
    for name, adapter in SOURCES.items():
        table.add_row(
            name,
            adapter.hub_id or "(local files)",
            adapter.domain,
            adapter.license,
            "yes" if adapter.commercial_use else "NO",
        )
    Console().print(table)


@app.command("sources")
def sources(
    names: Annotated[list[str], typer.Argument(help="Source names (see `crossthink-data list-sources`).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the Hub subset folders.")],
    from_dir: Annotated[
        Path | None,
        typer.Option(
            help="Read the source from local files in its upstream layout instead of the Hub "
            "(one source only)."
        ),
    ] = None,
    work_dir: Annotated[
        Path | None,
        typer.Option(
            help="Intermediate parquet, rejects and logs (default OUTPUT/_work); "
            "rerunning with the same folder resumes."
        ),
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Read at most this many upstream rows (trials).")] = None,
    configs: Annotated[str, typer.Option(help="Comma-separated configs to build.")] = "records,mcq,open",
    tasks: Annotated[int, typer.Option(help="datatrove tasks per config.")] = 1,
    workers: Annotated[int, typer.Option(help="Tasks run at once.")] = 1,
) -> None:
    """Build Hub subsets from open QA sources: records -> filter H -> T_MCQ / T_Open -> parquet + card.

    Example: crossthink-data sources mmlu_train numina_math --output out/
    """
    from rich.console import Console

    from crossthink_data.subsets import build_source_subset, summary_table

    if from_dir is not None and len(names) != 1:
        raise typer.BadParameter("--from-dir reads one source's files: give exactly one source name")
    config_list = [c.strip() for c in configs.split(",") if c.strip()]
    work = work_dir or output / "_work"
    console = Console()
    summaries = []
    for name in names:
        console.print(f"[bold]building {name}[/bold] -> {output / name}")
        summaries += build_source_subset(name, output, work, from_dir, limit, config_list, tasks, workers)
    console.print(summary_table(summaries))


# --- hub export (crossthink_data.hub) ---
# --- mining (crossthink_data.mining) ---


@app.command("mine")
def mine(
    input: Annotated[
        str, typer.Option("--input", "-i", help="Folder/bucket of WARC files (local, s3://, https://).")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Stages write DIR/<stage>/; rerun resumes.")],
    until: Annotated[
        str, typer.Option(help="Last stage: extract, filter, domain, generate or parse.")
    ] = "domain",
    glob: Annotated[str, typer.Option(help="WARC files under --input.")] = "**/*.warc.gz",
    snapshot: Annotated[
        str | None, typer.Option(help="Common Crawl snapshot, e.g. CC-MAIN-2024-22 (with --shards).")
    ] = None,
    shards: Annotated[str, typer.Option(help="WARC file range FIRST:LAST of the snapshot.")] = "0:0",
    limit: Annotated[int, typer.Option(help="Records per task, for trials (-1: all).")] = -1,
    lid_model: Annotated[Path | None, typer.Option(help="Local lid.176 fastText model.")] = None,
    domain_model: Annotated[Path | None, typer.Option(help="Domain classifier (.ftz).")] = None,
    categories: Annotated[
        str, typer.Option(help="Categories to keep.")
    ] = "stem,humanities,social_sciences,other",
    budget: Annotated[int | None, typer.Option(help="Documents per category, whole run.")] = None,
    min_confidence: Annotated[float, typer.Option(help="Minimum domain confidence.")] = 0.5,
    model: Annotated[str, typer.Option(help="Generator model name.")] = "Qwen/Qwen2.5-72B-Instruct",
    server_type: Annotated[
        str, typer.Option(help="endpoint (any OpenAI-compatible URL) or vllm.")
    ] = "endpoint",
    endpoint: Annotated[
        str | None,
        typer.Option(envvar="CROSSTHINK_ENDPOINT", help="OpenAI base URL, e.g. http://host:8000/v1."),
    ] = None,
    api_key: Annotated[str | None, typer.Option(envvar="CROSSTHINK_API_KEY", help="Bearer token.")] = None,
    questions_per_doc: Annotated[int, typer.Option(help="Questions asked per document.")] = 3,
    max_tokens: Annotated[int, typer.Option(help="Reply token cap.")] = 2048,
    temperature: Annotated[float, typer.Option(help="Sampling temperature.")] = 0.6,
    max_concurrent: Annotated[int, typer.Option(help="Requests in flight per task.")] = 64,
    request_timeout: Annotated[float, typer.Option(help="Seconds per request.")] = 600.0,
    max_attempts: Annotated[int, typer.Option(help="Tries per request before recording a failure.")] = 4,
    tp: Annotated[int, typer.Option(help="vLLM tensor parallel size.")] = 1,
    executor: Annotated[str, typer.Option(help="local or slurm.")] = "local",
    tasks: Annotated[int, typer.Option(help="CPU tasks (WARC files are dealt to tasks).")] = 1,
    workers: Annotated[int, typer.Option(help="CPU tasks running at once.")] = 1,
    gpu_tasks: Annotated[int, typer.Option(help="Generation tasks (one server each).")] = 1,
    partition: Annotated[str, typer.Option(help="Slurm partition of the CPU job.")] = "cpu",
    gpu_partition: Annotated[str, typer.Option(help="Slurm partition of the generation job.")] = "gpu",
    time: Annotated[str, typer.Option(help="Slurm time limit per task.")] = "04:00:00",
    gpus_per_task: Annotated[int, typer.Option(help="GPUs per generation task (= tp for vllm).")] = 8,
    venv_path: Annotated[Path | None, typer.Option(help="venv activate script for the jobs.")] = None,
) -> None:
    """Mine Common Crawl: WARC -> extract -> filter -> domain -> generate -> parse (datatrove).

    Example: crossthink-data mine -i crossthink_data/demo_data/common_crawl -o out/mine --until domain
    """
    from rich.console import Console

    from crossthink_data.mining.pipeline import MinerConfig, common_crawl_paths, run_miner

    kwargs = {"input": input, "glob": glob}
    if snapshot:
        first, _, last = shards.partition(":")
        paths = common_crawl_paths(
            snapshot, int(first), int(last or first), output / "warc.paths", root=input
        )
        kwargs = {"input": input, "glob": None, "paths_file": str(paths)}
    cfg = MinerConfig(
        **kwargs,
        output=str(output),
        limit=limit,
        lid_model=str(lid_model) if lid_model else None,
        categories=tuple(c.strip() for c in categories.split(",") if c.strip()),
        budget=budget,
        min_confidence=min_confidence,
        model=model,
        server_type=server_type,
        endpoint_url=endpoint,
        api_key=api_key,
        questions_per_doc=questions_per_doc,
        max_tokens=max_tokens,
        temperature=temperature,
        max_concurrent=max_concurrent,
        request_timeout_s=request_timeout,
        max_attempts=max_attempts,
        tp=tp,
    )
    if domain_model:
        cfg.domain_model = str(domain_model)
    common = {"time": time, **({"venv_path": str(venv_path)} if venv_path else {})}
    result = run_miner(
        cfg,
        until,
        executor,
        tasks=tasks,
        workers=workers,
        gpu_tasks=gpu_tasks,
        cpu_slurm={"partition": partition, **common},
        gpu_slurm={"partition": gpu_partition, "gpus_per_task": gpus_per_task, "cpus_per_task": 8, **common},
    )
    Console().print(result)


@app.command("train-domain-classifier")
def train_domain_classifier(
    mmlu_dir: Annotated[Path, typer.Option(help="MMLU folder with test/, dev/, val/ CSV files per subject.")],
    output: Annotated[Path | None, typer.Option(help="Model path (default: the packaged model).")] = None,
    agieval_dir: Annotated[
        Path | None, typer.Option(help="AGIEval v1 jsonl folder, for a second check.")
    ] = None,
) -> None:
    """Train the fastText domain classifier on MMLU test+dev; report accuracy on held-out val (and AGIEval)."""
    from crossthink_data.mining.domain import DEFAULT_MODEL, train_from_mmlu

    report = train_from_mmlu(mmlu_dir, output or DEFAULT_MODEL, agieval_dir)
    for line in report.lines():
        typer.echo(line)


# --- curation (crossthink_data.curation) ---


if __name__ == "__main__":
    app()
