"""lighteval custom tasks: the seven benchmarks of Nemotron-CrossThink with the training prompts.

    lighteval accelerate "model_name=PATH,device=cpu" "crossthink_math_500|0,crossthink_agieval|0" \\
        --custom-tasks crossthink_eval.crossthink_tasks

Tasks: crossthink_math_500, crossthink_amc23, crossthink_mmlu, crossthink_mmlu_pro,
crossthink_gpqa_diamond, crossthink_agieval (one subtask per subset, crossthink_agieval:<subset>;
the bare name runs them all) and crossthink_supergpqa. They are prefixed because lighteval refuses
custom tasks named like its built-ins (math_500, mmlu_pro, ...).

Prompts are the training templates' user messages (T_MCQ with lettered options, T_Open with the
math instruction): think inside <think></think>, answer in \\boxed{}. Rows come from the Hub by
default, or from ``CROSSTHINK_EVAL_DATA_DIR`` laid out like ../shared/data/benchmarks.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from lighteval.tasks.lighteval_task import LightevalTaskConfig
from lighteval.tasks.requests import Doc

from crossthink_data.options import OPTION_LABELS
from crossthink_data.templates import mcq_prompt_text, open_prompt_text
from crossthink_eval.benchmarks import BENCHMARKS, Benchmark, EvalItem, data_sources, local_data_dir
from crossthink_eval.metrics import avg_at_k_metric, crossthink_score_metric

logger = logging.getLogger(__name__)

# Greedy decoding; the paper trains with a 5000-token context. lighteval's transformers backend
# takes the task's generation size over `generation_parameters={max_new_tokens:...}`, so the
# length is a task setting (`crossthink-eval run --max-new-tokens` passes it, see TASKS_TABLE).
MAX_NEW_TOKENS_ENV = "CROSSTHINK_EVAL_MAX_NEW_TOKENS"
DEFAULT_GENERATION_SIZE = 4096
TASK_VERSION = 1


def item_to_doc(item: EvalItem, task_name: str) -> Doc:
    """A lighteval Doc for one question.

    ``specific`` carries what our metric scores against (gold, kind, options). ``choices`` and
    ``gold_index`` are the gold written the way lighteval's own metrics read it (option letters,
    or the math answer in $...$), so ``crossthink_eval.crosscheck`` can score the same generations with them.
    """
    if item.kind == "mcq":
        query = mcq_prompt_text(item.question, item.options)
        choices = list(OPTION_LABELS[: len(item.options)])
        gold_index = OPTION_LABELS.index(item.gold)
    else:
        query = open_prompt_text(item.question, math=item.kind == "math")
        choices = [f"${item.gold}$"]
        gold_index = 0
    return Doc(
        task_name=task_name,
        query=query,
        choices=choices,
        gold_index=gold_index,
        specific={"gold": item.gold, "kind": item.kind, "options": item.options, "subject": item.subject},
    )


def prompt_function_for(benchmark: Benchmark):
    """lighteval prompt function: dataset row -> Doc, through the benchmark's row adapter."""

    def prompt(line: dict, task_name: str | None = None) -> Doc:
        return item_to_doc(benchmark.adapter(line), task_name)

    prompt.__name__ = f"{benchmark.short_name}_prompt"
    return prompt


def task_configs(
    data_dir: Path | None = None, generation_size: int = DEFAULT_GENERATION_SIZE
) -> list[LightevalTaskConfig]:
    """One LightevalTaskConfig per benchmark (per subset for AGIEval): the Hub, or the rows
    :func:`crossthink_eval.benchmarks.read_benchmarks` reads from ``data_dir``.

    Everything comes in as arguments; only :data:`TASKS_TABLE` (which lighteval imports in its
    own process) reads the environment that ``crossthink-eval run`` sets for it.
    """
    configs = []
    for benchmark in BENCHMARKS.values():
        sources = data_sources(benchmark, data_dir)
        if data_dir is not None:
            missing = [s for s in benchmark.subsets if s not in sources]
            if not sources:
                logger.info(
                    "%s: no folder %s under %s; task not registered",
                    benchmark.task_name,
                    " or ".join(benchmark.local_dirs),
                    data_dir,
                )
            elif missing:
                logger.warning(
                    "%s: no local file for subset(s) %s; evaluated without them",
                    benchmark.task_name,
                    ", ".join(missing),
                )
        for subset, source in sources.items():
            configs.append(
                LightevalTaskConfig(
                    name=benchmark.task_name if subset is None else f"{benchmark.task_name}:{subset}",
                    prompt_function=prompt_function_for(benchmark),
                    hf_repo=source.hf_repo,
                    hf_subset=source.hf_subset,
                    hf_avail_splits=[source.split],
                    evaluation_splits=[source.split],
                    few_shots_split=None,
                    few_shots_select=None,
                    generation_size=generation_size,
                    stop_sequence=[],
                    metrics=[crossthink_score_metric(), avg_at_k_metric()],
                    version=TASK_VERSION,
                )
            )
    return configs


def tasks_from_environment() -> list[LightevalTaskConfig]:
    """The tasks of a ``lighteval --custom-tasks crossthink_eval.crossthink_tasks`` process, from
    the settings ``crossthink-eval run`` passes through the environment (lighteval takes no
    arguments for a custom-tasks module)."""
    return task_configs(local_data_dir(), int(os.environ.get(MAX_NEW_TOKENS_ENV, DEFAULT_GENERATION_SIZE)))


TASKS_TABLE = tasks_from_environment()
