"""The work folder of a build: where each stage writes, what the next one reads, and when a stage
can be skipped. ``build`` and every single-stage command (``sources``, ``decontaminate``, ``dedup``,
``difficulty``, ``blend``) go through here, so stages run one command at a time leave exactly the
folder a build leaves, and ``export`` (or a later ``build``) reads it::

    <work>/sources/<source>/...      the sources stage (crossthink_data.sources.run_source_stage)
    <work>/sources/report.json
    <work>/mining/                   the miner's stages (build only)
    <work>/curation/0_pool/          every templated row of the sources (and Syn-QA), linked
    <work>/curation/0_sample/        the pool with capped sources sampled (recipes with ``sample``)
    <work>/curation/1_decont/        data/, removed/, report.json, fingerprint.json
    <work>/curation/2_dedup/
    <work>/curation/3_difficulty/
    <work>/blends/<name>/            data/blend.parquet, report.json, fingerprint.json

A stage's input, when not given, is the output of the stage before it that finished (has a
``report.json``), else the pool: a stage left out is simply passed over.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from crossthink_data import storage
from crossthink_data.resume import REPORT, check_stage

SOURCES = "sources"
MINING = "mining"
POOL = "curation/0_pool"
BLENDS = "blends"
CURATION = {  # the curation stages, in pipeline order: stage name -> folder under the work folder
    "sample": "curation/0_sample",
    "decontaminate": "curation/1_decont",
    "dedup": "curation/2_dedup",
    "difficulty": "curation/3_difficulty",
}
# what the tool writes at the top of a work folder (a file of the user's there stops a command)
WORK_ENTRIES = (SOURCES, MINING, "curation", BLENDS, "export", "build_summary.json", "logs", "slurm")


def stage_dir(work: str, stage: str) -> str:
    """The folder ``stage`` (a curation stage name, ``sources``, ``mining`` or ``blends``) writes."""
    return storage.join(work, CURATION.get(stage, stage))


def finished(folder: str) -> bool:
    """A stage folder whose run ended (its ``report.json`` is written last)."""
    return storage.exists(storage.join(folder, REPORT))


def finished_blends(work: str) -> list[str]:
    """The blends sampled into ``<work>/blends/`` that finished, by name."""
    found = storage.glob(stage_dir(work, BLENDS), f"*/{REPORT}")
    return sorted(storage.basename(f.rsplit("/", 1)[0]) for f in found)


def stage_input(work: str, stage: str) -> str:
    """The rows ``stage`` (a curation stage or ``blends``) reads by default: the ``data/`` of the
    last finished curation stage before it, else the pool linked from the sources stage."""
    order = list(CURATION)
    before = order[: order.index(stage)] if stage in CURATION else order
    for name in reversed(before):
        if finished(stage_dir(work, name)):
            return storage.join(stage_dir(work, name), "data")
    return templated_pool(work)


def templated_pool(
    work: str,
    sources: list[str] | None = None,
    templates: tuple[str, ...] = ("mcq", "open"),
    mined: bool = True,
) -> str:
    """``<work>/curation/0_pool`` linked from the templated parquet of the sources stage (only
    ``sources`` when given, else every source its report names) and, with ``mined``, of the miner's
    Syn-QA rows; a work folder without any templated row is a ``FileNotFoundError``."""
    from crossthink_data.sources import parquet_files, read_source_report

    sources_dir = stage_dir(work, SOURCES)
    if sources is None:
        sources = list(dict.fromkeys(e["source"] for e in read_source_report(sources_dir)))
    files = [f for s in sources for t in templates for f in parquet_files(sources_dir, s, t)]
    files += [f for t in templates for f in mined_files(work, t)] if mined else []
    if not files:
        raise FileNotFoundError(
            f"{work} holds no templated rows: run `crossthink-data sources NAME -o {work}` first, or pass --input"
        )
    return link_pool(files, storage.join(work, POOL))


def mined_files(work: str, config: str) -> list[str]:
    """The miner's Syn-QA parquet of one config (``records``, ``mcq``, ``open``) under ``<work>/mining``."""
    folder = storage.join(work, MINING, "parse", config)
    return storage.list_files(folder, (".parquet",)) if storage.is_dir(folder) else []


