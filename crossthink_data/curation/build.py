"""`crossthink-data build RECIPE`: the whole data recipe in one resumable command.

    sources -> filter H -> T_MCQ / T_Open      (crossthink_data.sources.subsets: one Hub folder per source)
      -> decontaminate -> dedup -> difficulty  (this package; difficulty only when a model is set)
      -> blends                                (one Hub folder ``blend-<name>`` per blend)

Every stage is a set of datatrove pipelines with completion markers under ``<output>/_work``,
and a curation stage that finished on the same input files with the same settings is skipped
(any change clears it), so rerunning the same command after a crash, or after adding a blend,
only does what is missing. ``output`` (and a source's ``from_dir``) is any storage URL: a local
folder, ``file://``, ``s3://``, ``hf://``... ``executor: slurm`` submits
the same command as one Slurm job (``sbatch``) whose stages run with ``workers`` processes on the
allocated node; datatrove's own Slurm executor would need job dependencies between our ~15
pipelines and must not be started from inside a job.

Recipe YAML (everything but ``sources`` has a default)::

    output: build_output
    executor: local            # or slurm
    tasks: 1
    workers: 1
    slurm: {partition: cpu, time: "24:00:00", cpus_per_task: 16, mem: 64G}
    sources:
      - mmlu_train
      - {name: natural_reasoning, from_dir: /data/natural_reasoning, limit: null}
    templates: [mcq, open]
    decontaminate: {benchmarks: ../shared/data/benchmarks, only: null, n_grams: 12, min_overlap: 0.5}
    # or lighteval task names: {benchmarks: "math_500,mmlu_pro", custom_tasks: crossthink_eval.crossthink_tasks}
    dedup: {trust_order: null, near: true}
    difficulty: {samples: 8, max_pass_rate: 0.0,   # generation: the same keys as the --flags
                 generation: {model: Qwen/Qwen2.5-7B-Instruct, endpoint_url: "http://localhost:8000/v1"}}
    blends: [crossthink, natural]
    commercial_only: false
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crossthink_data import storage
from crossthink_data.config import check_keys, field_names, from_dict, load_yaml


@dataclass
class SourceSpec:
    name: str
    from_dir: str | None = None  # storage URL of the upstream files (None: the Hub)
    limit: int | None = None


@dataclass
class BuildConfig:
    """A parsed build recipe (see the module doc)."""

    sources: list[SourceSpec]
    output: str = "build_output"  # storage URL
    executor: str = "local"
    tasks: int = 1
    workers: int = 1
    slurm: dict[str, Any] = field(default_factory=dict)
    templates: list[str] = field(default_factory=lambda: ["mcq", "open"])
    decontaminate: dict[str, Any] | None = None
    dedup: dict[str, Any] = field(default_factory=dict)
    difficulty: dict[str, Any] | None = None
    blends: list[str] = field(default_factory=lambda: ["crossthink"])
    commercial_only: bool = False
    path: Path | None = None

    @classmethod
    def load(cls, path: Path | str) -> BuildConfig:
        path = Path(path)
        return cls.from_dict(load_yaml(path), base=path.parent, path=path)

    @classmethod
    def from_dict(cls, data: dict[str, Any], base: Path = Path("."), path: Path | None = None) -> BuildConfig:
        where = f"recipe {path}" if path else "recipe"
        check_keys(data, [name for name in field_names(cls) if name != "path"], where)
        if not data.get("sources"):
            raise ValueError("the recipe needs at least one entry under 'sources'")
        sources = []
        for index, entry in enumerate(data["sources"]):
            entry = {"name": entry} if isinstance(entry, str) else dict(entry)
            if entry.get("from_dir"):
                entry["from_dir"] = _resolve(entry["from_dir"], base)
            sources.append(from_dict(SourceSpec, entry, f"{where}: sources[{index}]"))
        values = {k: v for k, v in data.items() if k != "sources"}
        if "output" in values:
            values["output"] = _resolve(values["output"], base)
        decont = values.get("decontaminate")
        if decont and isinstance(decont.get("benchmarks"), str) and not decont["benchmarks"].count("|"):
            candidate = _resolve(decont["benchmarks"], base)
            if storage.is_dir(candidate):
                decont["benchmarks"] = candidate
        config = cls(sources=sources, path=path, **values)
        if config.executor not in ("local", "slurm"):
            raise ValueError(f"executor must be 'local' or 'slurm', got {config.executor!r}")
        bad = sorted(set(config.templates) - {"mcq", "open"})
        if bad or not config.templates:
            raise ValueError(f"templates must be a non-empty subset of [mcq, open], got {config.templates}")
        return config


def _resolve(value: str | Path, base: Path) -> str:
    """A recipe location: a URL as written, a relative local path against the recipe's folder."""
    value = str(value)
    if "://" in value:
        return value
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else (base / path))


