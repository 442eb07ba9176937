"""`crossthink-data build RECIPE`: the whole data recipe in one resumable command.

    sources -> filter H -> T_MCQ / T_Open      (crossthink_data.sources.subsets: one Hub folder per source)
      -> decontaminate -> dedup -> difficulty  (this package; difficulty only when a model is set)
      -> blends                                (one Hub folder ``blend-<name>`` per blend)

Every stage is a set of datatrove pipelines with completion markers under ``<output>/_work``,
and a curation stage that finished on the same input files with the same settings is skipped
(any change clears it), so rerunning the same command after a crash, or after adding a blend,
only does what is missing. ``executor: slurm`` submits
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
    from_dir: Path | None = None
    limit: int | None = None


@dataclass
class BuildConfig:
    """A parsed build recipe (see the module doc)."""

    sources: list[SourceSpec]
    output: Path = Path("build_output")
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
            if candidate.is_dir():
                decont["benchmarks"] = str(candidate)
        config = cls(sources=sources, path=path, **values)
        if config.executor not in ("local", "slurm"):
            raise ValueError(f"executor must be 'local' or 'slurm', got {config.executor!r}")
        bad = sorted(set(config.templates) - {"mcq", "open"})
        if bad or not config.templates:
            raise ValueError(f"templates must be a non-empty subset of [mcq, open], got {config.templates}")
        return config


def _resolve(value: str | Path, base: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base / path)


def _fresh(stage_dir: Path, input_dir: Path, settings: Any) -> bool:
    """True when the stage finished on exactly these input files and settings (then it is skipped).

    Otherwise the stage folder is cleared, so a changed pool or setting never mixes with old output.
    """
    import shutil

    files = sorted(p for p in Path(input_dir).rglob("*") if p.is_file())
    fingerprint = json.dumps(
        {"inputs": [[str(p.relative_to(input_dir)), p.stat().st_size] for p in files], "settings": settings},
        sort_keys=True,
        default=str,
    )
    marker = stage_dir / "fingerprint.json"
    if (stage_dir / "report.json").exists() and marker.exists() and marker.read_text() == fingerprint:
        return True
    shutil.rmtree(stage_dir, ignore_errors=True)
    stage_dir.mkdir(parents=True)
    marker.write_text(fingerprint)
    return False


def link_pool(parquet_files: list[Path], pool_dir: Path) -> Path:
    """One folder holding (symlinks to) every templated parquet file, named uniquely."""
    pool_dir.mkdir(parents=True, exist_ok=True)
    for old in pool_dir.glob("*.parquet"):
        old.unlink()
    for i, file in enumerate(Path(storage.local_path(f)) for f in parquet_files):
        (pool_dir / f"{i:05d}_{file.parent.parent.parent.name}_{file.parent.name}_{file.name}").symlink_to(
            file.resolve()
        )
    return pool_dir


def run_build(config: BuildConfig) -> dict[str, Any]:
    """Runs (or resumes) the recipe; on Slurm, submits it and returns the job id instead."""
    if config.executor == "slurm":
        return {"slurm_job": submit_slurm(config)}
    from rich.console import Console

    from crossthink_data.sources import build_source_subset, parquet_files, summary_table

    console = Console()
    out = Path(config.output)
    work = out / "_work"
    summary: dict[str, Any] = {}

    source_summaries = []
    for source in config.sources:
        console.print(f"[bold]source {source.name}[/bold] -> {out / source.name}")
        source_summaries += build_source_subset(
            source.name,
            out,
            work / "sources",
            source.from_dir,
            source.limit,
            ["records", *config.templates],
            config.tasks,
            config.workers,
        )
    console.print(summary_table(source_summaries))
    files = [
        f
        for s in config.sources
        for t in config.templates
        for f in parquet_files(work / "sources", s.name, t)
    ]
    if not files:
        raise RuntimeError("no templated rows came out of the sources: nothing to curate")
    current = link_pool(files, work / "curation" / "0_pool")

    if config.decontaminate:
        from crossthink_data.curation.decont import DecontSettings, decontaminate

        stage = work / "curation" / "1_decont"
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
        summary["decontaminate"] = json.loads((stage / "report.json").read_text())
        current = stage / "data"

    if config.dedup is not None:
        from crossthink_data.curation.dedup import DEFAULT_TRUST_ORDER, DedupSettings, dedup

        stage = work / "curation" / "2_dedup"
        opts = dict(config.dedup)
        opts["trust_order"] = tuple(opts.get("trust_order") or DEFAULT_TRUST_ORDER)
        if not _fresh(stage, current, opts):
            console.print("[bold]dedup[/bold]")
            dedup(current, stage, DedupSettings(**opts), config.tasks, config.workers)
        summary["dedup"] = json.loads((stage / "report.json").read_text())
        current = stage / "data"

    if config.difficulty:
        from crossthink_data.curation.difficulty import DifficultySettings, score_difficulty

        stage = work / "curation" / "3_difficulty"
        settings = from_dict(DifficultySettings, config.difficulty, "recipe: difficulty")
        if not _fresh(stage, current, config.difficulty):
            console.print(f"[bold]difficulty[/bold] with {settings.model}")
            score_difficulty(current, stage, settings, config.tasks, config.workers)
        summary["difficulty"] = json.loads((stage / "report.json").read_text())
        current = stage / "data"

    from crossthink_data.curation.blends import build_blend

    summary["blends"] = {}
    for name in config.blends:
        result = build_blend(current, name, out, commercial_only=config.commercial_only)
        console.print(f"[bold]blend-{result.name}[/bold]: {result.rows:,} rows -> {result.path}")
        summary["blends"][result.name] = {"rows": result.rows, "path": str(result.path), **result.counts}
    (out / "build_summary.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    return summary


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
    lines.append(f"#SBATCH --output={Path(config.output).resolve()}/_work/slurm-%j.out")
    command = [
        sys.executable,
        "-m",
        "crossthink_data.cli",
        "build",
        str(Path(config.path).resolve()),
        "--output",
        str(Path(config.output).resolve()),
        "--executor",
        "local",
    ]
    lines += ["set -euo pipefail", shlex.join(command)]
    return "\n".join(lines) + "\n"


def submit_slurm(config: BuildConfig) -> str:
    """Writes the sbatch script under ``<output>/_work`` and submits it; returns the job id."""
    work = Path(config.output) / "_work"
    work.mkdir(parents=True, exist_ok=True)
    script = work / "build.sbatch"
    script.write_text(slurm_script(config), encoding="utf-8")
    result = subprocess.run(["sbatch", "--parsable", str(script)], capture_output=True, text=True, check=True)
    return result.stdout.strip().split(";")[0]


__all__ = ["BuildConfig", "SourceSpec", "link_pool", "run_build", "slurm_script", "submit_slurm"]
