"""Turn lighteval runs into results.json, results.md and a bar chart beside the paper's numbers.

Numbers are recomputed from lighteval's per-sample details (``--save-details``) rather than from its
per-task averages, so AGIEval's subsets pool into one benchmark score weighted by questions, and
the mean token count of correct answers pools over correct answers, not over subset means.

The headline is the paper-comparable metric, ``boxed_accuracy`` (the final ``\\boxed{}`` answer,
read the paper's way), as the mean and standard deviation over the N greedy runs of one
``crossthink-eval run --runs N`` (the paper reports the mean of 3), beside the paper's numbers;
strict ``accuracy`` (format AND answer, the training reward) and the format rate stand beside it.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crossthink_eval.benchmarks import BENCHMARKS, TASK_PREFIX
from crossthink_eval.metrics import (
    ACCURACY,
    AVG_AT_K,
    BOXED_ACCURACY,
    CORRECT_TOKENS,
    FORMAT_OK,
    raw_texts,
)

PAPER_RESULTS = Path(__file__).with_name("paper_results.json")
CATEGORY_KEY = "_category"  # per-sample group for the category breakdown (not a metric)
EMPTY_KEY = "_empty"  # per-sample flag: the response came back empty (not a metric)
EMPTY_RESPONSES = "empty_responses"
SCORE_METRICS = (ACCURACY, BOXED_ACCURACY, FORMAT_OK, AVG_AT_K)
HEADLINE = BOXED_ACCURACY  # the paper-comparable metric
RUN_METRICS = (*SCORE_METRICS, CORRECT_TOKENS)
PAPER_BASE, PAPER_CROSSTHINK = "qwen2.5-7b", "crossthink"


def load_paper_results(path: Path = PAPER_RESULTS) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def benchmark_of_task(task: str) -> str:
    """``crossthink_agieval:lsat-ar|0`` -> ``agieval``."""
    name = task.split("|")[0].split("@")[0].split(":")[0]
    if not name.startswith(TASK_PREFIX) or name[len(TASK_PREFIX) :] not in BENCHMARKS:
        raise ValueError(f"{task!r} is not a crossthink task")
    return name[len(TASK_PREFIX) :]


@dataclass
class Pool:
    """Per-sample metric values of one benchmark (all its subsets)."""

    values: dict[str, list[float]] = field(default_factory=dict)
    subsets: dict[str, int] = field(default_factory=dict)
    categories: dict[str, list[float]] = field(default_factory=dict)
    empty: dict[str, int] = field(default_factory=dict)

    def add(self, subset: str, metrics: dict[str, Any]) -> None:
        self.subsets[subset] = self.subsets.get(subset, 0) + 1
        self.empty[subset] = self.empty.get(subset, 0) + int(bool(metrics.get(EMPTY_KEY)))
        category = metrics.get(CATEGORY_KEY)
        if category:
            self.categories.setdefault(category, []).append(float(metrics[ACCURACY]))
        for name, value in metrics.items():
            if name not in (CATEGORY_KEY, EMPTY_KEY):
                self.values.setdefault(name, []).append(float(value) if value is not None else math.nan)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"n": sum(self.subsets.values()), EMPTY_RESPONSES: sum(self.empty.values())}
        if out[EMPTY_RESPONSES] and len(self.subsets) > 1:
            out["empty_by_subset"] = {name: n for name, n in sorted(self.empty.items()) if n}
        for name in SCORE_METRICS:
            values = self.values.get(name)
            out[name] = 100.0 * sum(values) / len(values) if values else None
        tokens = [v for v in self.values.get(CORRECT_TOKENS, []) if not math.isnan(v)]
        out[CORRECT_TOKENS] = sum(tokens) / len(tokens) if tokens else None
        out["n_correct"] = len(tokens)
        if len(self.subsets) > 1 or next(iter(self.subsets), "") != "":
            out["subsets"] = dict(sorted(self.subsets.items()))
        if self.categories:
            out["by_category"] = {
                name: {"n": len(v), ACCURACY: 100.0 * sum(v) / len(v)}
                for name, v in sorted(self.categories.items())
            }
        return out


def category_of(benchmark: str, subject: str | None) -> str | None:
    """The breakdown the paper plots: MMLU's four categories, MMLU-Pro's and SuperGPQA's own labels."""
    if not subject:
        return None
    if benchmark == "mmlu":
        from crossthink_data.categories import mmlu_category

        return mmlu_category(subject)
    return subject if benchmark in ("mmlu_pro", "supergpqa", "gpqa_diamond") else None


def is_empty_response(model_response: dict[str, Any] | None) -> bool:
    """No text in any of the sample's responses (lighteval's answer to a request that failed)."""
    response = model_response or {}
    return not any(raw_texts(response.get("text"), response.get("reasonings")))


