"""Score one run's generations with lighteval's built-in metrics too, and list where they disagree.

    crossthink-eval crosscheck eval_results            # the latest run under eval_results/runs/
    crossthink-eval crosscheck eval_results/runs/<id>  # one run
    python -m crossthink_eval.crosscheck eval_results  # the same command

Our verdict here is the answer alone (``boxed_accuracy``: lighteval's metrics check no format),
on the raw response; lighteval's metric gets the response with the <think> block removed, as its
pipeline does. Built-in metric per benchmark:

- math_500, amc23, agieval:math: ``pass_at_k_math`` (k=1, n=1), the built-in ``math_500`` metric.
- gpqa_diamond: ``gpqa_instruct_pass_at_k`` (k=1), the built-in ``gpqa:diamond`` metric.
- mmlu_pro: ``gpqa_instruct_metric``, the built-in ``mmlu_pro`` metric.
- agieval (MCQ subsets), mmlu, supergpqa: lighteval's ``agieval:*`` scores log-likelihoods, its
  ``mmlu:*`` an exact match right after "Answer:", and it has no SuperGPQA; none fits a reasoning
  response, so ``gpqa_instruct_metric`` (mmlu_pro's letter extraction) stands in.
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from lighteval.metrics.metrics import Metrics
from lighteval.models.model_output import ModelResponse
from lighteval.tasks.requests import Doc
from lighteval.utils.utils import remove_reasoning_tags

from crossthink_data.answers import extract_answer
from crossthink_eval.metrics import doc_answer_score, raw_texts
from crossthink_eval.results import benchmark_of_task

REASONING_TAGS = [("<think>", "</think>")]
STAND_IN_NOTES = {
    "agieval": "stand-in: built-in agieval:* scores log-likelihoods; mmlu_pro's letter extraction",
    "mmlu": "stand-in: built-in mmlu:* is 5-token exact match after 'Answer:'; mmlu_pro's letter extraction",
    "supergpqa": "stand-in: lighteval has no SuperGPQA task; mmlu_pro's letter extraction",
}


@dataclass(frozen=True)
class BuiltinMetric:
    name: str
    metric: Any
    note: str


@lru_cache(maxsize=64)
def builtin_metric(task: str, kind: str) -> BuiltinMetric:
    """The lighteval metric that scores ``task``'s generations (see the module docstring)."""
    benchmark = benchmark_of_task(task)
    if kind == "math":
        metric = copy.deepcopy(Metrics.pass_at_k_math.value)(sample_params={"k": 1, "n": 1})
        return BuiltinMetric(metric.metric_name, metric, "built-in math_500 metric")
    if benchmark == "gpqa_diamond":
        metric = copy.deepcopy(Metrics.gpqa_instruct_pass_at_k.value)(sample_params={"k": 1})
        return BuiltinMetric(metric.metric_name, metric, "built-in gpqa:diamond metric")
    metric = copy.deepcopy(Metrics.gpqa_instruct_metric.value)
    note = STAND_IN_NOTES.get(benchmark, "built-in mmlu_pro metric")
    return BuiltinMetric(metric.metric_name, metric, note)


@dataclass
class Verdict:
    task: str
    doc_id: str
    gold: str
    ours: float
    lighteval: float
    our_answer: str | None
    response_tail: str


def lighteval_response(text: str) -> ModelResponse:
    """The response as lighteval's pipeline hands it to metrics (reasoning removed)."""
    return ModelResponse(text=[text], text_post_processed=[remove_reasoning_tags(text, REASONING_TAGS)])


def judge(task: str, doc: Doc, text: str) -> Verdict:
    """Our answer-only verdict and lighteval's built-in verdict on one generation."""
    spec = doc.specific or {}
    builtin = builtin_metric(task, spec.get("kind", "mcq"))
    lighteval_value = builtin.metric.compute_sample(doc=doc, model_response=lighteval_response(text))
    return Verdict(
        task=task,
        doc_id=str(doc.id),
        gold=str(spec.get("gold")),
        ours=float(doc_answer_score(doc, text) > 0),
        lighteval=float(next(iter(lighteval_value.values())) > 0),
        our_answer=extract_answer(text),
        response_tail=text[-200:],
    )