def _fresh(stage_dir: str, input_dir: str, settings: Any) -> bool:
    """True when the stage finished on exactly these input files and settings (then it is skipped).

    Otherwise the stage folder is cleared, so a changed pool or setting never mixes with old output.
    """
    fingerprint = json.dumps(
        {"inputs": sorted(storage.file_sizes(input_dir).items()), "settings": settings},
        sort_keys=True,
        default=str,
    )
    marker = storage.join(stage_dir, "fingerprint.json")
    report = storage.join(stage_dir, "report.json")
    if storage.exists(report) and storage.exists(marker) and storage.read_text(marker) == fingerprint:
        return True
    storage.remove(stage_dir)
    storage.write_text(marker, fingerprint)
    return False


def link_pool(parquet_files: list[str], pool_dir: str) -> str:
    """One folder holding every templated parquet file, named uniquely (``<i>_<source>_<config>_<file>``).

    Local storage gets symlinks; elsewhere (``s3://``...) the files are copied, server-side when the
    pool is on the same store, since object stores have no links and every stage reads a folder.
    """
    for old in storage.list_files(pool_dir, (".parquet",), recursive=False):
        storage.remove(old)
    local = storage.is_local(pool_dir)
    if local:
        storage.makedirs(pool_dir)
    for i, file in enumerate(storage.as_url(f) for f in parquet_files):
        *_, source, _parquet, config, name = file.split("/")
        target = storage.join(pool_dir, f"{i:05d}_{source}_{config}_{name}")
        if local and storage.is_local(file):
            os.symlink(os.path.realpath(storage.local_path(file)), storage.local_path(target))
        else:
            storage.copy(file, target)
    return pool_dir


