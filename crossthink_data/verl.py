"""veRL rows: the shape veRL's ``RLHFDataset`` reads and its reward managers hand to a reward.

NVIDIA's Nemotron-CrossThink release shares ``data_source``, ``prompt`` and ``reward_model`` with
this layout but keeps its metadata in ``meta_data`` (``question``, ``index``, ...), where veRL's
reward managers pass ``extra_info`` to the reward function: we write ``extra_info``, which
:mod:`crossthink_train.verl_reward` reads (the answer ``kind`` and MCQ ``options``).

One templated CrossThink row (a blend row) becomes::

    data_source   the row's source ("mmlu_train", ...)
    prompt        the same chat messages TRL trains on ([{role, content}])
    ability       the row's domain ("gpr" or "math")
    reward_model  {"style": "rule", "ground_truth": <what the reward compares the \\boxed{} answer with>}
    extra_info    {id, kind, options, source, template, question, answer, answer_text, domain,
                   category, subject, provenance, index}

``extra_info`` carries every record field, so the NVIDIA-release adapter
(:mod:`crossthink_data.sources.nvidia`) reads a ``blend-<name>-verl`` config back into the very same
records (tested). Conversion is per Arrow batch, so a blend of any size streams through.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

EXTRA_INFO_FIELDS = (
    ("id", "string"),
    ("index", "int64"),
    ("source", "string"),
    ("kind", "string"),
    ("template", "string"),
    ("domain", "string"),
    ("category", "string"),
    ("subject", "string"),
    ("question", "string"),
    ("options", "list<string>"),
    ("answer", "string"),
    ("answer_text", "string"),
    ("provenance", "string"),
)
REWARD_STYLE = "rule"


def verl_schema():
    """The Arrow schema of a veRL config (pyarrow imported here: the row mapping needs none)."""
    import pyarrow as pa

    types = {"string": pa.string(), "int64": pa.int64(), "list<string>": pa.list_(pa.string())}
    message = pa.struct([pa.field("content", pa.string()), pa.field("role", pa.string())])
    reward = pa.struct([pa.field("style", pa.string()), pa.field("ground_truth", pa.string())])
    extra = pa.struct([pa.field(name, types[kind]) for name, kind in EXTRA_INFO_FIELDS])
    return pa.schema(
        [
            pa.field("data_source", pa.string()),
            pa.field("prompt", pa.list_(message)),
            pa.field("ability", pa.string()),
            pa.field("reward_model", reward),
            pa.field("extra_info", extra),
        ]
    )


def verl_row(row: dict[str, Any], index: int) -> dict[str, Any]:
    """One templated row (``templates.render`` output, or a blend row) as a veRL row."""
    extra = {name: row.get(name) for name, _ in EXTRA_INFO_FIELDS if name != "index"}
    extra["index"] = index
    return {
        "data_source": row["source"],
        "prompt": row["prompt"],
        "ability": row["domain"],
        "reward_model": {"style": REWARD_STYLE, "ground_truth": row["ground_truth"]},
        "extra_info": extra,
    }


def verl_table(batch, offset: int = 0, schema=None):
    """A batch of templated rows (a ``pyarrow.Table``) as a veRL table; ``offset`` numbers its rows."""
    import pyarrow as pa

    rows = [verl_row(row, offset + i) for i, row in enumerate(batch.to_pylist())]
    return pa.Table.from_pylist(rows, schema=schema or verl_schema())


def verl_batches(tables: Iterator) -> Iterator[tuple]:
    """``(templated batch, veRL batch)`` pairs, numbering rows across batches."""
    schema = verl_schema()
    offset = 0
    for table in tables:
        yield table, verl_table(table, offset, schema)
        offset += table.num_rows


def record_fields(row: dict[str, Any]) -> dict[str, Any] | None:
    """The record fields a veRL row written by :func:`verl_row` carries in ``extra_info`` (None for
    a row from elsewhere, such as NVIDIA's own release)."""
    extra = row.get("extra_info")
    if not isinstance(extra, dict) or not extra.get("source") or not extra.get("question"):
        return None
    return {
        name: extra.get(name) for name, _ in EXTRA_INFO_FIELDS if name not in ("index", "kind", "template")
    }


__all__ = ["EXTRA_INFO_FIELDS", "record_fields", "verl_batches", "verl_row", "verl_schema", "verl_table"]