def link_pool(parquet_files: list[str], pool_dir: str) -> str:
    """One folder holding every templated parquet file, named uniquely (``<i>_<source>_<config>_<file>``).

    Local storage gets symlinks; elsewhere (``s3://``...) the files are copied, server-side when the
    pool is on the same store, since object stores have no links and every stage reads a folder.
    The pool is left as it is while its files are (:mod:`crossthink_data.resume`): a copy made again
    would be a new input to every later stage.
    """
    names = [storage.as_url(f) for f in parquet_files]
    if check_stage(pool_dir, names, {"files": names}, "pool", say=lambda line: None):
        return pool_dir
    local = storage.is_local(pool_dir)
    for i, file in enumerate(names):
        *_, source, _parquet, config, name = file.split("/")
        target = storage.join(pool_dir, f"{i:05d}_{source}_{config}_{name}")
        if local and storage.is_local(file):
            os.symlink(os.path.realpath(storage.local_path(file)), storage.local_path(target))
        else:
            storage.copy(file, target)
    storage.write_json(storage.join(pool_dir, REPORT), {"files": len(names)})
    return pool_dir


def stage_inputs(stage: str, rows: str, settings: Any) -> list[str | None]:
    """What ``stage`` reads, for its fingerprint: the rows, and for ``decontaminate`` the benchmark
    folder it indexes (a changed benchmark file redoes the stage; a shipped name has no files)."""
    benchmarks = getattr(settings, "benchmarks", None) if stage == "decontaminate" else None
    folder = benchmarks if isinstance(benchmarks, str) and storage.is_dir(benchmarks) else None
    return [rows, folder]


def run_stage(
    folder: str,
    inputs: str | list[str | None],
    settings: Any,
    run: Callable[[], Any],
    name: str | None = None,
) -> dict[str, Any]:
    """Calls ``run`` (which writes ``folder``) unless the stage finished on these inputs and
    settings; returns the stage's ``report.json``.

    The one resume rule (:func:`crossthink_data.resume.check_stage`) decides: a stage that finished
    on the same inputs' identity and settings is skipped; one begun on them is kept as it is, so its
    rerun resumes from datatrove's completion markers (and a model-calling stage's checkpoints); a
    changed input or setting clears it first (with its local scratch checkpoints, for a remote
    stage), says so in one line and runs it, so it never mixes with old output.
    """
    inputs = [inputs] if isinstance(inputs, str) else inputs
    checkpoints = storage.local_scratch(folder, "checkpoints")
    label = name or storage.basename(folder)
    if not check_stage(folder, inputs, settings, label, also_clear=[checkpoints]):
        run()
    return storage.read_json(storage.join(folder, REPORT))


def run_blend_stage(pool: str, spec: Any, work: str, commercial_only: bool = False) -> dict[str, Any]:
    """Samples the blend ``spec`` (a :class:`~crossthink_data.curation.blends.BlendSpec`) from
    ``pool`` into ``<work>/blends/<name>/`` (skipped when fresh); returns its report."""
    from dataclasses import asdict

    from crossthink_data.curation.blends import write_blend

    folder = storage.join(work, BLENDS, spec.name)
    settings = {"spec": asdict(spec), "commercial_only": commercial_only}
    run = lambda: write_blend(pool, spec, folder, commercial_only)  # noqa: E731
    return run_stage(folder, pool, settings, run, f"blend {spec.name}")


__all__ = [
    "BLENDS",
    "CURATION",
    "MINING",
    "POOL",
    "SOURCES",
    "WORK_ENTRIES",
    "finished",
    "finished_blends",
    "link_pool",
    "mined_files",
    "run_blend_stage",
    "run_stage",
    "stage_dir",
    "stage_inputs",
    "stage_input",
    "templated_pool",
]