def run_build(config: BuildConfig) -> dict[str, Any]:
    """Runs (or resumes) the recipe; on Slurm, submits it and returns the job id instead."""
    if config.executor == "slurm":
        return {"slurm_job": submit_slurm(config)}
    from rich.console import Console

    from crossthink_data.sources import build_source_subset, parquet_files, summary_table

    console = Console()
    out = storage.as_url(config.output)
    work = storage.join(out, "_work")
    sources_work = storage.join(work, "sources")
    summary: dict[str, Any] = {}

    source_summaries = []
    for source in config.sources:
        console.print(f"[bold]source {source.name}[/bold] -> {storage.join(out, source.name)}")
        source_summaries += build_source_subset(
            source.name,
            out,
            sources_work,
            source.from_dir,
            source.limit,
            ["records", *config.templates],
            config.tasks,
            config.workers,
        )
    console.print(summary_table(source_summaries))
    files = [
        f for s in config.sources for t in config.templates for f in parquet_files(sources_work, s.name, t)
    ]
    if not files:
        raise RuntimeError("no templated rows came out of the sources: nothing to curate")
    current = link_pool(files, storage.join(work, "curation", "0_pool"))

    if config.decontaminate:
        from crossthink_data.curation.decont import DecontSettings, decontaminate

        stage = storage.join(work, "curation", "1_decont")
        opts = dict(config.decontaminate)
        benchmarks = opts.pop("benchmarks")
        only = opts.pop("only", None)
        custom_tasks = opts.pop("custom_tasks", None)
        if not _fresh(stage, current, config.decontaminate):
            console.print(f"[bold]decontaminate[/bold] against {benchmarks}")
            settings = DecontSettings(**opts)
            decontaminate(
                current, stage, benchmarks, settings, only, config.tasks, config.workers, 20, custom_tasks
            )
        summary["decontaminate"] = storage.read_json(storage.join(stage, "report.json"))
        current = storage.join(stage, "data")

    if config.dedup is not None:
        from crossthink_data.curation.dedup import DEFAULT_TRUST_ORDER, DedupSettings, dedup

        stage = storage.join(work, "curation", "2_dedup")
        opts = dict(config.dedup)
        opts["trust_order"] = tuple(opts.get("trust_order") or DEFAULT_TRUST_ORDER)
        if not _fresh(stage, current, opts):
            console.print("[bold]dedup[/bold]")
            dedup(current, stage, DedupSettings(**opts), config.tasks, config.workers)
        summary["dedup"] = storage.read_json(storage.join(stage, "report.json"))
        current = storage.join(stage, "data")

    if config.difficulty:
        from crossthink_data.curation.difficulty import DifficultySettings, score_difficulty

        stage = storage.join(work, "curation", "3_difficulty")
        settings = from_dict(DifficultySettings, config.difficulty, "recipe: difficulty")
        if not _fresh(stage, current, config.difficulty):
            console.print(f"[bold]difficulty[/bold] with {settings.generation.model}")
            score_difficulty(current, stage, settings, config.tasks, config.workers)
        summary["difficulty"] = storage.read_json(storage.join(stage, "report.json"))
        current = storage.join(stage, "data")

    from crossthink_data.curation.blends import build_blend

    summary["blends"] = {}
    for name in config.blends:
        result = build_blend(current, name, out, commercial_only=config.commercial_only)
        console.print(f"[bold]blend-{result.name}[/bold]: {result.rows:,} rows -> {result.path}")
        summary["blends"][result.name] = {"rows": result.rows, "path": str(result.path), **result.counts}
    storage.write_text(storage.join(out, "build_summary.json"), json.dumps(summary, indent=2, default=str))
    return summary


def _absolute(location: str) -> str:
    """A local output as an absolute path (the job may start elsewhere); a URL as written."""
    return str(Path(storage.local_path(location)).resolve()) if storage.is_local(location) else location


def _job_dir(config: BuildConfig) -> str:
    """Local folder for the sbatch script and the job's log: ``<output>/_work``, or a local scratch
    folder when the output is remote (Slurm writes its log to a local path)."""
    return str(Path(storage.local_scratch(_absolute(config.output), "_work")).resolve())


def slurm_script(config: BuildConfig) -> str:
    """The sbatch script that runs this recipe on one node (stages use ``workers`` processes)."""
    if config.path is None:
        raise ValueError("a Slurm build needs the recipe loaded from a file (BuildConfig.load)")
    opts = {
        "job-name": "crossthink-build",
        "cpus-per-task": max(config.workers, 1),
        **{k.replace("_", "-"): v for k, v in config.slurm.items()},
    }
    lines = ["#!/bin/bash"] + [f"#SBATCH --{k}={v}" for k, v in opts.items()]
    lines.append(f"#SBATCH --output={_job_dir(config)}/slurm-%j.out")
    command = [
        sys.executable,
        "-m",
        "crossthink_data.cli",
        "build",
        str(Path(config.path).resolve()),
        "--output",
        _absolute(config.output),
        "--executor",
        "local",
    ]
    lines += ["set -euo pipefail", shlex.join(command)]
    return "\n".join(lines) + "\n"


def submit_slurm(config: BuildConfig) -> str:
    """Writes the sbatch script under ``<output>/_work`` and submits it; returns the job id."""
    script = Path(_job_dir(config)) / "build.sbatch"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(slurm_script(config), encoding="utf-8")
    result = subprocess.run(["sbatch", "--parsable", str(script)], capture_output=True, text=True, check=True)
    return result.stdout.strip().split(";")[0]


__all__ = ["BuildConfig", "SourceSpec", "link_pool", "run_build", "slurm_script", "submit_slurm"]
