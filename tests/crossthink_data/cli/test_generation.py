"""The generation flags of `mine` and `difficulty`: one vocabulary, old spellings hidden, --config.

`difficulty` runs for real against the loopback OpenAI-compatible server (tests/openai_server.py);
`mine` is stopped at `run_miner` (the miner itself is tested in test_mining_generation.py), so
these tests check what the flags turn into.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
from pathlib import Path

import pytest
import yaml
from typer.main import get_command
from typer.testing import CliRunner

from crossthink_data import storage
from crossthink_data.cli import app
from crossthink_data.cli.difficulty import difficulty
from crossthink_data.cli.mine import mine
from crossthink_data.config import reveal
from crossthink_data.curation.difficulty import default_difficulty_generation
from crossthink_data.inference import GenerationSettings
from crossthink_data.mining.generation import default_generation
from crossthink_data.rows import iter_rows
from crossthink_data.sources import get_source
from tests.helpers.openai_server import start_openai_server
from tests.helpers.paths import REPO_ROOT

DEMO_WARC = REPO_ROOT / "crossthink_data" / "demo_data" / "common_crawl"
FLAGS = [
    "--model",
    "--server-type",
    "--endpoint-url",
    "--api-key",
    "--request-timeout",
    "--max-attempts",
    "--max-concurrent",
    "--max-failed",
    "--temperature",
    "--max-tokens",
    "--tp",
]
NO_ENV = {"CROSSTHINK_ENDPOINT": None, "CROSSTHINK_API_KEY": None}


def _command(name: str):
    return get_command(app).commands[name]


def _help(name: str) -> str:
    result = CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": "200", "TERMINAL_WIDTH": "200"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("name", ["mine", "difficulty"])
def test_both_commands_take_the_same_generation_flags_and_env_vars(name):
    params = {opt: p for p in _command(name).params for opt in p.opts}
    assert set(FLAGS) <= set(params)
    assert params["--endpoint-url"].envvar == "CROSSTHINK_ENDPOINT"
    assert params["--api-key"].envvar == "CROSSTHINK_API_KEY"
    shown = _help(name)
    assert all(flag in shown for flag in FLAGS)


@pytest.mark.parametrize(
    ("command", "defaults"),
    [(mine, default_generation()), (difficulty, default_difficulty_generation())],
    ids=["mine", "difficulty"],
)
def test_each_command_defaults_are_its_stage_defaults(command, defaults):
    """The defaults written in a command's signature are the ones its stage uses as a library."""
    signature = inspect.signature(command).parameters
    for field in dataclasses.fields(GenerationSettings):
        if f"--{field.name.replace('_', '-')}" not in FLAGS:  # api_key_env: a hidden alias only
            continue
        assert signature[field.name].default == getattr(defaults, field.name), field.name


@pytest.mark.parametrize(("name", "old"), [("mine", "--endpoint"), ("difficulty", "--api-key-env")])
def test_old_spellings_are_hidden_from_help(name, old):
    params = {opt: p for p in _command(name).params for opt in p.opts}
    assert params[old].hidden
    assert not re.search(re.escape(old) + r"(?![-\w])", _help(name))


def test_mine_still_takes_the_old_endpoint_flag(tmp_path, monkeypatch):
    import crossthink_data.mining.pipeline as pipeline

    seen = []
    monkeypatch.setattr(pipeline, "run_miner", lambda cfg, *a, **k: seen.append(cfg) or {})
    args = ["mine", "-i", str(DEMO_WARC), "-o", str(tmp_path / "out"), "--until", "generate"]
    old = CliRunner().invoke(
        app, [*args, "--endpoint", "http://old:8000/v1", "--api-key", "sk-1"], env=NO_ENV
    )
    assert old.exit_code == 0, old.output
    assert "--endpoint is deprecated" in old.stderr
    new = CliRunner().invoke(
        app,
        [*args, "--endpoint-url", "http://new:8000/v1", "--max-attempts", "2", "--tp", "4"],
        env={"CROSSTHINK_ENDPOINT": None, "CROSSTHINK_API_KEY": "sk-env"},
    )
    assert new.exit_code == 0, new.output
    assert "deprecated" not in new.stderr
    assert seen[0].generation == dataclasses.replace(
        default_generation(), endpoint_url="http://old:8000/v1", api_key="sk-1"
    )
    assert seen[1].generation == dataclasses.replace(
        default_generation(), endpoint_url="http://new:8000/v1", api_key="sk-env", max_attempts=2, tp=4
    )


# A value per GenerationSettings field that differs from both commands' defaults; a field added to
# the dataclass without a value here fails the forwarding test with a KeyError, on purpose.
NON_DEFAULT = {
    "model": "other-model",
    "server_type": "vllm",
    "endpoint_url": "http://forwarded:9/v1",
    "api_key": "sk-forwarded",
    "api_key_env": "MY_KEY_VAR",
    "request_timeout": 7.5,
    "max_attempts": 7,
    "max_concurrent": 3,
    "max_failed": 0.25,
    "temperature": 0.125,
    "max_tokens": 99,
    "response_format": "openai",
    "tp": 2,
}
GENERATION_FIELDS = [field.name for field in dataclasses.fields(GenerationSettings)]


def _generation_params(name: str) -> list[str]:
    """The command's parameters that are GenerationSettings fields (read from the command itself)."""
    return [p.name for p in _command(name).params if p.name in GENERATION_FIELDS]


