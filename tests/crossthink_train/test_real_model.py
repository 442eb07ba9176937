"""Two GRPO LoRA steps on a real instruct model (SmolLM2-135M-Instruct, the folder
``crossthink-train real-model`` writes), with the CrossThink reward, on CPU.

The model never writes ``<think>``/``\\boxed{}`` on its own, so its rewards are mostly 0: this
checks that the real model goes through TRL's GRPO loop with our reward and metrics (generation,
scoring, the LoRA adapter saved), not learning (tests/crossthink_train/test_learning.py does that).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.paths import REPO_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.realmodel]
RECIPE = REPO_ROOT / "crossthink_train" / "recipes" / "tiny_cpu.yaml"
COMPLETION_TOKENS = 24


def run_grpo_module(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false"}
    command = [sys.executable, "-m", "crossthink_train.grpo", *args]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900)


def test_two_lora_steps_on_the_real_model_log_the_crossthink_reward(real_model_dir: Path, tmp_path: Path):
    out = tmp_path / "lora"
    result = run_grpo_module(
        "--config", str(RECIPE),
        "--model_name_or_path", str(real_model_dir),
        "--output_dir", str(out),
        "--dataset_name", str(REPO_ROOT / "tests/data/train/crossthink_sample"),
        "--reward_funcs", "crossthink",
        "--use_peft", "true",
        "--max_steps", "2",
        "--per_device_train_batch_size", "4",
        "--num_generations", "2",
        "--max_completion_length", str(COMPLETION_TOKENS),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]

    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    steps = [entry for entry in history if "rewards/crossthink/mean" in entry]
    assert [entry["step"] for entry in steps] == [1, 2]
    for entry in steps:
        assert 0.0 <= entry["rewards/crossthink/mean"] <= 1.0
        assert 0.0 <= entry["rewards/format/mean"] <= 1.0 and 0.0 <= entry["rewards/accuracy/mean"] <= 1.0
        assert 1 <= entry["completions/mean_length"] <= COMPLETION_TOKENS
    adapter = json.loads((out / "adapter_config.json").read_text())
    assert Path(adapter["base_model_name_or_path"]) == real_model_dir
    assert (out / "adapter_model.safetensors").is_file() and not (out / "model.safetensors").exists()
