"""Real GRPO runs on the tiny model (CPU): full and LoRA training, checkpoints, merge, resume, `trl grpo`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.helpers.paths import REPO_ROOT

TINY_RECIPE = REPO_ROOT / "crossthink_train" / "recipes" / "tiny_cpu.yaml"
SUBPROCESS_ENV = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}


def length_reward(completion_ids, **kwargs):
    """Test-only reward with spread on random-model output (longer = better), so LoRA gets gradients.

    The CrossThink reward is 0 for every completion of an untrained tiny model, which gives GRPO
    zero advantages and the adapter nothing to learn; the LoRA test needs the adapter to move.
    """
    return [float(len(ids)) for ids in completion_ids]


@pytest.fixture
def one_thread():
    """Tiny matrices: a second thread only contends (10x slower on a busy 2-core machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def run_grpo_module(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crossthink_train.grpo", *args],
        cwd=cwd,
        env=SUBPROCESS_ENV,
        capture_output=True,
        text=True,
        timeout=600,
    )


def generate(model_dir: Path, max_new_tokens: int = 8) -> str:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    ids = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Which planet is closest to the sun?"}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    out = model.generate(**ids, max_new_tokens=max_new_tokens, min_new_tokens=max_new_tokens, do_sample=False)
    assert out.shape[1] == ids["input_ids"].shape[1] + max_new_tokens
    return tokenizer.decode(out[0, ids["input_ids"].shape[1] :])


@pytest.fixture(scope="module")
def full_run(tiny_model_dir, tmp_path_factory):
    """`python -m crossthink_train.grpo --config tiny_cpu.yaml` with the blend, 3 steps, checkpoint at 2."""
    out = tmp_path_factory.mktemp("full_run")
    result = run_grpo_module(
        "--config", str(TINY_RECIPE),
        "--model_name_or_path", str(tiny_model_dir),
        "--output_dir", str(out),
        "--reward_funcs", "crossthink",
        "--max_steps", "3",
        "--save_strategy", "steps",
        "--save_steps", "2",
        "--learning_rate", "1e-2",
        "--max_prompt_length", "400",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result


@pytest.mark.slow
def test_full_run_saves_a_model_that_reloads_and_generates(full_run, tiny_model_dir):
    from safetensors.torch import load_file

    out, _ = full_run
    assert (out / "model.safetensors").is_file() and (out / "checkpoint-2").is_dir()
    generate(out)
    before, after = load_file(tiny_model_dir / "model.safetensors"), load_file(out / "model.safetensors")
    assert before.keys() == after.keys()
    # Every CrossThink reward of a random model is 0, so every advantage is 0 and the KL to the
    # reference is 0 with zero gradient: GRPO has no signal and the weights must not move.
    assert all(torch.equal(before[k], after[k]) for k in before)


@pytest.mark.slow
def test_full_run_logs_rewards_and_per_source_kind_metrics(full_run):
    out, _ = full_run
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    steps = [entry for entry in history if "rewards/crossthink/mean" in entry]
    assert [entry["step"] for entry in steps] == [1, 2, 3]
    keys = set().union(*steps)
    # 3 steps x 2 prompts of the interleaved blend cover both sources and all three kinds
    for name in ("crossthink", "accuracy", "format"):
        assert {f"rewards/{name}/source/mmlu_train", f"rewards/{name}/source/math_train"} <= keys
        assert {f"rewards/{name}/kind/{kind}" for kind in ("mcq", "open", "math")} <= keys
    assert {f"completions/mean_length/kind/{kind}" for kind in ("mcq", "open", "math")} <= keys
    for entry in steps:
        assert entry["rewards/crossthink/mean"] == 0.0  # an untrained random model never answers
        lengths = [v for k, v in entry.items() if k.startswith("completions/mean_length/")]
        assert lengths and all(1 <= v <= 32 for v in lengths)  # max_completion_length of tiny_cpu


@pytest.mark.slow
def test_rerun_resumes_from_the_last_checkpoint(full_run, tiny_model_dir, one_thread):
    from crossthink_train.grpo import last_checkpoint, main, make_parser

    out, _ = full_run
    assert last_checkpoint(str(out)) == str(out / "checkpoint-3")  # the final step is checkpointed too
    saved = json.loads((out / "checkpoint-3" / "trainer_state.json").read_text())["log_history"]
    script, args, model = make_parser().parse_args_and_config(
        args=[
            "--config", str(TINY_RECIPE),
            "--model_name_or_path", str(tiny_model_dir),
            "--output_dir", str(out),
            "--dataset_name", str(REPO_ROOT / "tests/data/train/crossthink_sample"),
            "--max_steps", "5",
            "--save_strategy", "no",
        ]
    )  # fmt: skip
    trainer = main(script, args, model)
    history = trainer.state.log_history
    assert trainer.state.global_step == 5
    # steps 1-3 come from the checkpoint (identical records, timings included), 4-5 were trained now
    old = (1, 2, 3)
    assert [e for e in history if e.get("step") in old] == [e for e in saved if e.get("step") in old]
    assert [e["step"] for e in history if "rewards/crossthink/mean" in e] == [1, 2, 3, 4, 5]


@pytest.mark.slow
def test_lora_run_saves_all_linear_adapter_and_merge_reloads(tiny_model_dir, tmp_path, one_thread):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM
    from typer.testing import CliRunner

    from crossthink_train.cli import app
    from crossthink_train.grpo import main, make_parser

    out = tmp_path / "lora"
    script, args, model = make_parser().parse_args_and_config(
        args=[
            "--config", str(TINY_RECIPE),
            "--model_name_or_path", str(tiny_model_dir),
            "--output_dir", str(out),
            "--dataset_name", str(REPO_ROOT / "tests/data/train/crossthink_sample"),
            "--reward_funcs", "tests.crossthink_train.test_runs.length_reward",
            "--use_peft", "true",
            "--learning_rate", "5e-2",
            "--max_steps", "3",
        ]
    )  # fmt: skip
    trainer = main(script, args, model)
    assert "rewards/length_reward/mean" in trainer.state.log_history[0]
    adapter = json.loads((out / "adapter_config.json").read_text())
    adapted = {name.rsplit(".", 1)[-1] for name in adapter["target_modules"]}
    assert adapted == {
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
        "gate_proj",
        "up_proj",
        "down_proj",
    }  # not lm_head
    assert not (out / "model.safetensors").exists()  # an adapter, not a full model

    merged = tmp_path / "merged"
    result = CliRunner().invoke(
        app, ["merge-adapter", str(out), str(merged), "--base-model", str(tiny_model_dir)]
    )
    assert result.exit_code == 0, result.output
    generate(merged)

    inputs = torch.tensor([[5, 17, 42, 99, 7, 3]])
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir).eval()
    with torch.no_grad():
        base_logits = base(inputs).logits
        adapted_logits = PeftModel.from_pretrained(base, str(out)).eval()(inputs).logits
        merged_logits = AutoModelForCausalLM.from_pretrained(merged).eval()(inputs).logits
    assert torch.allclose(merged_logits, adapted_logits, atol=1e-5)  # merging kept the adapter's function
    assert (merged_logits - base_logits).abs().max() > 1e-4  # and the adapter had learned something


def test_merge_adapter_rejects_a_folder_without_adapter(tiny_model_dir, tmp_path):
    from typer.testing import CliRunner

    from crossthink_train.cli import app

    result = CliRunner().invoke(app, ["merge-adapter", str(tiny_model_dir), str(tmp_path / "x")])
    assert result.exit_code == 2 and "adapter_config.json" in result.output


def test_missing_reward_columns_fail_before_training(tiny_model_dir, tmp_path):
    from datasets import Dataset

    from crossthink_train.data import DataError
    from crossthink_train.grpo import build_trainer, make_parser

    data = tmp_path / "data"
    data.mkdir()
    Dataset.from_list([{"prompt": [{"role": "user", "content": "hi"}], "answer": "A"}]).to_parquet(
        str(data / "train.parquet")
    )
    script, args, model = make_parser().parse_args_and_config(
        args=[
            "--config", str(TINY_RECIPE),
            "--model_name_or_path", str(tiny_model_dir),
            "--output_dir", str(tmp_path / "out"),
            "--dataset_name", str(data),
            "--dataset_config", "default",
        ]
    )  # fmt: skip
    with pytest.raises(DataError, match=r"lacks column\(s\) ground_truth, kind"):
        build_trainer(script, args, model)


@pytest.mark.slow
def test_trl_grpo_cli_runs_the_tiny_recipe(tiny_model_dir, tmp_path):
    """TRL's own `trl grpo` accepts tiny_cpu.yaml unchanged (only paths overridden)."""
    out = tmp_path / "trl"
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "trl"), "grpo",
            "--config", str(TINY_RECIPE),
            "--model_name_or_path", str(tiny_model_dir),
            "--output_dir", str(out),
            "--max_steps", "2",
        ],
        cwd=REPO_ROOT, env=SUBPROCESS_ENV, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert (out / "model.safetensors").is_file()
    generate(out)
