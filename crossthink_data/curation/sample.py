"""Sampling each source to a number of questions (the paper's Table 1 sizes), seeded and reproducible.

The paper trains on a fixed number of questions per source (``crossthink_data.paper.TABLE1_QUESTIONS``:
NuminaMath 87,350 of its ~860k, Natural Reasoning 100,000...). A recipe source's ``sample`` keeps
that many of the source's questions after filter H, before decontamination: the build's
``curation/0_sample`` stage. A question is kept with all its rows (T_MCQ and T_Open share the
record ``id``), so a blend can still choose its form.

Which questions: the ``sample`` with the smallest seeded hash of their ``id`` (BLAKE2b keyed by the
seed). The choice depends only on the seed and the question ids, not on file layout, task count or
row order; raising ``sample`` keeps every question a smaller sample kept; another seed draws
another sample. A source with no more questions than ``sample`` is kept whole (the card says where
filter H or the upstream size made it smaller than the paper's count).
"""

from __future__ import annotations

import hashlib
from contextlib import ExitStack

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from crossthink_data import storage
from crossthink_data.rows import parquet_batches, row_files


def question_key(question_id: str, seed: int) -> bytes:
    """The seeded hash that orders a source's questions for sampling (smallest first)."""
    return hashlib.blake2b(question_id.encode(), digest_size=8, key=str(seed).encode()).digest()


def sampled_ids(ids_per_source: dict[str, set[str]], caps: dict[str, int], seed: int) -> dict[str, list[str]]:
    """Per capped source with more questions than its cap, the ids kept: the ``cap`` smallest keys."""
    kept = {}
    for source, cap in caps.items():
        ids = ids_per_source.get(source, set())
        if len(ids) > cap:
            kept[source] = sorted(ids, key=lambda i: question_key(i, seed))[:cap]
    return kept


def _question_ids(files: list[str], sources: set[str]) -> dict[str, set[str]]:
    """Distinct question ids of every source in ``sources``, from two columns of the pool."""
    found: dict[str, set[str]] = {}
    for file in files:
        for batch in parquet_batches(file, ["id", "source"], 65_536):
            table = pa.Table.from_batches([batch]).filter(
                pc.is_in(batch["source"], pa.array(sorted(sources)))
            )
            for source, question_id in zip(table["source"].to_pylist(), table["id"].to_pylist()):
                found.setdefault(source, set()).add(question_id)
    return found


def sample_sources(pool_dir: str, stage_dir: str, caps: dict[str, int], seed: int = 0) -> dict:
    """Writes the pool's rows with every capped source sampled to its cap (see the module doc) to
    ``stage_dir/data`` (one parquet file per pool file, same names) and ``report.json``: questions
    per capped source before and after, rows in and kept. Returns the report."""
    files = row_files(pool_dir)
    per_source = _question_ids(files, set(caps))
    kept = sampled_ids(per_source, caps, seed)
    sampled = pa.array(sorted(kept), pa.string())
    keep_ids = pa.array([i for ids in kept.values() for i in ids], pa.string())
    rows_in = rows_kept = 0
    for file in files:
        with ExitStack() as stack:
            writer = None
            for batch in parquet_batches(file):
                rows_in += batch.num_rows
                mask = pc.or_(pc.invert(pc.is_in(batch["source"], sampled)), pc.is_in(batch["id"], keep_ids))
                table = pa.Table.from_batches([batch]).filter(mask)
                rows_kept += table.num_rows
                if table.num_rows and writer is None:
                    out = stack.enter_context(
                        storage.open_url(storage.join(stage_dir, "data", storage.basename(file)), "wb")
                    )
                    writer = stack.enter_context(pq.ParquetWriter(out, table.schema))
                if table.num_rows:
                    writer.write_table(table)
    report = {
        "seed": seed,
        "caps": dict(caps),
        "questions": {
            s: {"before": len(per_source.get(s, ())), "kept": len(kept.get(s, per_source.get(s, ())))}
            for s in caps
        },
        "rows_in": rows_in,
        "kept": rows_kept,
    }
    storage.write_json(storage.join(stage_dir, "report.json"), report)
    return report
