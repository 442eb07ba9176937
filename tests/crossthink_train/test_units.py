"""Fast checks of the GRPO wiring: data loading and prompt filter, reward breakdown, recipes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from crossthink_train.data import DataError, check_columns, filter_long_prompts, load_split, prompt_lengths
from crossthink_train.metrics import RewardBreakdown, metric_value_name
from crossthink_train.rewards import accuracy, crossthink, format_reward
from tests.helpers.paths import REPO_ROOT

SAMPLE = REPO_ROOT / "tests" / "data" / "train" / "crossthink_sample"
RECIPES = REPO_ROOT / "crossthink_train" / "recipes"
CONFIGS = REPO_ROOT / "crossthink_train" / "configs"


@pytest.fixture(autouse=True)
def restore_environ():
    """TrlParser applies a recipe's ``env:`` block to os.environ; keep that out of other tests."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


@pytest.fixture(scope="module")
def blend():
    return load_split(str(SAMPLE), "blend-tiny", "train")


# --- data -------------------------------------------------------------------------------------


def test_sample_folder_loads_every_config_with_the_reward_columns():
    sizes = {}
    for config in ("mcq", "open", "blend-tiny"):
        dataset = load_split(str(SAMPLE), config, "train")
        check_columns(dataset, config)
        sizes[config] = len(dataset)
    assert sizes == {"mcq": 24, "open": 24, "blend-tiny": 24}
    blend = load_split(str(SAMPLE), "blend-tiny", "train")
    assert set(blend["kind"]) == {"mcq", "open", "math"}
    assert set(blend["source"]) == {"mmlu_train", "math_train"}


def test_unknown_config_names_dataset_and_config():
    with pytest.raises(DataError, match="blend-nope"):
        load_split(str(SAMPLE), "blend-nope", "train")


def test_check_columns_lists_what_is_missing(blend):
    with pytest.raises(DataError, match="ground_truth, kind"):
        check_columns(blend.remove_columns(["ground_truth", "kind"]), "x")


