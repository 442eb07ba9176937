"""Compare two evaluations: per-benchmark deltas and the paper's token-efficiency figure.

    crossthink-eval compare eval_math_only eval_crossthink

Each argument is an output dir of ``crossthink-eval run`` (its ``results.json``) or the file itself.
The deltas are of the paper-comparable metric (``boxed_accuracy``, mean over the runs), B minus A.

Token efficiency, the paper's way (Table 9, "28% fewer tokens for correct answers"): per task
group (general-purpose reasoning, math, and MMLU alone, groups as listed in
``paper_results.json``), the mean over the group's benchmarks of each benchmark's mean token count
of CORRECT responses; the reduction is ``1 - B / A`` per group. How the paper turns its groups into
one 28% is not stated in what we could read, so the overall figure printed is the mean of the
GPR and math groups' reductions (27.3% from the paper's own Table 9 numbers) and is labelled so.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crossthink_eval.metrics import ACCURACY, BOXED_ACCURACY, CORRECT_TOKENS

HEADLINE_GROUPS = ("gpr", "math")


class CompareError(ValueError):
    """An argument is not an evaluation output (no readable results.json)."""


def load_results(path: str | Path) -> dict[str, Any]:
    """``results.json`` of an eval output dir (or the file itself)."""
    path = Path(path).expanduser()
    file = path / "results.json" if path.is_dir() else path
    if not file.is_file():
        raise CompareError(f"no results.json at {path} (pass a crossthink-eval run --output-dir)")
    try:
        results = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise CompareError(f"{file} is not valid JSON: {err}") from None
    if not isinstance(results, dict) or not isinstance(results.get("benchmarks"), dict):
        raise CompareError(f"{file} has no 'benchmarks' table (not a crossthink-eval results file)")
    return results


def _delta(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else b - a


def group_tokens(benchmarks: dict[str, Any], members: list[str]) -> float | None:
    """Mean over the group's benchmarks (those present with a correct answer) of their mean
    tokens of correct responses; None when no benchmark of the group has one."""
    values = [benchmarks[name].get(CORRECT_TOKENS) for name in members if name in benchmarks]
    values = [v for v in values if v is not None]
    return statistics.fmean(values) if values else None


@dataclass
class Comparison:
    """Per-benchmark deltas and per-group token efficiency of B against A."""

    benchmarks: dict[str, dict[str, float | None]]
    tokens: dict[str, dict[str, float | None]]
    fewer_tokens: float | None  # mean of the GPR and math groups' reductions, as a fraction

    def to_dict(self) -> dict[str, Any]:
        return {"benchmarks": self.benchmarks, "tokens": self.tokens, "fewer_tokens": self.fewer_tokens}


def compare(a: dict[str, Any], b: dict[str, Any], groups: dict[str, list[str]]) -> Comparison:
    """B against A on the benchmarks both evaluated, and per task group of ``groups``."""
    rows = {}
    for name in [n for n in a["benchmarks"] if n in b["benchmarks"]]:
        ra, rb = a["benchmarks"][name], b["benchmarks"][name]
        rows[name] = {
            "a": ra.get(BOXED_ACCURACY),
            "b": rb.get(BOXED_ACCURACY),
            "delta": _delta(ra.get(BOXED_ACCURACY), rb.get(BOXED_ACCURACY)),
            "strict_delta": _delta(ra.get(ACCURACY), rb.get(ACCURACY)),
        }
    tokens = {}
    shared = set(rows)
    for group, members in groups.items():
        members = [m for m in members if m in shared]
        ta, tb = group_tokens(a["benchmarks"], members), group_tokens(b["benchmarks"], members)
        reduction = 1 - tb / ta if ta and tb is not None else None
        tokens[group] = {"a": ta, "b": tb, "fewer": reduction}
    reductions = [tokens[g]["fewer"] for g in HEADLINE_GROUPS if tokens.get(g, {}).get("fewer") is not None]
    return Comparison(rows, tokens, statistics.fmean(reductions) if reductions else None)


def _num(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def render(comparison: Comparison, label_a: str, label_b: str) -> str:
    """Markdown tables: deltas per benchmark, then tokens of correct responses per group."""
    lines = [
        f"A: `{label_a}`  B: `{label_b}`",
        "",
        "| benchmark | A boxed acc. | B boxed acc. | B - A | B - A (strict) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, row in comparison.benchmarks.items():
        cells = [_num(row["a"], ".1f"), _num(row["b"], ".1f"), _num(row["delta"], "+.1f")]
        lines.append(f"| {name} | " + " | ".join([*cells, _num(row["strict_delta"], "+.1f")]) + " |")
    lines += [
        "",
        "| task group | A tokens (correct) | B tokens (correct) | B fewer |",
        "|---|---:|---:|---:|",
    ]
    for group, row in comparison.tokens.items():
        lines.append(
            f"| {group} | {_num(row['a'], '.0f')} | {_num(row['b'], '.0f')} | {_num(row['fewer'], '.1%')} |"
        )
    lines += [
        "",
        f"B uses {_num(comparison.fewer_tokens, '.1%')} fewer tokens for correct answers than A "
        "(mean of the GPR and math groups' reductions; the paper's headline: 28%).",
    ]
    return "\n".join(lines)


def compare_runs(path_a: str | Path, path_b: str | Path, output: str | Path | None = None) -> Comparison:
    """Load two results, print the comparison, optionally write it as JSON to ``output``."""
    from crossthink_eval.results import load_paper_results

    groups = load_paper_results()["table9"]["groups"]
    comparison = compare(load_results(path_a), load_results(path_b), groups)
    print(render(comparison, str(path_a), str(path_b)))
    if output:
        Path(output).write_text(json.dumps(comparison.to_dict(), indent=2) + "\n", encoding="utf-8")
    return comparison
