"""veRL as a second trainer: veRL 0.9.1's own code reads the demo's -verl configs and our reward.

veRL does not share an environment with TRL 1.16 and lighteval, so it has its own, built by
``make verl-env`` (``make test`` builds it first): the test runs tests/crossthink_train/verl_check.py
with that environment's python (``CROSSTHINK_VERL_PYTHON``, which the Makefile sets; default
``.venv-verl/bin/python``). Without it the test fails, naming the command that builds it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from crossthink_train.rewards import crossthink
from crossthink_train.verl_reward import compute_score
from tests.helpers.paths import REPO_ROOT

VERL_PYTHON = Path(os.environ.get("CROSSTHINK_VERL_PYTHON") or REPO_ROOT / ".venv-verl" / "bin" / "python")
LAUNCH = REPO_ROOT / "crossthink_train" / "launch" / "verl_grpo.sh"
CHECK = Path(__file__).with_name("verl_check.py")
MCQ_OPTIONS = ["Paris", "Lyon", "Nice", "Lille"]


@pytest.fixture(scope="session")
def verl_python() -> Path:
    """The veRL environment's python; checked first, before the demo is built (a fail, never a skip)."""
    if not VERL_PYTHON.exists():
        pytest.fail(f"no veRL environment at {VERL_PYTHON}: run `make verl-env`", pytrace=False)
    return VERL_PYTHON


@pytest.mark.slow
def test_verl_reads_every_demo_verl_config_and_scores_with_our_reward(
    verl_python, demo_build, tiny_model_dir, tmp_path
):
    python = verl_python
    repo = demo_build["repo"]
    overrides = subprocess.run(
        ["bash", str(LAUNCH)],
        env={**os.environ, "DATA": str(repo / "data" / "blend-crossthink-verl"), "DRY_RUN": "1"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (tmp_path / "overrides.txt").write_text(overrides)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    done = subprocess.run(
        [str(python), str(CHECK), str(repo), str(tiny_model_dir), str(tmp_path / "overrides.txt")],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    last = (done.stdout.strip().splitlines() or [""])[-1]
    assert done.returncode == 0, last or done.stderr[-2000:]
    result = json.loads(last)
    expected = sorted(p.name for p in (repo / "data").iterdir() if p.name.endswith("-verl"))
    assert expected and sorted(result["configs"]) == expected
    assert result["configs"]["blend-crossthink-verl"]["rows"] > 0
    kinds = {kind for config in result["configs"].values() for kind in config["kinds"]}
    assert kinds == {"mcq", "open", "math"}
    # finding 10: veRL's built-in reward scores none of our sources (it raises NotImplementedError)
    sources = {
        source
        for name in expected
        for shard in (repo / "data" / name).glob("*.parquet")
        for source in pq.read_table(shard, columns=["data_source"]).column(0).to_pylist()
    }
    assert result["default_reward_refuses"] == sorted(sources)
    # veRL's own reading of the launch file: the paper's settings, as veRL interprets them
    assert result["settings"] == {
        "lr": 1e-6,
        "train_batch_size": 128,
        "ppo_mini_batch_size": 128,
        "rollout_n": 8,
        "kl_loss_coef": 0.001,
        "kl_loss_type": "low_var_kl",
        "use_kl_loss": True,
        "context": 5000,
        "temperature": 1.0,
        "lr_scheduler_type": "constant",
    }


# --- the reward itself, in this environment ------------------------------------------------------

CASES = [
    # (response, gold, kind, options, expected: the paper's R_acc AND R_format)
    ("<think>Capital of France.</think> \\boxed{A}", "A", "mcq", MCQ_OPTIONS, 1.0),
    ("<think>Capital of France.</think> \\boxed{A. Paris}", "A", "mcq", MCQ_OPTIONS, 1.0),
    ("<think>Capital of France.</think> \\boxed{B}", "A", "mcq", MCQ_OPTIONS, 0.0),
    ("The answer is \\boxed{A}", "A", "mcq", MCQ_OPTIONS, 0.0),  # no <think>: the format fails
    ("<think>2+2</think> \\boxed{\\frac{8}{2}}", "4", "math", None, 1.0),
    ("<think>2+2</think> \\boxed{5}", "4", "math", None, 0.0),
    ("<think>city</think> \\boxed{Paris}", "Paris", "open", None, 1.0),
    ("<think>city</think> \\boxed{Lyon}", "Paris", "open", None, 0.0),
]


@pytest.mark.parametrize(("response", "gold", "kind", "options", "expected"), CASES)
def test_verl_reward_gives_the_trl_reward(response, gold, kind, options, expected) -> None:
    extra = {"kind": kind, "options": options, "index": 0, "source": "x"}
    got = compute_score("agieval_math", response, gold, extra)
    assert got == expected
    assert got == crossthink([response], ground_truth=[gold], kind=[kind], options=[options])[0]


def test_verl_reward_reads_numpy_options_as_veRL_hands_them_over() -> None:
    import numpy as np

    extra = {"kind": "mcq", "options": np.array(MCQ_OPTIONS, dtype=object)}
    assert compute_score("mmlu_train", "<think>x</think> \\boxed{A. Paris}", "A", extra) == 1.0


def test_verl_reward_restores_a_prefilled_think_when_told() -> None:
    text = "Capital of France.</think> \\boxed{A}"
    extra = {"kind": "mcq", "options": MCQ_OPTIONS}
    assert compute_score("x", text, "A", extra) == 0.0
    assert compute_score("x", text, "A", extra, think_prefilled=True) == 1.0


def test_verl_reward_without_a_kind_stops_the_run() -> None:
    with pytest.raises(ValueError, match="extra_info.kind"):
        compute_score("agieval_math", "<think>x</think> \\boxed{1}", "1", {"index": 3})
