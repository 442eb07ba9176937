"""Filter H and the templates over whole pyarrow tables: the fast path for large runs.

The scalar functions (:func:`crossthink_data.filters.filter_h_failure`,
:func:`crossthink_data.templates.render`) are the reference; this module computes the same rules
and the same rows column-wise with ``pyarrow.compute`` (C++ and RE2), which is what lets filter H
and templating run at hundreds of thousands of records per second on one core. Filter H's rules
and their vectorised predicates are declared once, in :data:`crossthink_data.filters.RULES`; this
module only iterates them. Tests check both paths agree row for row on real data.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from crossthink_data.filters import LABEL_ARRAY, RULES, Columns
from crossthink_data.record import TEMPLATES, arrow_schema
from crossthink_data.templates import (
    LABEL_SEPARATOR,
    MATH_INSTRUCTION,
    MCQ_INSTRUCTION,
    OPEN_INSTRUCTION,
    OPTION_SEPARATOR,
    OPTIONS_HEADER,
    QUESTION_HEADER,
)


def _col(table: pa.Table, name: str) -> pa.Array:
    return table.column(name).combine_chunks()


def filter_h_table(table: pa.Table, template: str) -> pa.Array:
    """Per row: the name of the first filter-H rule it breaks under ``template``, or null to keep it.

    Iterates :data:`crossthink_data.filters.RULES` (the one declaration of filter H) with each
    rule's vectorised predicate; the first failing rule in table order names the row.
    """
    if template not in TEMPLATES:
        raise ValueError(f"unknown template {template!r}; expected 'mcq' or 'open'")
    columns = Columns(table)
    result = pa.nulls(table.num_rows, pa.string())
    for rule in reversed([rule for rule in RULES if template in rule.templates]):
        result = pc.if_else(rule.fails_table(columns, template), pa.scalar(rule.name), result)
    return result


def _mcq_content(question: pa.Array, options: pa.Array) -> pa.Array:
    """T_MCQ's user message: instruction, question, then "A. option" lines."""
    flat = pc.utf8_trim_whitespace(options.flatten())
    offsets = pc.subtract(pc.cast(options.offsets, pa.int64()), options.offsets[0].as_py())
    starts = pc.take(offsets.slice(0, len(options)), pc.list_parent_indices(options))
    positions = pc.subtract(pa.array(range(len(flat)), pa.int64()), starts)
    lines = pc.binary_join_element_wise(pc.take(LABEL_ARRAY, positions), flat, LABEL_SEPARATOR)
    joined = pc.binary_join(pa.ListArray.from_arrays(pc.cast(offsets, pa.int32()), lines), OPTION_SEPARATOR)
    prefix = MCQ_INSTRUCTION + QUESTION_HEADER
    return pc.binary_join_element_wise(prefix, pc.utf8_trim_whitespace(question), OPTIONS_HEADER, joined, "")


def render_table(table: pa.Table, template: str) -> pa.Table:
    """The templated rows (same columns and values as :func:`templates.render`) for every row of ``table``."""
    n = table.num_rows
    question = _col(table, "question")
    is_math = pc.equal(_col(table, "domain"), "math")
    if template == "mcq":
        options = _col(table, "options")
        if options.null_count:
            raise ValueError("T_MCQ needs options on every row; filter with filter_h_table first")
        content = _mcq_content(question, options)
        ground_truth = _col(table, "answer")
        kind = pa.array(["mcq"] * n, pa.string())
    elif template == "open":
        instruction = pc.if_else(is_math, MATH_INSTRUCTION, OPEN_INSTRUCTION)
        content = pc.binary_join_element_wise(instruction, pc.utf8_trim_whitespace(question), QUESTION_HEADER)
        ground_truth = pc.utf8_trim_whitespace(Columns(table).open_answer)
        kind = pc.if_else(is_math, "math", "open")
    else:
        raise ValueError(f"unknown template {template!r}; expected 'mcq' or 'open'")
    message = pa.StructArray.from_arrays(
        [content, pa.array(["user"] * n, pa.string())], names=["content", "role"]
    )
    prompt = pa.ListArray.from_arrays(pa.array(range(n + 1), pa.int32()), message)
    columns = {name: _col(table, name) for name in arrow_schema().names}
    columns.update(
        template=pa.array([template] * n, pa.string()), kind=kind, prompt=prompt, ground_truth=ground_truth
    )
    schema = arrow_schema(templated=True)
    return pa.Table.from_arrays([pc.cast(columns[f.name], f.type) for f in schema], schema=schema)


def filter_and_render(table: pa.Table, template: str) -> tuple[pa.Table, pa.Table]:
    """(templated rows that pass filter H, rejected record rows with a ``filter_reason`` column)."""
    failures = filter_h_table(table, template)
    keep = pc.is_null(failures)
    rejected = table.filter(pc.invert(keep)).append_column(
        "filter_reason", pc.filter(failures, pc.invert(keep))
    )
    return render_table(table.filter(keep), template), rejected
