"""`make demo`: build the CrossThink sample datasets offline from real rows shipped in the package.

1. Open QA sources (ARC-Challenge train, GSM8K, AGIEval math: real rows standing in for the
   paper's MMLU-train / NuminaMath / MATH sources) -> records -> filter H -> templates -> Hub folders.
2. Common Crawl mining on shipped real WARC records up to the domain step (and through LLM QA
   generation when ``CROSSTHINK_ENDPOINT`` points at an OpenAI-compatible server).
3. Curation: the headline ``blend-crossthink`` (2:1 general:math) from the demo subsets.

Every folder it writes loads with ``datasets.load_dataset(folder, config)``; it ends by loading one.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import time
from pathlib import Path

from rich.console import Console

from crossthink_data.subsets import build_source_subset, summary_table

console = Console()


@contextlib.contextmanager
def _datatrove_logs_to(log_path: Path):
    """datatrove logs every step of every task to stderr; the demo sends that to a file and prints
    its own summary (datatrove re-adds ``sys.stderr`` per task, so redirecting it is what works)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    logging.getLogger("datasets").setLevel(logging.ERROR)
    from loguru import logger

    with open(log_path, "a") as log_file, contextlib.redirect_stderr(log_file):
        logger.remove()
        logger.add(log_file, level="INFO")
        yield


def build_sources(output_dir: Path, work_dir: Path) -> list:
    from crossthink_data.sources import DEMO_SOURCES

    summaries = []
    for name, from_dir in DEMO_SOURCES.items():
        start = time.perf_counter()
        summaries += build_source_subset(name, output_dir, work_dir, from_dir=from_dir)
        console.print(
            f"  built [bold]{name}[/bold] in {time.perf_counter() - start:.1f} s -> {output_dir / name}"
        )
    return summaries


def _optional_stage(module: str, title: str, output_dir: Path):
    """Runs ``module.run(output_dir)`` (mining, curation demos); a missing module is reported, not fatal."""
    try:
        stage = importlib.import_module(module)
    except ModuleNotFoundError as err:
        if err.name and module.startswith(err.name):
            console.print(f"[yellow]{title}: not available in this checkout ({err.name})[/yellow]")
            return None
        raise
    console.rule(title)
    return stage.run(output_dir)


def show_load_call(output_dir: Path, subset: str, config: str) -> None:
    """Loads one exported folder exactly as a user would, and prints the call."""
    from datasets import load_dataset

    folder = output_dir / subset
    dataset = load_dataset(str(folder), config, split="train")
    console.rule("Load it")
    console.print(
        f'from datasets import load_dataset\nds = load_dataset("{folder}", "{config}", split="train")'
    )
    console.print(f"-> {dataset.num_rows:,} rows, columns: {', '.join(dataset.column_names)}")
    row = dataset[0]
    console.print(f"prompt[0]: {row['prompt'][0]['content'][:300]!r}...")
    console.print(f"ground_truth: {row['ground_truth']!r}  kind: {row['kind']!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--output", type=Path, default=Path("demo_output"), help="where the Hub folders go")
    parser.add_argument(
        "--work-dir", type=Path, default=None, help="intermediate files (default OUTPUT/_work)"
    )
    args = parser.parse_args(argv)
    output_dir, work_dir = args.output, args.work_dir or args.output / "_work"
    start = time.perf_counter()
    log_path = work_dir / "demo.log"
    console.print(f"datatrove's per-task logs go to {log_path}")
    with _datatrove_logs_to(log_path):
        console.rule("1. Open QA sources -> filter H -> templates -> Hub folders")
        summaries = build_sources(output_dir, work_dir)
        console.print(summary_table(summaries))
        _optional_stage(
            "crossthink_data.mining.demo", "2. Common Crawl mining (real WARC records)", output_dir
        )
        blend = _optional_stage(
            "crossthink_data.curation.demo", "3. Curation: the headline CrossThink blend", output_dir
        )

    if blend:
        show_load_call(output_dir, Path(blend).name, "default")
    else:
        show_load_call(output_dir, "arc_challenge", "mcq")
    console.print(f"\ndemo finished in {time.perf_counter() - start:.0f} s; Hub folders under {output_dir}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
