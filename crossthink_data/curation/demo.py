"""The curation half of ``make demo``: the headline blend ``blend-crossthink`` from the demo subsets.

The foundation's demo first writes one Hub folder per demo source under ``output_dir`` (their
``mcq`` / ``open`` configs are the pool). :func:`run` then decontaminates that pool against the
MATH-500 rows shipped in ``demo_benchmarks/``, deduplicates it across sources, and samples the
paper's 2:1 general-purpose : math blend into ``output_dir/blend-crossthink``. No model runs in
the demo, so there is no difficulty filter. Stage outputs and reports go to
``output_dir/_curation``.
"""

from __future__ import annotations

import json
from pathlib import Path

from crossthink_data import storage

DEMO_BENCHMARKS = Path(__file__).resolve().parent / "demo_benchmarks"
HEADLINE_BLEND = "crossthink"


def pool_files(output_dir: str) -> list[str]:
    """Templated shards of every exported subset under ``output_dir`` (blends excluded), as URLs."""
    files = []
    for shard in storage.glob(output_dir, "*/data/*/*.parquet"):
        subset, _data, config, _name = storage.relative(shard, output_dir).split("/")
        if config in ("mcq", "open") and not subset.startswith(("blend-", "_", ".")):
            files.append(shard)
    return files


def run(output_dir: str, blend: str = HEADLINE_BLEND) -> str:
    """Builds ``output_dir/blend-<blend>`` from the subsets already in ``output_dir`` (any storage
    URL); returns its URL."""
    from rich.console import Console

    from crossthink_data.curation.blends import build_blend
    from crossthink_data.curation.build import link_pool
    from crossthink_data.curation.decont import decontaminate
    from crossthink_data.curation.dedup import dedup

    output_dir = storage.as_url(output_dir)
    files = pool_files(output_dir)
    if not files:
        raise FileNotFoundError(
            f"no mcq/open shards under {output_dir}/<subset>/data/: run the source demo first (make demo)"
        )
    console = Console()
    work = storage.join(output_dir, "_curation")
    pool = link_pool(files, storage.join(work, "0_pool"))
    decont = decontaminate(pool, storage.join(work, "1_decont"), str(DEMO_BENCHMARKS))
    hits = ", ".join(f"{b}: {v['hits']}" for b, v in decont.per_benchmark.items()) or "no hits"
    console.print(f"decontaminate: {decont.rows_in:,} rows, removed {decont.removed:,} ({hits})")
    deduped = dedup(storage.join(work, "1_decont", "data"), storage.join(work, "2_dedup"))
    removed = sum(deduped.exact_removed.values()) + sum(deduped.near_removed.values())
    console.print(f"dedup: kept {deduped.kept:,}, removed {removed:,} duplicates")
    result = build_blend(storage.join(work, "2_dedup", "data"), blend, output_dir)
    console.print(
        f"blend-{result.name}: {result.rows:,} rows {json.dumps(result.counts['domain'])} -> {result.path}"
    )
    return result.path