def doc_from_details(task: str, row: dict[str, Any]) -> Doc:
    """Rebuild the Doc lighteval saved in its details parquet."""
    saved = row["doc"]
    return Doc(
        query=saved["query"],
        choices=list(saved["choices"]),
        gold_index=saved["gold_index"],
        specific=dict(saved.get("specific") or {}),
        task_name=task,
        id=str(saved.get("id", "")),
    )


def read_generations(run_dir: Path) -> list[tuple[str, Doc, str]]:
    """(task, doc, first response) for every sample of a run."""
    import pyarrow.parquet as pq

    files = sorted(run_dir.glob("lighteval/details/**/details_*.parquet"))
    if not files:
        raise FileNotFoundError(f"no lighteval details under {run_dir}/lighteval (run with eval.run)")
    samples = []
    for file in files:
        task = file.stem[len("details_") :].rsplit("_", 1)[0]
        for row in pq.read_table(file, columns=["doc", "model_response"]).to_pylist():
            response = row["model_response"]
            texts = raw_texts(response.get("text"), response.get("reasonings")) or [""]
            samples.append((task, doc_from_details(task, row), texts[0]))
    return samples


def crosscheck(samples: list[tuple[str, Doc, str]]) -> dict[str, Any]:
    """Agreement per task and every disagreement."""
    per_task: dict[str, dict[str, Any]] = {}
    disagreements = []
    for task, doc, text in samples:
        verdict = judge(task, doc, text)
        stats = per_task.setdefault(
            task,
            {"n": 0, "agree": 0, "ours": 0.0, "lighteval": 0.0, "metric": "", "note": ""},
        )
        builtin = builtin_metric(task, (doc.specific or {}).get("kind", "mcq"))
        stats.update(metric=builtin.name, note=builtin.note)
        stats["n"] += 1
        stats["agree"] += int(verdict.ours == verdict.lighteval)
        stats["ours"] += verdict.ours
        stats["lighteval"] += verdict.lighteval
        if verdict.ours != verdict.lighteval:
            disagreements.append(asdict(verdict))
    return {"tasks": dict(sorted(per_task.items())), "disagreements": disagreements}


def render_markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Cross-check: our answer checker vs lighteval's metrics (same generations)",
        "",
        "| task | n | agree | ours (answer only) | lighteval | lighteval metric |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for task, s in report["tasks"].items():
        lines.append(
            f"| {task.replace('|', '&#124;')} | {s['n']} | {s['agree']} | {s['ours']:.0f} | {s['lighteval']:.0f} | "
            f"{s['metric']} ({s['note']}) |"
        )
    lines += ["", f"## Disagreements ({len(report['disagreements'])})", ""]
    for d in report["disagreements"]:
        tail = d["response_tail"].replace("\n", " ").replace("|", "\\|")
        lines.append(
            f"- {d['task']} #{d['doc_id']}: gold `{d['gold']}`, our answer `{d['our_answer']}` "
            f"-> ours {d['ours']:.0f}, lighteval {d['lighteval']:.0f}; response ends: “{tail}”"
        )
    return "\n".join(lines) + "\n"


def latest_run(path: Path) -> Path:
    """``path`` itself if it is a run dir, else the newest run under ``path/runs``."""
    if (path / "lighteval").is_dir():
        return path
    runs = sorted(p for p in (path / "runs").glob("*") if (p / "lighteval").is_dir())
    if not runs:
        raise FileNotFoundError(f"no eval run under {path} (expected {path}/runs/<id>/lighteval)")
    return runs[-1]


def crosscheck_run(path: Path) -> Path:
    """Cross-check the run at ``path`` (see :func:`latest_run`): crosscheck.md/json in the run dir,
    the table printed; returns the run dir."""
    run_dir = latest_run(path)
    report = crosscheck(read_generations(run_dir))
    (run_dir / "crosscheck.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (run_dir / "crosscheck.md").write_text(render_markdown(report))
    print(render_markdown(report))
    print(f"[crosscheck] wrote {run_dir / 'crosscheck.md'} and crosscheck.json")
    return run_dir


if __name__ == "__main__":
    from crossthink_eval.cli import run_as_script

    run_as_script("crosscheck")
