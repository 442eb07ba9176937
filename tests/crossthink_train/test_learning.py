"""GRPO learns: on a toy verifiable MCQ task the CrossThink reward rises, with a fixed seed, on CPU.

The task: real MMLU auxiliary-train questions whose options are reordered so the gold is always
"C". A random tiny model never writes the answer format, so it first gets a short SFT warm start
on "<think> ... </think> \\boxed{X}" with X drawn uniformly from A-D: it then answers in format
with a ~25% chance of the right letter and no preference for C. GRPO with the real
``crossthink`` reward has to discover the letter. Checked twice: the logged reward of the last
steps against the first ones, and an independent sampled evaluation before and after training.
"""

from __future__ import annotations

import random

import pytest
import torch

from crossthink_data.record import QARecord
from crossthink_data.templates import render
from crossthink_train.rewards import crossthink
from tests.helpers.paths import REPO_ROOT

SAMPLE = REPO_ROOT / "tests" / "data" / "train" / "crossthink_sample"
GOLD = "C"


def gold_at_c(row: dict) -> dict:
    """The same question with its options reordered so the gold option is the third one."""
    record = QARecord.from_dict(row)
    gold_text = record.options[ord(record.answer) - ord("A")]
    others = [option for option in record.options if option != gold_text]
    options = others[:2] + [gold_text] + others[2:]
    moved = QARecord(
        source=record.source,
        domain=record.domain,
        category=record.category,
        question=record.question,
        options=options,
        answer=GOLD,
    )
    return render(moved, "mcq")


@pytest.fixture(scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def task(tmp_path_factory):
    from datasets import Dataset, load_dataset

    rows = [gold_at_c(row) for row in load_dataset(str(SAMPLE), "mcq", split="train")]
    folder = tmp_path_factory.mktemp("toy_task")
    Dataset.from_list(rows).to_parquet(str(folder / "train.parquet"))
    return folder, rows


@pytest.fixture(scope="module")
def primed_model(task, tmp_path_factory, one_thread):
    """Tiny model whose tokenizer knows the prompts, SFT'd on the format with a random letter."""
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    from crossthink_train.tiny_model import build_tiny_model

    _, rows = task
    root = tmp_path_factory.mktemp("primed")
    corpus = [row["prompt"][0]["content"] for row in rows]
    base = build_tiny_model(root / "base", corpus=corpus * 3, vocab_size=1024)
    rng = random.Random(0)
    sft_rows = [
        {
            "prompt": row["prompt"],
            "completion": [
                {
                    "role": "assistant",
                    "content": f"<think> The options are A, B, C and D. </think> \\boxed{{{letter}}}",
                }
            ],
        }
        for row in rows
        for letter in rng.sample("ABCD", 4)  # every letter equally often for every question
    ]
    config = SFTConfig(
        output_dir=str(root / "sft"),
        use_cpu=True,
        bf16=False,
        max_steps=60,
        per_device_train_batch_size=16,
        learning_rate=5e-3,
        lr_scheduler_type="constant",
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        seed=0,
    )
    trainer = SFTTrainer(model=str(base), train_dataset=Dataset.from_list(sft_rows), args=config)
    trainer.train()
    trainer.save_model(str(root / "model"))
    return root / "model"


def sampled_reward(model, tokenizer, rows, samples: int = 4, seed: int = 1) -> float:
    """Mean crossthink reward of ``samples`` temperature-1 completions per prompt."""
    torch.manual_seed(seed)
    texts, golds = [], []
    for row in rows:
        inputs = tokenizer.apply_chat_template(
            row["prompt"], add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        out = model.generate(
            **inputs, do_sample=True, temperature=1.0, max_new_tokens=24, num_return_sequences=samples
        )
        texts += tokenizer.batch_decode(out[:, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
        golds += [row["ground_truth"]] * samples
    rewards = crossthink(completions=texts, ground_truth=golds, kind=["mcq"] * len(texts))
    return sum(rewards) / len(rewards)


@pytest.mark.slow
def test_grpo_raises_the_crossthink_reward_on_a_toy_mcq_task(task, primed_model, tmp_path, one_thread):
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, ModelConfig

    from crossthink_train.grpo import CrossThinkScriptArguments, build_trainer

    folder, rows = task
    tokenizer = AutoTokenizer.from_pretrained(primed_model)
    before = sampled_reward(AutoModelForCausalLM.from_pretrained(primed_model), tokenizer, rows)

    args = GRPOConfig(
        output_dir=str(tmp_path / "grpo"),
        use_cpu=True,
        bf16=False,
        activation_checkpointing=False,
        max_steps=30,
        per_device_train_batch_size=16,  # 2 prompts x 8 generations per step
        num_generations=8,
        max_completion_length=24,
        learning_rate=1e-3,
        lr_scheduler_type="constant",
        beta=0.0,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        seed=0,
    )
    script = CrossThinkScriptArguments(dataset_name=str(folder), reward_funcs=["crossthink"])
    trainer = build_trainer(script, args, ModelConfig(model_name_or_path=str(primed_model)))
    trainer.train()

    logged = [
        entry["rewards/crossthink/mean"]
        for entry in trainer.state.log_history
        if "rewards/crossthink/mean" in entry
    ]
    assert len(logged) == 30
    first, last = sum(logged[:5]) / 5, sum(logged[-5:]) / 5
    after = sampled_reward(trainer.model.eval(), tokenizer, rows)
    print(
        f"logged reward first 5 steps {first:.3f}, last 5 steps {last:.3f}; sampled before {before:.3f}, after {after:.3f}"
    )
    assert first < 0.5  # the warm start does not already know the letter
    assert last >= first + 0.25
    assert after >= before + 0.25
