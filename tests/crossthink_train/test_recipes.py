"""The paper recipes carry the paper's GRPO settings, in TRL's names and in veRL's.

The expected values are typed here from the paper (arXiv 2504.13941v3, Section 3 and Table 3, as
confirmed in the summaries cited in docs/fidelity.md), never read from a recipe: a recipe that
drifts from the paper fails here.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.helpers.paths import REPO_ROOT

RECIPES = REPO_ROOT / "crossthink_train" / "recipes"
CONFIGS = REPO_ROOT / "crossthink_train" / "configs"
VERL_LAUNCH = REPO_ROOT / "crossthink_train" / "launch" / "verl_grpo.sh"

# The paper's GRPO settings (Section 3: "constant learning rate of 1e-6, a batch size and PPO mini
# batch size of 128, ... maximum context length 5000, KL coefficient 0.001, temperature 1.0, top-p 1.0,
# 8 rollouts") and Table 3's training length.
PAPER_LR = 1e-6
PAPER_PROMPTS_PER_STEP = 128
PAPER_MINI_BATCH = 128
PAPER_ROLLOUTS = 8
PAPER_TEMPERATURE = 1.0
PAPER_TOP_P = 1.0
PAPER_MAX_CONTEXT = 5000
PAPER_KL = 0.001
TABLE3_STEPS = 250

# recipe -> (accelerate config, training GPUs it is laid out for: 7B one node x 8, 32B four nodes x 8)
PAPER_RECIPES = {
    "paper_qwen2.5-7b.yaml": ("zero2.yaml", 8),
    "paper_qwen2.5-32b.yaml": ("zero3.yaml", 32),
    "single_source_qwen2.5-7b.yaml": ("zero2.yaml", 8),
}


@pytest.fixture(autouse=True)
def restore_environ():
    """TrlParser applies a recipe's ``env:`` block to os.environ; keep that out of other tests."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def parse(recipe: Path, tmp_path: Path):
    from crossthink_train.grpo import make_parser

    # GPU recipes ask for bf16, which GRPOConfig refuses on a CPU-only machine: override it only.
    return make_parser().parse_args_and_config(
        args=["--config", str(recipe), "--bf16", "false", "--output_dir", str(tmp_path)]
    )


@pytest.mark.parametrize("recipe", sorted(PAPER_RECIPES))
def test_paper_recipes_carry_the_paper_grpo_settings(recipe: str, tmp_path: Path) -> None:
    accelerate_config, train_gpus = PAPER_RECIPES[recipe]
    script, args, model = parse(RECIPES / recipe, tmp_path)
    assert args.learning_rate == PAPER_LR and args.lr_scheduler_type == "constant"
    assert args.warmup_steps == 0 and getattr(args, "warmup_ratio", None) in (0, None)
    # TRL 1.16 defaults beta to 0.0 (no KL, no reference model): the recipe must set the paper's.
    assert args.beta == PAPER_KL and args.use_bias_correction_kl is False
    assert args.loss_type == "dapo" and args.scale_rewards == "group"
    assert args.num_generations == PAPER_ROLLOUTS and args.num_iterations == 1
    completions = args.per_device_train_batch_size * args.gradient_accumulation_steps * train_gpus
    assert completions == PAPER_PROMPTS_PER_STEP * PAPER_ROLLOUTS
    # PPO mini-batch = the whole batch: one optimizer step per generation batch
    assert args.steps_per_generation == args.gradient_accumulation_steps
    assert completions // PAPER_ROLLOUTS == PAPER_MINI_BATCH
    assert args.temperature == PAPER_TEMPERATURE and args.top_p == PAPER_TOP_P and args.top_k in (0, None)
    assert script.max_prompt_length + args.max_completion_length == PAPER_MAX_CONTEXT
    assert args.use_vllm and script.reward_funcs == ["crossthink"]
    assert yaml.safe_load((CONFIGS / accelerate_config).read_text())["mixed_precision"] == "bf16"
    assert model.model_name_or_path.startswith("Qwen/Qwen2.5-") and "Instruct" not in model.model_name_or_path


def test_single_source_recipe_trains_table3_steps(tmp_path: Path) -> None:
    script, args, _ = parse(RECIPES / "single_source_qwen2.5-7b.yaml", tmp_path)
    assert args.max_steps == TABLE3_STEPS
    assert re.fullmatch(r"[a-z0-9_]+-(mcq|open)", script.dataset_config), "one source's own config"