def test_prompt_filter_drops_exactly_the_rows_over_budget(blend, tokenizer):
    # Independent count: the chat template rendered to text, then tokenized.
    texts = [
        tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True) for p in blend["prompt"]
    ]
    expected = [len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts]
    assert prompt_lengths(blend["prompt"], tokenizer) == expected
    budget = sorted(expected)[len(expected) // 2]
    kept, dropped = filter_long_prompts(blend, tokenizer, budget)
    assert dropped == sum(n > budget for n in expected) > 0
    assert max(prompt_lengths(kept["prompt"], tokenizer)) <= budget
    assert filter_long_prompts(blend, tokenizer, None) == (blend, 0)
    with pytest.raises(DataError, match="every one of the 24 prompts"):
        filter_long_prompts(blend, tokenizer, 3)


# --- reward breakdown --------------------------------------------------------------------------

COMPLETIONS = [
    [{"role": "assistant", "content": "<think> ok </think> \\boxed{A}"}],  # mcq, right
    [{"role": "assistant", "content": "\\boxed{B}"}],  # mcq, wrong letter, no think block
    [{"role": "assistant", "content": "<think> sum </think> \\boxed{4}"}],  # math, right
    [{"role": "assistant", "content": "<think> hm </think> 4"}],  # math, no box
]
COLUMNS = {
    "ground_truth": ["A", "A", "4", "4"],
    "kind": ["mcq", "mcq", "math", "math"],
    "options": [["x", "y"], ["x", "y"], None, None],
    "source": ["mmlu_train", "mmlu_train", "math_train", "math_train"],
}


def collect(wrapped, completion_ids=None):
    logged: dict[str, list[float]] = {}
    outputs = [
        func(
            prompts=[[{"role": "user", "content": "q"}]] * 4,
            completions=COMPLETIONS,
            completion_ids=completion_ids or [[1] * n for n in (5, 3, 7, 9)],
            log_metric=lambda name, value: logged.setdefault(name, []).append(value),
            **COLUMNS,
        )
        for func in wrapped
    ]
    means = {name: sum(values) / len(values) for name, values in logged.items()}
    return outputs, means


def test_breakdown_returns_the_rewards_unchanged_and_keeps_names():
    (wrapped,) = RewardBreakdown(components={"accuracy": accuracy, "format": format_reward}).wrap(
        [crossthink]
    )
    assert wrapped.__name__ == "crossthink"
    (outputs,), _ = collect([wrapped])
    assert outputs == crossthink(completions=COMPLETIONS, **COLUMNS) == [1.0, 0.0, 1.0, 0.0]


def test_breakdown_logs_group_means_components_and_lengths():
    wrapped = RewardBreakdown(components={"accuracy": accuracy, "format": format_reward}).wrap([crossthink])
    _, means = collect(wrapped)
    assert means["rewards/crossthink/kind/mcq"] == 0.5
    assert means["rewards/crossthink/source/math_train"] == 0.5
    # accuracy ignores the missing think block: "\boxed{B}" is wrong anyway, so mcq stays 0.5
    assert means["rewards/accuracy/kind/mcq"] == 0.5
    assert means["rewards/format/kind/mcq"] == 0.5
    assert means["rewards/format/kind/math"] == 0.5
    assert means["rewards/accuracy/mean"] == 0.5
    assert means["completions/mean_length/kind/mcq"] == 4.0  # (5 + 3) / 2
    assert means["completions/mean_length/source/math_train"] == 8.0
    # crossthink's overall mean is TRL's own metric; the wrapper must not log it a second time
    assert "rewards/crossthink/mean" not in means


def test_breakdown_does_not_recompute_a_component_that_is_trained_on():
    calls = []

    def counting_format(**kwargs):
        calls.append(1)
        return format_reward(**kwargs)

    counting_format.__name__ = "format"
    wrapped = RewardBreakdown(components={"format": counting_format}).wrap([crossthink, counting_format])
    _, means = collect(wrapped)
    assert len(calls) == 1  # only as a training reward
    assert "rewards/format/mean" not in means  # TRL logs it for training rewards
    assert means["rewards/format/kind/math"] == 0.5
    assert means["completions/mean_length/kind/math"] == 8.0  # logged once, by the first function


def test_breakdown_skips_rewards_that_do_not_apply():
    def only_math(completions, kind, **kwargs):
        return [1.0 if k == "math" else None for k in kind]

    wrapped = RewardBreakdown(group_by=["kind"]).wrap([only_math])
    _, means = collect(wrapped)
    assert means == {
        "rewards/only_math/kind/math": 1.0,
        "completions/mean_length/kind/mcq": 4.0,
        "completions/mean_length/kind/math": 8.0,
    }


def test_metric_value_names_are_path_safe():
    assert metric_value_name("natural reasoning/v2") == "natural_reasoning_v2"
    assert metric_value_name(None) == "none"


# --- entry point and recipes -------------------------------------------------------------------


def parse(recipe: Path, *overrides: str):
    from crossthink_train.grpo import make_parser

    # GPU recipes ask for bf16, which GRPOConfig refuses on a CPU-only machine: override it only.
    return make_parser().parse_args_and_config(args=["--config", str(recipe), "--bf16", "false", *overrides])


def test_reward_names_and_dotted_paths_resolve():
    from crossthink_train.grpo import resolve_reward_funcs

    funcs = resolve_reward_funcs(["crossthink", "crossthink_train.rewards.accuracy"])
    assert [f.__name__ for f in funcs] == ["crossthink", "accuracy"]
    with pytest.raises(ValueError, match="unknown reward"):
        resolve_reward_funcs(["acuracy"])
    with pytest.raises(ValueError, match="cannot import reward function"):
        resolve_reward_funcs(["crossthink_train.rewards.nope"])


def test_prompt_budget_defaults_to_what_vllm_context_leaves(tmp_path):
    from crossthink_train.grpo import effective_max_prompt_length

    script, args, _ = parse(RECIPES / "tiny_cpu.yaml", "--output_dir", str(tmp_path))
    assert effective_max_prompt_length(script, args) is None
    args.vllm_max_model_length, args.max_completion_length = 5000, 3976
    assert effective_max_prompt_length(script, args) == 1024
    script.max_prompt_length = 700
    assert effective_max_prompt_length(script, args) == 700


def test_lora_targets_all_linear_layers_unless_the_recipe_names_some():
    from trl import ModelConfig

    from crossthink_train.grpo import peft_config_for

    assert peft_config_for(ModelConfig(use_peft=False)) is None
    assert peft_config_for(ModelConfig(use_peft=True)).target_modules == "all-linear"
    named = peft_config_for(ModelConfig(use_peft=True, lora_target_modules=["q_proj", "v_proj"]))
    assert set(named.target_modules) == {"q_proj", "v_proj"}


@pytest.mark.parametrize("name", sorted(p.name for p in RECIPES.glob("*.yaml")))
def test_every_recipe_parses_without_unknown_keys(name, tmp_path):
    script, args, model = parse(RECIPES / name, "--output_dir", str(tmp_path))
    assert model.model_name_or_path and script.dataset_name
    assert args.temperature == 1.0 and args.num_generations >= 2


def test_32b_recipe_generates_on_a_server_and_7b_colocates(tmp_path):
    _, args7, _ = parse(RECIPES / "paper_qwen2.5-7b.yaml", "--output_dir", str(tmp_path))
    _, args32, _ = parse(RECIPES / "paper_qwen2.5-32b.yaml", "--output_dir", str(tmp_path))
    assert (args7.vllm_mode, args32.vllm_mode) == ("colocate", "server")
    assert args7.vllm_max_model_length == 5000


def test_accelerate_configs_shard_as_named():
    stages = {
        name: yaml.safe_load((CONFIGS / f"{name}.yaml").read_text())
        .get("deepspeed_config", {})
        .get("zero_stage")
        for name in ("ddp", "zero2", "zero3")
    }
    assert stages == {"ddp": None, "zero2": 2, "zero3": 3}