FORWARDED = [(name, field) for name in ("mine", "difficulty") for field in _generation_params(name)]


def test_the_forwarding_cases_cover_every_shared_flag():
    """Guards the test below against an empty or shrinking parametrization."""
    for name in ("mine", "difficulty"):
        fields = {field for command, field in FORWARDED if command == name}
        assert {f"--{field.replace('_', '-')}" for field in fields} >= set(FLAGS), name
    assert ("mine", "response_format") in FORWARDED


def _run_capturing_settings(name: str, args: list[str], tmp_path: Path, monkeypatch) -> GenerationSettings:
    """Runs the command with its runner patched out; returns the GenerationSettings it built."""
    import crossthink_data.curation.difficulty as curation
    import crossthink_data.mining.pipeline as pipeline

    seen: list[GenerationSettings] = []
    monkeypatch.setattr(pipeline, "run_miner", lambda cfg, *a, **k: seen.append(cfg.generation) or {})

    def score(rows, folder, settings, **kwargs):
        seen.append(settings.generation)
        storage.write_json(storage.join(folder, "report.json"), {})  # the stage's last write

    monkeypatch.setattr(curation, "score_difficulty", score)
    (tmp_path / "in").mkdir(exist_ok=True)  # a stage command checks its input exists before any work
    base = ["-i", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--model", "base-model"]
    base += ["--endpoint-url", "http://base:8000/v1"]  # difficulty checks an endpoint has its URL
    result = CliRunner().invoke(app, [name, *base, *args], env=NO_ENV)
    assert result.exit_code == 0, result.output
    assert len(seen) == 1
    return seen[0]


@pytest.mark.parametrize(("name", "field"), FORWARDED, ids=[f"{n}-{f}" for n, f in FORWARDED])
def test_every_generation_flag_a_command_takes_reaches_its_settings(name, field, tmp_path, monkeypatch):
    value = NON_DEFAULT[field]
    untouched = _run_capturing_settings(name, [], tmp_path, monkeypatch)
    assert getattr(untouched, field) != value  # the value below is not what the command does anyway
    monkeypatch.undo()
    flag = f"--{field.replace('_', '-')}"
    settings = _run_capturing_settings(name, [flag, str(value)], tmp_path, monkeypatch)
    assert reveal(getattr(settings, field)) == value  # the key, held as a Secret


def test_a_bad_generation_value_is_one_line_and_a_non_zero_exit(tmp_path):
    result = CliRunner().invoke(
        app,
        ["mine", "-i", str(DEMO_WARC), "-o", str(tmp_path), "--server-type", "tgi"],
        env=NO_ENV,
    )
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "error: server_type must be one of ('endpoint', 'vllm'), got 'tgi'"
    ]


@pytest.fixture
def one_row(test_data: Path, tmp_path: Path) -> tuple[Path, str]:
    record = next(iter(get_source("gsm8k").records(from_dir=test_data / "curation" / "gsm8k")))
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "rows.jsonl").write_text(json.dumps(record.to_dict()) + "\n")
    return folder, record.answer


def test_difficulty_still_takes_the_old_api_key_env_flag(one_row, tmp_path):
    folder, answer = one_row
    with start_openai_server(lambda r: f"\\boxed{{{answer}}}", api_key="sk-secret") as server:
        result = CliRunner().invoke(
            app,
            ["difficulty", "-i", str(folder), "-o", str(tmp_path / "out"), "--model", "m", "-k", "2"]
            + ["--endpoint-url", server.base_url, "--api-key-env", "MY_KEY"],
            env={**NO_ENV, "MY_KEY": "sk-secret"},
        )
        requests = list(server.requests)
    assert result.exit_code == 0, result.output
    assert "--api-key-env is deprecated" in result.stderr
    assert requests and all(r.authorized for r in requests)  # the probe and both samples
    assert len([r for r in requests if r.method == "POST"]) == 2


def test_a_yaml_config_drives_difficulty_and_a_flag_overrides_it(one_row, tmp_path):
    folder, answer = one_row
    with start_openai_server(lambda r: f"<think>x</think> \\boxed{{{answer}}}", api_key="sk-yaml") as server:
        config = {
            "input": str(folder),
            "output": str(tmp_path / "out"),
            "samples": 3,
            "model": "yaml-model",
            "endpoint-url": server.base_url,
            "api_key": "sk-yaml",
            "temperature": 0.9,
            "max_tokens": 77,
            "request_timeout": 30,
            "max_concurrent": 1,
        }
        (tmp_path / "difficulty.yaml").write_text(yaml.safe_dump(config))
        result = CliRunner().invoke(
            app,
            ["difficulty", "--config", str(tmp_path / "difficulty.yaml"), "--temperature", "0.3"],
            env=NO_ENV,
        )
        sent = [r.body for r in server.chat_requests]
    assert result.exit_code == 0, result.output
    assert len(sent) == 3  # samples from the YAML
    assert {(b["model"], b["temperature"], b["max_tokens"]) for b in sent} == {("yaml-model", 0.3, 77)}
    scored = list(iter_rows(tmp_path / "out" / "curation" / "3_difficulty" / "data"))
    assert [(r["pass_rate"], r["difficulty_model"], r["difficulty_samples"]) for r in scored] == [
        (1.0, "yaml-model", 3)
    ]