def test_single_source_recipe_is_the_7b_recipe_but_for_length_and_data() -> None:
    """One set of GRPO settings: the Table 3 recipe may differ from the 7B one only where it must."""
    blend = yaml.safe_load((RECIPES / "paper_qwen2.5-7b.yaml").read_text())
    single = yaml.safe_load((RECIPES / "single_source_qwen2.5-7b.yaml").read_text())
    differ = {k for k in blend.keys() | single.keys() if blend.get(k) != single.get(k)}
    assert differ == {"max_steps", "dataset_config", "output_dir"}


@pytest.mark.parametrize("recipe", ["paper_qwen2.5-7b.yaml", "paper_qwen2.5-32b.yaml"])
def test_blend_recipes_invent_no_step_count_and_say_the_paper_is_silent(recipe: str, tmp_path: Path) -> None:
    """The paper gives no step count for its blend runs: one epoch, and a comment saying so."""
    _, args, _ = parse(RECIPES / recipe, tmp_path)
    assert args.max_steps == -1 and args.num_train_epochs == 1
    text = (RECIPES / recipe).read_text()
    assert re.search(r"gives no step count|paper is\s+#?\s*silent", text)


# --- veRL launch file ----------------------------------------------------------------------------


def verl_overrides(tmp_path: Path, **env: str) -> dict[str, str]:
    """The launch file's Hydra overrides (``DRY_RUN=1`` prints them, one a line) as a mapping."""
    data = tmp_path / "blend-x-verl"
    data.mkdir(exist_ok=True)
    (data / "train-00000.parquet").write_bytes(b"")
    printed = subprocess.run(
        ["bash", str(VERL_LAUNCH)],
        env={**os.environ, "DATA": str(data), "DRY_RUN": "1", **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(line.split("=", 1) for line in printed.splitlines())


def test_verl_launch_sets_the_paper_settings_in_verl_names(tmp_path: Path) -> None:
    opts = verl_overrides(tmp_path)
    assert opts["algorithm.adv_estimator"] == "grpo"
    assert float(opts["actor_rollout_ref.actor.optim.lr"]) == PAPER_LR
    assert opts["actor_rollout_ref.actor.optim.lr_scheduler_type"] == "constant"
    assert float(opts["actor_rollout_ref.actor.optim.lr_warmup_steps_ratio"]) == 0.0
    assert int(opts["data.train_batch_size"]) == PAPER_PROMPTS_PER_STEP
    assert int(opts["actor_rollout_ref.actor.ppo_mini_batch_size"]) == PAPER_MINI_BATCH
    assert int(opts["actor_rollout_ref.actor.ppo_epochs"]) == 1
    assert int(opts["actor_rollout_ref.rollout.n"]) == PAPER_ROLLOUTS
    assert opts["actor_rollout_ref.actor.use_kl_loss"] == "True"
    assert float(opts["actor_rollout_ref.actor.kl_loss_coef"]) == PAPER_KL
    assert opts["actor_rollout_ref.actor.kl_loss_type"] == "low_var_kl"
    assert opts["algorithm.use_kl_in_reward"] == "False"
    prompt, response = int(opts["data.max_prompt_length"]), int(opts["data.max_response_length"])
    assert prompt + response == PAPER_MAX_CONTEXT
    assert float(opts["actor_rollout_ref.rollout.temperature"]) == PAPER_TEMPERATURE
    assert float(opts["actor_rollout_ref.rollout.top_p"]) == PAPER_TOP_P
    assert opts["reward.custom_reward_function.path"] == str(
        REPO_ROOT / "crossthink_train" / "verl_reward.py"
    )
    assert opts["reward.custom_reward_function.name"] == "compute_score"
    assert opts["actor_rollout_ref.model.path"] == "Qwen/Qwen2.5-7B"
    assert opts["data.train_files"] == f"['{tmp_path / 'blend-x-verl' / 'train-00000.parquet'}']"


def test_verl_launch_trains_one_epoch_or_a_fixed_number_of_steps(tmp_path: Path) -> None:
    blend = verl_overrides(tmp_path)
    assert blend["trainer.total_epochs"] == "1" and "trainer.total_training_steps" not in blend
    single = verl_overrides(tmp_path, STEPS=str(TABLE3_STEPS))
    assert int(single["trainer.total_training_steps"]) == TABLE3_STEPS
    assert int(single["trainer.total_epochs"]) > 1  # a small source repeats until the 250 steps are done