def read_details(lighteval_output: Path) -> dict[str, list[dict[str, Any]]]:
    """``{task: [per-sample metric dicts]}`` from the details parquet files of one lighteval run;
    each dict also carries the sample's category under ``_category`` where the benchmark has one,
    and whether its response came back empty under ``_empty``."""
    import pyarrow.parquet as pq

    files = sorted(lighteval_output.glob("details/**/details_*.parquet"))
    if not files:
        raise FileNotFoundError(f"no lighteval details under {lighteval_output} (was --save-details passed?)")
    per_task: dict[str, list[dict[str, float]]] = {}
    for file in files:
        task = file.stem[len("details_") :].rsplit("_", 1)[0]
        table = pq.read_table(file, columns=["metric", "doc", "model_response"]).to_pylist()
        benchmark = benchmark_of_task(task)
        for row in table:
            subject = ((row["doc"] or {}).get("specific") or {}).get("subject")
            per_task.setdefault(task, []).append(
                {
                    **row["metric"],
                    CATEGORY_KEY: category_of(benchmark, subject),
                    EMPTY_KEY: is_empty_response(row["model_response"]),
                }
            )
    return per_task


def summarize(per_task: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, Any]]:
    """Per benchmark: n, empty responses, accuracy %, boxed_accuracy %, format_ok %, avg@k %, tokens
    of correct answers."""
    pools: dict[str, Pool] = {}
    for task, rows in per_task.items():
        benchmark = benchmark_of_task(task)
        subset = task.split("|")[0].split("@")[0].partition(":")[2]
        for metrics in rows:
            pools.setdefault(benchmark, Pool()).add(subset, metrics)
    ordered = [name for name in BENCHMARKS if name in pools]
    return {name: pools[name].summary() for name in ordered}


