"""`make demo`: the ``demo`` recipe built offline into one Hub dataset repo, then loaded.

The recipe (``crossthink_data/recipes/demo.yaml``) reads the real rows and Common Crawl pages
shipped in ``crossthink_data/demo_data/``: ARC-Challenge train, GSM8K and AGIEval math stand in for
the paper's sources; the pages go through the miner up to the domain step, and through Syn-QA
generation too when ``CROSSTHINK_ENDPOINT`` (an OpenAI-compatible base URL) and ``CROSSTHINK_MODEL``
are set (``CROSSTHINK_API_KEY`` if the server wants one). The repo lands in ``OUTPUT/crossthink``,
its intermediate stages in ``OUTPUT/_work/crossthink``; the demo ends by printing the repo's
configs and loading its default config as a user would.
"""

from __future__ import annotations

import os
import time

from rich.console import Console

from crossthink_data import storage

console = Console()
DEMO_RECIPE = "demo"
REPO_NAME = "crossthink"


def demo_config(output: str, work_dir: str | None = None, pages: int | None = None):
    """The demo recipe aimed at ``output/crossthink``; Syn-QA generation when the environment names
    a server (``CROSSTHINK_ENDPOINT`` + ``CROSSTHINK_MODEL``); ``pages``: mine only that many of the
    shipped pages (generation costs a request per page)."""
    from crossthink_data.curation.build import BuildConfig
    from crossthink_data.recipes import recipe_location

    endpoint, model = os.environ.get("CROSSTHINK_ENDPOINT"), os.environ.get("CROSSTHINK_MODEL")
    if endpoint and not model:
        raise SystemExit(
            "CROSSTHINK_ENDPOINT is set but CROSSTHINK_MODEL is not: name the model the server serves"
        )
    location, name = recipe_location(DEMO_RECIPE)
    sets = [f"mine.generation.endpoint_url={endpoint}", f"mine.generation.model={model}"] if endpoint else []
    if pages is not None:
        if pages < 1:
            raise SystemExit(f"pages must be at least 1, got {pages}")
        sets.append(f"mine.limit={pages}")
    config = BuildConfig.load(location, sets)  # the demo recipe mines; the key: CROSSTHINK_API_KEY
    config.recipe_name = name
    config.output = storage.join(output, REPO_NAME)
    config.work_dir = work_dir
    return config


def config_rows(repo: str) -> list[tuple[str, int]]:
    """(config, rows) as the repo's own card declares them."""
    from huggingface_hub import DatasetCard

    data = DatasetCard.load(storage.local_path(storage.join(repo, "README.md"))).data.to_dict()
    infos = data["dataset_info"]
    infos = infos if isinstance(infos, list) else [infos]
    rows = {i["config_name"]: i["splits"][0]["num_examples"] for i in infos}
    return [(c["config_name"], rows[c["config_name"]]) for c in data["configs"]]


def show_repo(repo: str, default: str) -> None:
    """Prints the repo's configs and loads its default config exactly as a user would."""
    from datasets import load_dataset
    from rich.table import Table

    table = Table(title=f"{repo}: one Hub dataset repo")
    table.add_column("config")
    table.add_column("rows", justify="right")
    for name, rows in config_rows(repo):
        table.add_row(name + (" (default)" if name == default else ""), f"{rows:,}")
    console.print(table)
    dataset = load_dataset(repo, default, split="train")
    console.rule("Load it")
    console.print(
        f'from datasets import load_dataset\nds = load_dataset("{repo}", "{default}", split="train")'
    )
    console.print(f"-> {dataset.num_rows:,} rows, columns: {', '.join(dataset.column_names)}")
    row = dataset[0]
    console.print(f"prompt[0]: {row['prompt'][0]['content'][:300]!r}...")
    console.print(f"ground_truth: {row['ground_truth']!r}  kind: {row['kind']!r}")
    console.print(f"push it: crossthink-data push {repo} <your-hf-username>/crossthink")


def run_demo(output: str = "demo_output", work_dir: str | None = None, pages: int | None = None) -> str:
    """Builds the demo recipe into ``output/crossthink`` and shows it; returns the repo's location."""
    from crossthink_data.curation.build import default_work_dir, run_build
    from crossthink_data.executors import datatrove_logs_to

    start = time.perf_counter()
    config = demo_config(output, work_dir, pages)
    work = config.work_dir or default_work_dir(config.output)
    log_path = os.path.join(storage.local_path(work), "demo.log")
    console.print(
        f"building recipe '{DEMO_RECIPE}' -> {config.output}; datatrove's per-task logs go to {log_path}"
    )
    with datatrove_logs_to(log_path):
        run_build(config)
    show_repo(config.output, f"blend-{config.default_blend}")
    console.print(f"\ndemo finished in {time.perf_counter() - start:.0f} s; the repo is {config.output}/")
    return config.output
