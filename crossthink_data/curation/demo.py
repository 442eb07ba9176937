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

DEMO_BENCHMARKS = Path(__file__).resolve().parent / "demo_benchmarks"
HEADLINE_BLEND = "crossthink"


def pool_files(output_dir: Path) -> list[Path]:
    """Templated shards of every exported subset under ``output_dir`` (blends excluded)."""
    files = []
    for subset in sorted(p for p in Path(output_dir).iterdir() if p.is_dir()):
        if subset.name.startswith(("blend-", "_", ".")):
            continue
        for config in ("mcq", "open"):
            files += sorted((subset / "data" / config).glob("*.parquet"))
    return files


def run(output_dir: Path, blend: str = HEADLINE_BLEND) -> Path:
    """Builds ``output_dir/blend-<blend>`` from the subsets already in ``output_dir``; returns its path."""
    from rich.console import Console

    from crossthink_data.curation.blends import build_blend
    from crossthink_data.curation.build import link_pool
    from crossthink_data.curation.decont import decontaminate
    from crossthink_data.curation.dedup import dedup

    output_dir = Path(output_dir)
    files = pool_files(output_dir)
    if not files:
        raise FileNotFoundError(
            f"no mcq/open shards under {output_dir}/<subset>/data/: run the source demo first (make demo)"
        )
    console = Console()
    work = output_dir / "_curation"
    pool = link_pool(files, work / "0_pool")
    decont = decontaminate(pool, work / "1_decont", DEMO_BENCHMARKS)
    hits = ", ".join(f"{b}: {v['hits']}" for b, v in decont.per_benchmark.items()) or "no hits"
    console.print(f"decontaminate: {decont.rows_in:,} rows, removed {decont.removed:,} ({hits})")
    deduped = dedup(work / "1_decont" / "data", work / "2_dedup")
    removed = sum(deduped.exact_removed.values()) + sum(deduped.near_removed.values())
    console.print(f"dedup: kept {deduped.kept:,}, removed {removed:,} duplicates")
    result = build_blend(work / "2_dedup" / "data", blend, output_dir)
    console.print(
        f"blend-{result.name}: {result.rows:,} rows {json.dumps(result.counts['domain'])} -> {result.path}"
    )
    return result.path
