"""Per-step overhead of ``crossthink_train.grpo`` over a plain TRL ``GRPOTrainer`` script.

Same tiny model, same data (the blend of tests/data/train/crossthink_sample), same GRPOConfig and
seed, so both sample the same completions; ours adds the per-source/per-kind breakdown and the
accuracy/format components. Runs alternate (ours, TRL, ours, TRL) and the median of TRL's own
``step_time`` metric is compared, first steps dropped. A second line times the reward call
alone on answer-shaped completions, where the components do real checking work.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "tests" / "data" / "train" / "crossthink_sample"
CONFIG = "blend-tiny"
STEPS = 10
WARMUP_STEPS = 2
ROUNDS = 2


def grpo_args(output_dir: Path):
    from trl import GRPOConfig

    return GRPOConfig(
        output_dir=str(output_dir),
        use_cpu=True,
        bf16=False,
        activation_checkpointing=False,
        max_steps=STEPS,
        per_device_train_batch_size=8,
        num_generations=4,
        max_completion_length=32,
        learning_rate=1e-4,
        beta=0.001,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        seed=0,
    )


def step_times(trainer) -> list[float]:
    trainer.train()
    times = [entry["step_time"] for entry in trainer.state.log_history if "step_time" in entry]
    return times[WARMUP_STEPS:]


def run_ours(model_dir: Path, work: Path) -> list[float]:
    from trl import ModelConfig

    from crossthink_train.grpo import CrossThinkScriptArguments, build_trainer

    script = CrossThinkScriptArguments(dataset_name=str(SAMPLE), dataset_config=CONFIG)
    return step_times(build_trainer(script, grpo_args(work), ModelConfig(model_name_or_path=str(model_dir))))


def run_plain_trl(model_dir: Path, work: Path) -> list[float]:
    from datasets import load_dataset
    from trl import GRPOTrainer

    from crossthink_train.rewards import crossthink

    dataset = load_dataset(str(SAMPLE), CONFIG, split="train")
    trainer = GRPOTrainer(
        model=str(model_dir), reward_funcs=[crossthink], args=grpo_args(work), train_dataset=dataset
    )
    return step_times(trainer)


def reward_call_overhead(repeats: int = 20) -> tuple[float, float]:
    """Milliseconds per batch of 64 answer-shaped completions: bare crossthink vs ours (wrapped)."""
    from datasets import load_dataset

    from crossthink_train.metrics import RewardBreakdown
    from crossthink_train.rewards import accuracy, crossthink, format_reward

    rows = list(load_dataset(str(SAMPLE), CONFIG, split="train")) * 3
    rows = rows[:64]
    completions = [
        [
            {
                "role": "assistant",
                "content": f"<think> checking the options </think> \\boxed{{{row['ground_truth']}}}",
            }
        ]
        if i % 2
        else [{"role": "assistant", "content": "<think> unsure </think> \\boxed{B}"}]
        for i, row in enumerate(rows)
    ]
    kwargs = {
        "prompts": [row["prompt"] for row in rows],
        "completions": completions,
        "completion_ids": [[1] * 20 for _ in rows],
        "ground_truth": [row["ground_truth"] for row in rows],
        "kind": [row["kind"] for row in rows],
        "options": [row["options"] for row in rows],
        "source": [row["source"] for row in rows],
        "log_metric": lambda name, value: None,
    }
    (wrapped,) = RewardBreakdown(components={"accuracy": accuracy, "format": format_reward}).wrap(
        [crossthink]
    )

    def timed(func) -> float:
        func(**kwargs)  # warm caches
        start = time.perf_counter()
        for _ in range(repeats):
            func(**kwargs)
        return (time.perf_counter() - start) / repeats * 1000

    return timed(crossthink), timed(wrapped)


def main() -> None:
    import torch

    from crossthink_train.tiny_model import build_tiny_model

    torch.set_num_threads(1)  # tiny matrices: more threads only add contention noise
    ours: list[float] = []
    plain: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = build_tiny_model(Path(tmp) / "model")
        for round_index in range(ROUNDS):
            ours += run_ours(model_dir, Path(tmp) / f"ours{round_index}")
            plain += run_plain_trl(model_dir, Path(tmp) / f"plain{round_index}")
    ours_ms, plain_ms = statistics.median(ours) * 1000, statistics.median(plain) * 1000
    print(f"GRPO step, tiny model, {CONFIG}, 8 completions x 32 tokens, median of {len(ours)} steps:")
    print(f"  crossthink_train.grpo : {ours_ms:8.1f} ms/step")
    print(f"  plain TRL GRPOTrainer : {plain_ms:8.1f} ms/step")
    print(f"  ratio ours/TRL        : {ours_ms / plain_ms:8.3f}  (target <= 1.05)")
    bare, wrapped = reward_call_overhead()
    print(
        f"reward call, 64 answer-shaped completions: crossthink {bare:.2f} ms, "
        f"with breakdown + accuracy/format components {wrapped:.2f} ms (+{wrapped - bare:.2f} ms per batch)"
    )


if __name__ == "__main__":
    main()
