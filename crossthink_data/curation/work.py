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

import json
import os
from collections.abc import Callable
from typing import Any

from crossthink_data import storage
from crossthink_data.config import public

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
REPORT = "report.json"


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


def fresh(folder: str, input_dir: str, settings: Any) -> bool:
    """True when the stage finished on exactly these input files and settings (then it is skipped).

    A stage begun on the same inputs and settings is kept as it is, so its rerun resumes from
    datatrove's completion markers (and a model-calling stage's cache); a changed pool or setting
    clears the folder first, so it never mixes with old output (datatrove would otherwise skip the
    tasks its old markers name).
    """
    fingerprint = json.dumps(
        {"inputs": sorted(storage.file_sizes(input_dir).items()), "settings": public(settings)},
        sort_keys=True,
        default=str,
    )
    marker = storage.join(folder, "fingerprint.json")
    if storage.exists(marker) and storage.read_text(marker) == fingerprint:
        # finished: skipped; unfinished: datatrove's markers resume it (a rerun sends only what is missing)
        return finished(folder)
    storage.remove(folder)
    storage.write_text(marker, fingerprint)
    return False


def run_stage(folder: str, input_dir: str, settings: Any, run: Callable[[], Any]) -> dict[str, Any]:
    """Calls ``run`` (which writes ``folder``) unless it already finished on these inputs and
    settings; returns the stage's ``report.json``."""
    if not fresh(folder, input_dir, settings):
        run()
    return storage.read_json(storage.join(folder, REPORT))


def run_blend_stage(pool: str, spec: Any, work: str, commercial_only: bool = False) -> dict[str, Any]:
    """Samples the blend ``spec`` (a :class:`~crossthink_data.curation.blends.BlendSpec`) from
    ``pool`` into ``<work>/blends/<name>/`` (skipped when fresh); returns its report."""
    from dataclasses import asdict

    from crossthink_data.curation.blends import write_blend

    folder = storage.join(work, BLENDS, spec.name)
    settings = {"spec": asdict(spec), "commercial_only": commercial_only}
    return run_stage(folder, pool, settings, lambda: write_blend(pool, spec, folder, commercial_only))


__all__ = [
    "BLENDS",
    "CURATION",
    "MINING",
    "POOL",
    "SOURCES",
    "finished",
    "finished_blends",
    "fresh",
    "link_pool",
    "mined_files",
    "run_blend_stage",
    "run_stage",
    "stage_dir",
    "stage_input",
    "templated_pool",
]