def combine_runs(summaries: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """One row per benchmark over N runs: each metric's mean, ``<metric>_std`` (sample standard
    deviation; None for one run) and the per-run values under ``per_run``.

    Counts (``n``, subsets, categories) are the first run's; ``empty_responses`` sums all runs.
    """
    if not summaries:
        raise ValueError("no runs to combine")
    combined: dict[str, dict[str, Any]] = {}
    for name, first in summaries[0].items():
        rows = [summary[name] for summary in summaries if name in summary]
        row = dict(first)
        row[EMPTY_RESPONSES] = sum(r.get(EMPTY_RESPONSES, 0) for r in rows)
        row["per_run"] = {}
        for metric in RUN_METRICS:
            values = [r.get(metric) for r in rows]
            known = [v for v in values if v is not None and not math.isnan(v)]
            row[metric] = statistics.fmean(known) if known else None
            row[f"{metric}_std"] = statistics.stdev(known) if len(known) > 1 else None
            row["per_run"][metric] = values
        combined[name] = row
    return combined


def build_results(
    summary: dict[str, dict[str, Any]], run_info: dict[str, Any], paper: dict[str, Any]
) -> dict:
    """results.json content: run info, our numbers and the paper's per benchmark (Table 4's
    Qwen2.5-7B and B_gpr↑ columns, and the abstract's best gain over all blends)."""
    benchmarks = {}
    for name, ours in summary.items():
        benchmarks[name] = {"task": TASK_PREFIX + name, **ours, "paper": paper["benchmarks"].get(name, {})}
    return {
        "run": run_info,
        "headline_metric": HEADLINE,
        "benchmarks": benchmarks,
        "paper": {k: v for k, v in paper.items() if k != "benchmarks"},
    }


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def _paper_cell(entry: dict[str, Any], model: str) -> str:
    value = entry.get(model)
    return "n/a" if value is None else f"{value:.2f}"


def _mean_std(row: dict[str, Any], metric: str) -> str:
    std = row.get(f"{metric}_std")
    return _fmt(row.get(metric)) + (f" ± {std:.1f}" if std is not None else "")


def render_markdown(results: dict[str, Any]) -> str:
    """results.md: one row per benchmark, the paper-comparable metric first, beside the paper's."""
    run = results["run"]
    k = run.get("k", 1)
    runs = run.get("runs", 1)
    lines = [
        f"# CrossThink evaluation: `{run['model']}`",
        "",
        f"- backend: {run['backend']}, max new tokens: {run['max_new_tokens']}, "
        f"temperature: {run['temperature']}, k: {k}, runs: {runs} (mean ± std over runs)"
        + (
            f", **max samples per task: {run['max_samples']} (partial, not comparable)**"
            if run.get("max_samples")
            else ""
        ),
        f"- data: {run['data']}",
        "- lighteval output (details, cache): "
        + ", ".join(f"`{d}`" for d in run.get("run_dirs", [run["run_dir"]])),
        *_empty_warning(results),
        "",
        "| benchmark | n | **boxed acc. (paper-comparable)** | paper Qwen2.5-7B | paper CrossThink B_gpr↑ | "
        "strict acc. | format ok | " + (f"avg@{k} | " if k > 1 else "") + "tokens (correct) | empty |",
        "|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if k > 1 else "") + "---:|---:|",
    ]
    for name, row in results["benchmarks"].items():
        paper = row["paper"]
        cells = [
            name,
            str(row["n"]),
            f"**{_mean_std(row, BOXED_ACCURACY)}**",
            _paper_cell(paper, PAPER_BASE),
            _paper_cell(paper, PAPER_CROSSTHINK),
            _mean_std(row, ACCURACY),
            _mean_std(row, FORMAT_OK),
            *([_mean_std(row, AVG_AT_K)] if k > 1 else []),
            _fmt(row[CORRECT_TOKENS], 0),
            str(row.get(EMPTY_RESPONSES, 0)),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += _average_row(results)
    lines += [
        "",
        "boxed acc.: the final \\boxed{} answer (the last one after </think> when there is one, else "
        "the last one in the response), the paper's reading for every model, its base baseline "
        "included; strict acc.: the training reward (format <think>…</think> + \\boxed{} AND the "
        "right answer, `crossthink_data.answers.score`); format ok: share of responses with that "
        "format; tokens (correct): mean length of correct responses (the paper's Table 9). "
        "Percentages; n: questions; empty: responses that came back empty (scored 0; on the "
        "endpoint backend, a failed request).",
        "",
        "Paper: " + results["paper"]["paper"] + ". " + results["paper"].get("note", ""),
        "",
    ]
    return "\n".join(lines)


def _average_row(results: dict[str, Any]) -> list[str]:
    """The paper's Table 4 average, when this run covers all seven benchmarks in full."""
    rows = results["benchmarks"]
    if set(rows) != set(BENCHMARKS) or results["run"].get("max_samples"):
        return []
    mean = statistics.fmean(rows[name][HEADLINE] or 0.0 for name in BENCHMARKS)
    average = results["paper"].get("table4", {}).get("average", {})
    return [
        f"| **average** | | **{mean:.1f}** | {_fmt(average.get(PAPER_BASE), 2)} | "
        f"{_fmt(average.get(PAPER_CROSSTHINK), 2)} | | | | |"
    ]


def _empty_warning(results: dict[str, Any]) -> list[str]:
    """A bold line above the table when responses came back empty: those scores are not the model's."""
    empty = {
        name: row[EMPTY_RESPONSES] for name, row in results["benchmarks"].items() if row.get(EMPTY_RESPONSES)
    }
    if not empty:
        return []
    failed = results["run"].get("failed_requests")
    counts = ", ".join(f"{name} {n}" for name, n in empty.items())
    return [
        f"- **{sum(empty.values())} empty responses (scored 0; {counts})"
        + (f"; {failed} requests failed" if failed else "")
        + ": these scores do not measure the model**"
    ]


def plot(results: dict[str, Any], path: Path) -> Path:
    """Grouped bars per benchmark: our paper-comparable accuracy (± std over runs) and strict
    accuracy, beside the paper's base and CrossThink numbers (if known)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results["benchmarks"])
    rows = results["benchmarks"]
    series = {
        "ours: boxed acc. (paper-comparable)": [rows[n][HEADLINE] for n in names],
        "ours: strict acc. (format AND answer)": [rows[n][ACCURACY] for n in names],
        "ours: format ok": [rows[n][FORMAT_OK] for n in names],
        "paper Qwen2.5-7B": [rows[n]["paper"].get(PAPER_BASE) for n in names],
        "paper CrossThink B_gpr↑": [rows[n]["paper"].get(PAPER_CROSSTHINK) for n in names],
    }
    errors = {"ours: boxed acc. (paper-comparable)": [rows[n].get(f"{HEADLINE}_std") for n in names]}
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.4 * len(names)), 4.0))
    for i, (label, values) in enumerate(series.items()):
        known = [(j, v) for j, v in enumerate(values) if v is not None]  # unknown paper numbers: no bar
        xs = [j + (i - (len(series) - 1) / 2) * width for j, _ in known]
        spread = errors.get(label)
        yerr = [spread[j] or 0.0 for j, _ in known] if spread else None
        ax.bar(xs, [v for _, v in known], width, label=label, color=f"C{i}", yerr=yerr, capsize=2)
    ax.set_xticks(range(len(names)), names, rotation=20)
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title(f"CrossThink evaluation: {results['run']['model']}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write_results(results: dict[str, Any], output_dir: Path) -> dict[str, Path]:
    """Write results.json, results.md and results.png into ``output_dir``."""
    output_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": output_dir / "results.json",
        "md": output_dir / "results.md",
        "png": output_dir / "results.png",
    }
    paths["json"].write_text(
        json.dumps(results, indent=2, allow_nan=False, default=str) + "\n", encoding="utf-8"
    )
    paths["md"].write_text(render_markdown(results), encoding="utf-8")
    plot(results, paths["png"])
    return paths
