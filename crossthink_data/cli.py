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


@app.command("export")
def export(
    output: Annotated[Path, typer.Argument(help="Folder to write in the Hub dataset-repo layout.")],
    config: Annotated[
        list[str],
        typer.Option(help="NAME=PATH: a config and its parquet file or folder (repeat for each config)."),
    ],
    name: Annotated[str, typer.Option(help="Subset name, e.g. arc_challenge or blend-crossthink.")],
    license: Annotated[list[str], typer.Option(help="Hub license id of a source (repeat for each).")],
    pretty_name: Annotated[str | None, typer.Option(help="Card title (default: the name).")] = None,
    description: Annotated[str, typer.Option(help="Markdown paragraph for the card.")] = "",
    source_dataset: Annotated[list[str] | None, typer.Option(help="Upstream Hub id (repeatable).")] = None,
    citation_file: Annotated[
        list[Path] | None, typer.Option(help="A .bib file of a source to cite (repeatable).")
    ] = None,
    non_commercial_source: Annotated[
        list[str] | None, typer.Option(help="Source with a non-commercial license (repeatable).")
    ] = None,
    rows_per_shard: Annotated[int, typer.Option(help="Rows per parquet shard.")] = 100_000,
) -> None:
    """Write (or reshard) parquet rows as a Hub-ready folder: data/<config>/ shards, README.md card, charts.

    Example: crossthink-data export out/arc --config mcq=work/arc/parquet/mcq --name arc --license cc-by-sa-4.0
    """
    from crossthink_data.hub import ExportError, SubsetCard, export_subset

    configs: dict[str, Path] = {}
    for item in config:
        key, sep, path = item.partition("=")
        if not sep or not key or not path:
            raise typer.BadParameter(f"--config expects NAME=PATH, got {item!r}")
        configs[key] = Path(path)
    try:
        card = SubsetCard(
            name=name,
            pretty_name=pretty_name or name,
            description=description,
            licenses=list(license),
            source_datasets=list(source_dataset or []),
            citations=[p.read_text(encoding="utf-8") for p in citation_file or []],
            non_commercial_sources=list(non_commercial_source or []),
        )
        folder = export_subset(output, configs, card, rows_per_shard=rows_per_shard)
    except (ExportError, ValueError, FileNotFoundError) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from None
    first = next(iter(configs))
    typer.echo(f"wrote {folder}\nload it with: load_dataset({str(folder)!r}, {first!r})")


@app.command("push")
def push(
    folder: Annotated[Path, typer.Argument(help="An exported folder (README.md card + data/).")],
    repo_id: Annotated[str, typer.Argument(help="Dataset repo on the Hub, e.g. my-org/crossthink-arc.")],
    private: Annotated[bool, typer.Option(help="Create the repo private (a new repo only).")] = False,
    revision: Annotated[str | None, typer.Option(help="Branch to commit to (created if missing).")] = None,
    commit_message: Annotated[str | None, typer.Option(help="Commit title.")] = None,
) -> None:
    """Upload an exported folder to a Hub dataset repo in one commit. The token is read from HF_TOKEN
    (or a saved `hf auth login`) and never printed.

    Example: HF_TOKEN=hf_... crossthink-data push demo_output/arc_challenge my-org/crossthink-arc --private
    """
    from crossthink_data.hub import PushError, push_folder

    try:
        url = push_folder(folder, repo_id, private=private, revision=revision, commit_message=commit_message)
    except PushError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"pushed {folder} -> {url}")


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


def _print_json(title: str, text: str) -> None:
    from rich.console import Console
    from rich.panel import Panel

    Console().print(Panel(text, title=title))


