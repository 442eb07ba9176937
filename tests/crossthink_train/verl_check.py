"""Run inside the veRL environment (``make verl-env``): veRL's own code reads our data and reward.

    .venv-verl/bin/python tests/crossthink_train/verl_check.py REPO TOKENIZER OVERRIDES_FILE

1. veRL 0.9.1's trainer config (``ppo_trainer``, composed by Hydra in struct mode) accepts every
   override of ``crossthink_train/launch/verl_grpo.sh`` (``OVERRIDES_FILE``: its ``DRY_RUN=1``
   output); an unknown key fails the composition.
2. veRL's ``RLHFDataset`` reads every ``*-verl`` config under ``REPO/data`` with that config's
   ``data`` section (its over-long prompt filter off, see below), and yields every row.
3. veRL's ``get_custom_reward_fn`` loads ``reward.custom_reward_function`` from that config (our
   ``crossthink_train/verl_reward.py:compute_score``), called the way veRL's naive reward manager
   calls it, and scores each row's formatted gold 1.0 and a wrong answer 0.0.

Prints one JSON line (configs, rows, scores) and exits 0, or prints one ``error: ...`` line and exits 1.
Started by tests/crossthink_train/test_verl.py (with the repository on PYTHONPATH).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

OPTION_LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def compose(overrides: list[str]):
    """veRL's own PPO trainer config with the launch file's overrides (unknown keys raise)."""
    import verl.trainer.config as verl_config
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    config_dir = str(Path(verl_config.__file__).parent)
    with initialize_config_dir(config_dir=config_dir, version_base=None):
        return hydra_compose(config_name="ppo_trainer", overrides=overrides)


def responses(row: dict) -> tuple[str, str]:
    """(a well-formed response with the gold answer, a well-formed response with a wrong one)."""
    gold = str(row["reward_model"]["ground_truth"])
    extra = row["extra_info"]
    if extra["kind"] == "mcq":
        labels = OPTION_LABELS[: len(extra["options"])]
        wrong = next(label for label in labels if label != gold.strip())
    else:  # a number no gold of the demo is
        wrong = "987654321"
    think = "<think>Let me reason about it step by step.</think>"
    return f"{think} The answer is \\boxed{{{gold}}}.", f"{think} The answer is \\boxed{{{wrong}}}."


def check_config(folder: Path, tokenizer, cfg, reward_fn) -> dict:
    """Read one -verl config with RLHFDataset and score every row; returns counts (raises on a miss)."""
    import pyarrow.parquet as pq
    from verl.utils.dataset.rl_dataset import RLHFDataset

    files = sorted(str(f) for f in folder.glob("*.parquet"))
    expected = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    dataset = RLHFDataset(data_files=files, tokenizer=tokenizer, config=cfg.data)
    if len(dataset) != expected:
        raise AssertionError(f"{folder.name}: RLHFDataset kept {len(dataset)} of {expected} rows")
    kinds: dict[str, int] = {}
    for index in range(len(dataset)):
        row = dataset[index]
        if not row["raw_prompt"] or row["raw_prompt"][-1]["role"] != "user":
            raise AssertionError(f"{folder.name} row {index}: no user prompt in raw_prompt")
        right, wrong = responses(row)
        for text, want in ((right, 1.0), (wrong, 0.0)):
            # as verl.experimental.reward_loop.reward_manager.naive calls it
            extra = {**row["extra_info"], "num_turns": None, "rollout_reward_scores": {}}
            got = reward_fn(
                data_source=row["data_source"],
                solution_str=text,
                ground_truth=row["reward_model"]["ground_truth"],
                extra_info=extra,
            )
            if got != want:
                raise AssertionError(
                    f"{folder.name} row {index} ({row['data_source']}, {row['extra_info']['kind']}): "
                    f"{text!r} scored {got}, expected {want}"
                )
        kinds[row["extra_info"]["kind"]] = kinds.get(row["extra_info"]["kind"], 0) + 1
    return {"rows": len(dataset), "kinds": kinds}


def main(repo: str, tokenizer_dir: str, overrides_file: str) -> dict:
    from transformers import AutoTokenizer
    from verl.trainer.ppo.reward import get_custom_reward_fn

    overrides = Path(overrides_file).read_text().splitlines()
    cache = tempfile.mkdtemp(prefix="verl-check-")
    # Every row is read: the tiny test tokenizer cuts text into many more tokens than Qwen's, so
    # veRL's over-long prompt filter (on in the launch file, as the TRL side drops the same rows)
    # would measure the test tokenizer, not our data.
    cfg = compose([*overrides, f"+data.cache_dir={cache}", "data.filter_overlong_prompts=False"])
    reward_fn = get_custom_reward_fn(cfg)
    if reward_fn is None:
        raise AssertionError("reward.custom_reward_function.path is not set in the launch file")
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    folders = sorted(p for p in (Path(repo) / "data").iterdir() if p.name.endswith("-verl"))
    if not folders:
        raise AssertionError(f"no -verl config under {repo}/data")
    settings = {
        "lr": cfg.actor_rollout_ref.actor.optim.lr,
        "train_batch_size": cfg.data.train_batch_size,
        "ppo_mini_batch_size": cfg.actor_rollout_ref.actor.ppo_mini_batch_size,
        "rollout_n": cfg.actor_rollout_ref.rollout.n,
        "kl_loss_coef": cfg.actor_rollout_ref.actor.kl_loss_coef,
        "kl_loss_type": cfg.actor_rollout_ref.actor.kl_loss_type,
        "use_kl_loss": cfg.actor_rollout_ref.actor.use_kl_loss,
        "context": cfg.actor_rollout_ref.rollout.prompt_length
        + cfg.actor_rollout_ref.rollout.response_length,
        "temperature": cfg.actor_rollout_ref.rollout.temperature,
        "lr_scheduler_type": cfg.actor_rollout_ref.actor.optim.lr_scheduler_type,
    }
    configs = {folder.name: check_config(folder, tokenizer, cfg, reward_fn) for folder in folders}
    return {
        "settings": settings,
        "configs": configs,
        "default_reward_refuses": default_reward_refuses(folders),
    }


def default_reward_refuses(folders: list[Path]) -> list[str]:
    """The data sources veRL's built-in reward cannot score (issue 16, finding 10): why ours is needed."""
    import pyarrow.parquet as pq
    from verl.utils.reward_score import default_compute_score

    sources = {
        s
        for f in folders
        for p in f.glob("*.parquet")
        for s in pq.read_table(p).column("data_source").to_pylist()
    }
    refused = []
    for source in sorted(sources):
        try:
            default_compute_score(source, "<think>x</think> \\boxed{A}", "A")
        except NotImplementedError:
            refused.append(source)
    return refused


if __name__ == "__main__":
    try:
        print(json.dumps(main(*sys.argv[1:4])))
    except Exception as err:  # one line for the test to show, not a traceback
        message = " ".join(str(err).split())[:2000]
        print(f"error: {type(err).__name__}: {message}")
        sys.exit(1)
