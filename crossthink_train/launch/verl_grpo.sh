#!/bin/bash
# GRPO on veRL 0.9.1 (the trainer the paper used) with the paper's settings, in veRL's own names.
#
#   DATA=crossthink/data/blend-crossthink-verl bash crossthink_train/launch/verl_grpo.sh
#   DATA=crossthink/data/blend-<one-source>-verl STEPS=250 bash crossthink_train/launch/verl_grpo.sh  # Table 3
#   DATA=... bash crossthink_train/launch/verl_grpo.sh trainer.nnodes=4 trainer.n_gpus_per_node=8  # overrides
#
# DATA: a folder of parquet shards of a `-verl` config (or one parquet file), as crossthink-data
# exports them (data/blend-<name>-verl/ of the exported repo; the export writes -verl configs for
# blends, so a Table 3 run on one source reads a blend of that source alone). Every extra argument
# is one more Hydra override, appended last (it wins).
# Environment knobs: MODEL (Qwen/Qwen2.5-7B, the paper's base model; a local folder works), STEPS
# (empty: one epoch, the paper gives no step count for its blend runs; 250: Table 3's single-source
# length), GPUS_PER_NODE (8), NNODES (1), OUTPUT_DIR (checkpoints/crossthink-verl), PYTHON
# (python3 of the environment with verl installed), DRY_RUN=1 (print the overrides, one a line,
# and exit: tests/crossthink_train/test_recipes.py and tests/crossthink_train/verl_check.py read them).
#
# Paper setting (arXiv 2504.13941v3, Section 3; sources in docs/fidelity.md) -> veRL 0.9.1 key
#   GRPO, group-normalised advantages          -> algorithm.adv_estimator=grpo (norm_adv_by_std_in_grpo default true)
#   lr 1e-6, constant                          -> actor_rollout_ref.actor.optim.lr, lr_scheduler_type=constant, no warmup
#   batch 128 prompts                          -> data.train_batch_size=128
#   PPO mini-batch 128 (one update per batch)  -> actor_rollout_ref.actor.ppo_mini_batch_size=128, ppo_epochs=1
#   8 rollouts per prompt                      -> actor_rollout_ref.rollout.n=8
#   KL coefficient 0.001 (k3, in the loss)     -> actor.use_kl_loss=True, kl_loss_coef=0.001, kl_loss_type=low_var_kl,
#                                                 algorithm.use_kl_in_reward=False
#   max context 5000                           -> data.max_prompt_length=1024 + data.max_response_length=3976
#                                                 (the paper gives the total only; the split is the TRL recipe's)
#   temperature 1.0, top-p 1.0                 -> actor_rollout_ref.rollout.temperature=1.0, top_p=1.0
#   reward R_acc AND R_format                  -> reward.custom_reward_function.path/name: crossthink_train/verl_reward.py
#                                                 compute_score (the checker the TRL reward uses)
# Not stated by the paper, veRL 0.9.1's defaults kept: clip_ratio 0.2, loss_agg_mode token-mean,
# entropy_coeff 0, actor.optim.weight_decay 0.01.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DATA=${DATA:?set DATA to a -verl config folder (parquet shards) or one parquet file}
MODEL=${MODEL:-Qwen/Qwen2.5-7B}
STEPS=${STEPS:-}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
NNODES=${NNODES:-1}
OUTPUT_DIR=${OUTPUT_DIR:-checkpoints/crossthink-verl}
PYTHON=${PYTHON:-python3}

if [ -d "$DATA" ]; then
    mapfile -t FILES < <(find "$DATA" -name '*.parquet' | sort)
else
    FILES=("$DATA")
fi
if [ "${#FILES[@]}" -eq 0 ]; then
    echo "error: no parquet file under $DATA" >&2
    exit 1
fi
TRAIN_FILES="[$(printf "'%s'," "${FILES[@]}" | sed 's/,$//')]"

ARGS=(
    algorithm.adv_estimator=grpo
    algorithm.use_kl_in_reward=False
    data.train_files="$TRAIN_FILES"
    data.val_files="$TRAIN_FILES"
    data.prompt_key=prompt
    data.train_batch_size=128
    data.max_prompt_length=1024
    data.max_response_length=3976
    data.filter_overlong_prompts=True
    data.truncation=error
    actor_rollout_ref.model.path="$MODEL"
    actor_rollout_ref.model.enable_gradient_checkpointing=True
    actor_rollout_ref.actor.optim.lr=1e-6
    actor_rollout_ref.actor.optim.lr_scheduler_type=constant
    actor_rollout_ref.actor.optim.lr_warmup_steps_ratio=0.0
    actor_rollout_ref.actor.ppo_mini_batch_size=128
    actor_rollout_ref.actor.ppo_epochs=1
    actor_rollout_ref.actor.use_dynamic_bsz=True
    actor_rollout_ref.actor.ppo_max_token_len_per_gpu=16384
    actor_rollout_ref.actor.use_kl_loss=True
    actor_rollout_ref.actor.kl_loss_coef=0.001
    actor_rollout_ref.actor.kl_loss_type=low_var_kl
    actor_rollout_ref.rollout.name=vllm
    actor_rollout_ref.rollout.n=8
    actor_rollout_ref.rollout.temperature=1.0
    actor_rollout_ref.rollout.top_p=1.0
    actor_rollout_ref.rollout.top_k=-1
    reward.custom_reward_function.path="$ROOT/crossthink_train/verl_reward.py"
    reward.custom_reward_function.name=compute_score
    trainer.n_gpus_per_node="$GPUS_PER_NODE"
    trainer.nnodes="$NNODES"
    trainer.val_before_train=False
    trainer.test_freq=-1
    trainer.save_freq=50
    trainer.logger="['console']"
    trainer.project_name=crossthink
    trainer.experiment_name="$(basename "$DATA" .parquet)"
    trainer.default_local_dir="$OUTPUT_DIR"
)
if [ -n "$STEPS" ]; then
    # a fixed number of steps (Table 3: 250 per single source), over as many epochs as that takes
    ARGS+=(trainer.total_training_steps="$STEPS" trainer.total_epochs=1000)
else
    # the paper gives no step count for its blend runs: one epoch over the blend
    ARGS+=(trainer.total_epochs=1)
fi

if [ "${DRY_RUN:-0}" = 1 ]; then
    printf '%s\n' "${ARGS[@]}" "$@"
    exit 0
fi
# the reward file imports crossthink_train and crossthink_data: make them importable for veRL's
# workers when crossthink is not installed in this environment
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
exec "$PYTHON" -m verl.trainer.main_ppo "${ARGS[@]}" "$@"