@app.command("decontaminate")
def decontaminate(
    input: Annotated[
        Path, typer.Option("--input", "-i", help="Folder of (templated) record rows, parquet or jsonl.")
    ],
    benchmarks: Annotated[
        str,
        typer.Option(
            help="A benchmark folder laid out <benchmark>/<file> (jsonl, json, csv; e.g. ../shared/data/benchmarks) "
            "or comma-separated lighteval task names (these need the Hub)."
        ),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Kept rows in data/, removed/, report.json.")
    ],
    only: Annotated[
        str | None, typer.Option(help="Comma-separated benchmark folders to use (default: all).")
    ] = None,
    n_grams: Annotated[int, typer.Option(help="n-gram size in words.")] = 12,
    min_overlap: Annotated[
        float, typer.Option(help="Share of a row's n-grams that must be in the index (0 = any single hit).")
    ] = 0.5,
    normalise_numbers: Annotated[
        bool, typer.Option(help="Map every number to 0 before matching (datatrove's default; off for math).")
    ] = False,
    custom_tasks: Annotated[
        Path | None,
        typer.Option(help="lighteval custom tasks: a module (crossthink_eval.crossthink_tasks) or a file."),
    ] = None,
    tasks: Annotated[int, typer.Option(help="datatrove tasks.")] = 1,
    workers: Annotated[int, typer.Option(help="Tasks run at once.")] = 1,
) -> None:
    """Drop rows that overlap the evaluation benchmarks (datatrove n-gram decontamination).

    Example: crossthink-data decontaminate -i pool/ --benchmarks ../shared/data/benchmarks -o decont/
    """
    from crossthink_data.curation.decont import DecontSettings
    from crossthink_data.curation.decont import decontaminate as run

    settings = DecontSettings(n_grams=n_grams, min_overlap=min_overlap, keep_numbers=not normalise_numbers)
    subset = [b.strip() for b in only.split(",")] if only else None
    report = run(
        input,
        output,
        benchmarks,
        settings,
        only=subset,
        tasks=tasks,
        workers=workers,
        custom_tasks=custom_tasks,
    )
    summary = {b: v["hits"] for b, v in report.per_benchmark.items()}
    _print_json(
        "decontamination",
        f"rows in {report.rows_in:,}, kept {report.kept:,}, removed {report.removed:,}\n"
        f"hits per benchmark: {summary}\nreport: {output / 'report.json'}",
    )


@app.command("dedup")
def dedup(
    input: Annotated[Path, typer.Option("--input", "-i", help="Folder of (templated) record rows.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Kept rows in data/, removed/, report.json.")
    ],
    trust_order: Annotated[
        str | None,
        typer.Option(help="Comma-separated sources, most trusted first (default: the documented order)."),
    ] = None,
    near: Annotated[bool, typer.Option(help="Also remove MinHash near-duplicates.")] = True,
    tasks: Annotated[int, typer.Option(help="datatrove tasks.")] = 1,
    workers: Annotated[int, typer.Option(help="Tasks run at once.")] = 1,
) -> None:
    """Remove exact and near duplicates across sources, keeping the most trusted source's copy.

    Example: crossthink-data dedup -i decont/data -o dedup/
    """
    from crossthink_data.curation.dedup import DEFAULT_TRUST_ORDER, DedupSettings
    from crossthink_data.curation.dedup import dedup as run

    order = tuple(s.strip() for s in trust_order.split(",")) if trust_order else DEFAULT_TRUST_ORDER
    report = run(input, output, DedupSettings(trust_order=order, near=near), tasks=tasks, workers=workers)
    _print_json(
        "deduplication",
        f"rows in {report.rows_in:,}, kept {report.kept:,}\nexact duplicates removed: {report.exact_removed}\n"
        f"near duplicates removed: {report.near_removed}",
    )


