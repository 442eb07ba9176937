"""GRPO on CrossThink datasets: a thin entry point over TRL's ``GRPOTrainer``.

    python -m crossthink_train.grpo --config crossthink_train/recipes/tiny_cpu.yaml
    accelerate launch --config_file crossthink_train/configs/zero2.yaml \\
        -m crossthink_train.grpo --config crossthink_train/recipes/paper_qwen2.5-7b.yaml

Arguments are TRL's own (``GRPOConfig``, ``ModelConfig``) plus a few script arguments, parsed by
``TrlParser`` from a YAML recipe with command-line overrides. What this adds to TRL's ``trl grpo``:
CrossThink rewards by name, over-long prompts dropped before training (TRL 1.16 has no
``max_prompt_length``), LoRA on all linear layers by default, per-source/per-kind reward and
length metrics (:mod:`crossthink_train.metrics`), and resuming from the last checkpoint.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from trl import GRPOConfig, ModelConfig, ScriptArguments, TrlParser

logger = logging.getLogger(__name__)

DEFAULT_REWARDS = ("crossthink",)
DEFAULT_COMPONENTS = ("accuracy", "format")


@dataclass
class CrossThinkScriptArguments(ScriptArguments):
    """Script arguments; ``dataset_name``/``dataset_config``/splits are TRL's ``ScriptArguments``.

    ``dataset_name`` is a Hub id or a local exported folder; ``dataset_config`` a config such as
    ``mcq``, ``open`` or a blend ``blend-<name>``.
    """

    reward_funcs: list[str] = field(
        default_factory=lambda: list(DEFAULT_REWARDS),
        metadata={
            "help": "Reward functions: names from crossthink_train.rewards.REWARD_FUNCS (crossthink, "
            "accuracy, format) or dotted import paths (my_pkg.rewards.fn)."
        },
    )
    max_prompt_length: int | None = field(
        default=None,
        metadata={
            "help": "Drop rows whose templated prompt is longer than this many tokens. Default: "
            "vllm_max_model_length - max_completion_length when vllm_max_model_length is set, else keep all."
        },
    )
    eval_dataset_name: str | None = field(
        default=None,
        metadata={
            "help": "Evaluation dataset (Hub id or folder); default dataset_name. Used when eval_strategy != no."
        },
    )
    eval_dataset_config: str | None = field(
        default=None, metadata={"help": "Config of the evaluation dataset; default dataset_config."}
    )
    log_breakdown_by: list[str] = field(
        default_factory=lambda: ["source", "kind"],
        metadata={"help": "Dataset columns to break reward means and completion lengths down by."},
    )
    log_reward_components: list[str] = field(
        default_factory=lambda: list(DEFAULT_COMPONENTS),
        metadata={"help": "Rewards logged (never trained on) next to the training rewards; [] to skip."},
    )
    dataset_num_proc: int | None = field(
        default=None, metadata={"help": "Processes for the prompt-length filter (large datasets)."}
    )


def make_parser() -> TrlParser:
    return TrlParser((CrossThinkScriptArguments, GRPOConfig, ModelConfig))


def resolve_reward_funcs(names: Sequence[str], think_prefilled: bool | None = None) -> list[Callable]:
    """Reward functions by name (``crossthink_train.rewards.REWARD_FUNCS``) or dotted import path.

    ``think_prefilled=True`` tells the CrossThink rewards that the chat template opens ``<think>``
    itself (Qwen3, R1 distills), so completions start inside the thinking block.
    """
    from crossthink_train.rewards import get_reward_funcs

    funcs = []
    for name in names:
        if "." not in name:
            funcs.extend(get_reward_funcs([name], think_prefilled=think_prefilled))
            continue
        module_path, attr = name.rsplit(".", 1)
        if os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())  # like `trl grpo`: a project-local rewards module
        try:
            funcs.append(getattr(importlib.import_module(module_path), attr))
        except (ImportError, AttributeError) as err:
            raise ValueError(f"cannot import reward function {name!r}: {err}") from err
    return funcs


def effective_max_prompt_length(
    script_args: CrossThinkScriptArguments, training_args: GRPOConfig
) -> int | None:
    """The prompt budget: explicit, or what vLLM's context leaves after the completion budget."""
    if script_args.max_prompt_length is not None:
        return script_args.max_prompt_length
    if training_args.vllm_max_model_length and training_args.max_completion_length:
        budget = training_args.vllm_max_model_length - training_args.max_completion_length
        if budget <= 0:
            raise ValueError(
                f"vllm_max_model_length ({training_args.vllm_max_model_length}) leaves no room for prompts "
                f"after max_completion_length ({training_args.max_completion_length})"
            )
        return budget
    return None


def peft_config_for(model_args: ModelConfig):
    """TRL's LoRA config, with all linear layers as targets unless the recipe names modules."""
    from trl import get_peft_config

    if model_args.use_peft and not model_args.lora_target_modules:
        model_args.lora_target_modules = "all-linear"
    return get_peft_config(model_args)


def model_init_kwargs(model_args: ModelConfig, training_args: GRPOConfig) -> dict:
    """What ``from_pretrained`` gets (as in ``trl grpo``); the recipe's ``model_init_kwargs`` win."""
    kwargs = {
        "revision": model_args.model_revision,
        "trust_remote_code": training_args.trust_remote_code,
        "attn_implementation": model_args.attn_implementation,
        "dtype": model_args.dtype,
    }
    kwargs.update(training_args.model_init_kwargs or {})
    return kwargs