@app.command("difficulty")
def difficulty(
    input: Annotated[Path, typer.Option("--input", "-i", help="Folder of templated rows.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="scored/, data/, removed/, report.json.")],
    model: Annotated[str, typer.Option(help="Model that answers (the paper: Qwen/Qwen2.5-7B-Instruct).")],
    endpoint_url: Annotated[
        str | None, typer.Option(help="OpenAI-compatible base URL, e.g. http://localhost:8000/v1.")
    ] = None,
    server_type: Annotated[
        str, typer.Option(help="'endpoint' (any OpenAI-compatible server) or 'vllm' (datatrove starts vLLM).")
    ] = "endpoint",
    api_key_env: Annotated[
        str, typer.Option(help="Environment variable holding the API key.")
    ] = "OPENAI_API_KEY",
    samples: Annotated[int, typer.Option("--samples", "-k", help="Answers sampled per question.")] = 8,
    max_pass_rate: Annotated[
        float | None, typer.Option(help="Drop rows solved more often than this (0.0: keep only unsolved).")
    ] = None,
    temperature: Annotated[float, typer.Option(help="Sampling temperature.")] = 1.0,
    max_tokens: Annotated[int, typer.Option(help="Max new tokens per answer.")] = 4096,
    tasks: Annotated[int, typer.Option(help="datatrove tasks.")] = 1,
) -> None:
    """Sample k answers per question, score them with the answer checker, store pass_rate, filter.

    Example: crossthink-data difficulty -i dedup/data -o hard/ --model Qwen/Qwen2.5-7B-Instruct
    --endpoint-url http://localhost:8000/v1 --max-pass-rate 0
    """
    from crossthink_data.curation.difficulty import DifficultySettings, score_difficulty

    try:
        settings = DifficultySettings(
            model=model,
            samples=samples,
            endpoint_url=endpoint_url,
            server_type=server_type,
            api_key_env=api_key_env,
            max_pass_rate=max_pass_rate,
            temperature=temperature,
            max_tokens=max_tokens,
        )
    except ValueError as err:
        raise typer.BadParameter(str(err)) from None
    report = score_difficulty(input, output, settings, tasks=tasks)
    _print_json("difficulty", report.to_json())


@app.command("blend")
def blend(
    config: Annotated[
        str, typer.Argument(help="A paper blend name (natural, crossthink, math_2to1, ...) or a blend YAML.")
    ],
    input: Annotated[Path, typer.Option("--input", "-i", help="Pool of templated rows (parquet or jsonl).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Writes OUTPUT/blend-<name>/ (Hub layout).")],
    commercial_only: Annotated[
        bool, typer.Option(help="Leave out sources whose license forbids commercial use.")
    ] = False,
    total: Annotated[int | None, typer.Option(help="Override the YAML's total rows.")] = None,
    seed: Annotated[int | None, typer.Option(help="Override the YAML's seed.")] = None,
) -> None:
    """Sample a blend exactly to its ratio and write it as a Hub subset with its card.

    Example: crossthink-data blend crossthink -i dedup/data -o hub/
    """
    from crossthink_data.curation.blends import BlendError, build_blend

    try:
        result = build_blend(input, config, output, commercial_only=commercial_only, total=total, seed=seed)
    except BlendError as err:
        raise typer.BadParameter(str(err)) from None
    _print_json(
        f"blend-{result.name}",
        f"{result.rows:,} rows -> {result.path}\n"
        + "\n".join(f"{col}: {counts}" for col, counts in result.counts.items())
        + (
            f"\nNON-COMMERCIAL sources: {result.non_commercial_sources}"
            if result.non_commercial_sources
            else ""
        ),
    )


@app.command("build")
def build(
    config: Annotated[
        Path, typer.Argument(help="Build recipe YAML (see crossthink_data/curation/build.py).")
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Override the recipe's output folder.")
    ] = None,
    executor: Annotated[str | None, typer.Option(help="'local' or 'slurm' (overrides the recipe).")] = None,
) -> None:
    """The whole recipe: sources -> filter H -> templates -> decont -> dedup -> difficulty -> blends -> Hub.

    Rerunning the same command resumes: finished stages are skipped.
    Example: crossthink-data build recipes/crossthink.yaml
    """
    from crossthink_data.curation.build import BuildConfig, run_build

    recipe = BuildConfig.load(config)
    if output is not None:
        recipe.output = output
    if executor is not None:
        recipe.executor = executor
    run_build(recipe)


if __name__ == "__main__":
    app()