def load_datasets(script_args: CrossThinkScriptArguments, training_args: GRPOConfig, tokenizer):
    """(train, eval or None), checked for the reward columns and filtered for prompt length."""
    from crossthink_train.data import check_columns, filter_long_prompts, load_split

    if not script_args.dataset_name:
        raise ValueError("dataset_name is required (a Hub dataset id or a local exported folder)")
    max_prompt = effective_max_prompt_length(script_args, training_args)
    train = load_split(script_args.dataset_name, script_args.dataset_config, script_args.dataset_train_split)
    check_columns(train, f"{script_args.dataset_name}[{script_args.dataset_train_split}]")
    train, _ = filter_long_prompts(train, tokenizer, max_prompt, script_args.dataset_num_proc)
    if training_args.eval_strategy == "no":
        return train, None
    eval_name = script_args.eval_dataset_name or script_args.dataset_name
    eval_config = script_args.eval_dataset_config or script_args.dataset_config
    evaluation = load_split(eval_name, eval_config, script_args.dataset_test_split)
    check_columns(evaluation, f"{eval_name}[{script_args.dataset_test_split}]")
    evaluation, _ = filter_long_prompts(evaluation, tokenizer, max_prompt, script_args.dataset_num_proc)
    return train, evaluation


def build_trainer(
    script_args: CrossThinkScriptArguments,
    training_args: GRPOConfig,
    model_args: ModelConfig,
    callbacks: list | None = None,
):
    """A ready ``GRPOTrainer``: model by path, CrossThink rewards with breakdown logging, filtered data."""
    from transformers import AutoTokenizer
    from trl import GRPOTrainer

    from crossthink_train.metrics import RewardBreakdown
    from crossthink_train.rewards import template_prefills_think

    if not model_args.model_name_or_path:
        raise ValueError("model_name_or_path is required")
    if not script_args.reward_funcs:
        raise ValueError("reward_funcs is empty: GRPO needs at least one reward function")
    # Same tokenizer settings GRPOTrainer would use; loaded once here for the prompt filter too.
    tokenizer = AutoTokenizer.from_pretrained(
        model_args.model_name_or_path,
        revision=model_args.model_revision,
        trust_remote_code=training_args.trust_remote_code,
        padding_side="left",
        truncation_side="left",
    )
    prefilled = (template_prefills_think(tokenizer) if tokenizer.chat_template else False) or None
    # None: each row's prompt decides whether <think> was pre-filled (see crossthink_train.rewards).
    reward_funcs = resolve_reward_funcs(script_args.reward_funcs, prefilled)
    names = script_args.log_reward_components
    components = dict(zip(names, resolve_reward_funcs(names, prefilled), strict=True))
    reward_funcs = RewardBreakdown(script_args.log_breakdown_by, components).wrap(reward_funcs)

    training_args.model_init_kwargs = model_init_kwargs(model_args, training_args)
    with training_args.main_process_first(desc="loading and filtering the dataset"):
        train, evaluation = load_datasets(script_args, training_args, tokenizer)  # rank 0 fills the cache
    logger.info(
        "training on %d rows of %s (%s)", len(train), script_args.dataset_name, script_args.dataset_config
    )
    return GRPOTrainer(
        model=model_args.model_name_or_path,
        reward_funcs=reward_funcs,
        args=training_args,
        train_dataset=train,
        eval_dataset=evaluation,
        processing_class=tokenizer,
        peft_config=peft_config_for(model_args),
        callbacks=callbacks,
    )


def last_checkpoint(output_dir: str) -> str | None:
    """The newest ``checkpoint-N`` in ``output_dir``, so a re-submitted job continues instead of restarting."""
    from transformers.trainer_utils import get_last_checkpoint

    return get_last_checkpoint(output_dir) if os.path.isdir(output_dir) else None


def main(script_args: CrossThinkScriptArguments, training_args: GRPOConfig, model_args: ModelConfig):
    """Train, save a ``from_pretrained``-ready model (or adapter) to ``output_dir``; returns the trainer."""
    import datasets
    import transformers

    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    log_level = training_args.get_process_log_level()
    logger.setLevel(log_level)
    datasets.utils.logging.set_verbosity(log_level)
    transformers.utils.logging.set_verbosity(log_level)

    trainer = build_trainer(script_args, training_args, model_args)
    checkpoint = training_args.resume_from_checkpoint or last_checkpoint(training_args.output_dir)
    if checkpoint:
        logger.info("resuming from %s", checkpoint)
    trainer.train(resume_from_checkpoint=checkpoint)
    trainer.save_state()  # trainer_state.json: the logged history, per-source metrics included
    trainer.save_model(training_args.output_dir)
    if trainer.accelerator.is_main_process:
        logger.info("model saved to %s", training_args.output_dir)
    if training_args.push_to_hub:
        trainer.push_to_hub(dataset_name=script_args.dataset_name)
    return trainer


def cli(argv: Sequence[str] | None = None) -> None:
    script_args, training_args, model_args = make_parser().parse_args_and_config(args=argv)
    if os.environ.get("OMP_NUM_THREADS", "").isdigit():
        # A recipe's `env: {OMP_NUM_THREADS: ...}` is applied after torch was imported: honour it.
        import torch

        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    trainer = main(script_args, training_args, model_args)
    if hasattr(trainer, "end"):  # transformers >= 5.18: finish trackers, destroy the process group
        trainer.end()


if __name__ == "__main__":
    cli()
