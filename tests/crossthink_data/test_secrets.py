"""No secret on disk: an API key given to mine, difficulty or build is written nowhere in the clear.

Before, ``--api-key`` landed in datatrove's ``executor.json`` (``difficulty``: ``logs/1_sample``;
``mine``: ``logs/generate``), and ``build --set difficulty.generation.api_key=...`` in the stage's
``fingerprint.json`` too. Each command runs for real here against the loopback OpenAI server, which
accepts only that key (so the key did reach the requests), and then every file under the test's
folder (outputs, work folders, logs, checkpoints) is searched for it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from crossthink_data.cli import app
from crossthink_data.config import REDACTED, Secret, public, reveal
from crossthink_data.inference import GenerationSettings
from crossthink_data.sources import get_source
from tests.helpers.openai_server import start_openai_server
from tests.helpers.paths import REPO_ROOT, TEST_DATA

KEY = "sk-test-7f3a9c0e5b1d42aa"
NO_ENV = {"CROSSTHINK_ENDPOINT": None, "CROSSTHINK_API_KEY": None}
DEMO = REPO_ROOT / "crossthink_data" / "demo_data"


def files_holding(folder: Path, secret: str = KEY) -> list[str]:
    """Every file under ``folder`` whose bytes contain ``secret``, raw or JSON-escaped."""
    needles = {secret.encode(), json.dumps(secret).encode()[1:-1]}
    hits = []
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            if any(n in data for n in needles):
                hits.append(str(path.relative_to(folder)))
    return hits


def _one_row(tmp_path: Path) -> tuple[Path, str]:
    record = next(iter(get_source("gsm8k").records(from_dir=TEST_DATA / "curation" / "gsm8k")))
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "rows.jsonl").write_text(json.dumps(record.to_dict()) + "\n")
    return folder, record.answer


def test_a_secret_prints_and_serialises_as_stars_and_reveals_only_on_request() -> None:
    settings = GenerationSettings(model="m", endpoint_url="http://h/v1", api_key=KEY)
    assert isinstance(settings.api_key, Secret) and settings.resolved_api_key() == KEY
    for text in (str(settings), repr(settings), json.dumps(public(settings))):
        assert KEY not in text
    assert public(settings)["api_key"] == REDACTED and reveal(settings.api_key) == KEY
    # what datatrove's executor.json writer does with a dataclass it meets in a pipeline step
    from dataclasses import asdict

    from datatrove.executor.base import ExecutorJSONEncoder

    assert KEY not in json.dumps(asdict(settings), cls=ExecutorJSONEncoder)


def test_difficulty_writes_the_key_nowhere(tmp_path: Path) -> None:
    folder, answer = _one_row(tmp_path)
    with start_openai_server(lambda r: f"\\boxed{{{answer}}}", api_key=KEY) as server:
        result = CliRunner().invoke(
            app,
            ["difficulty", "-i", str(folder), "-o", str(tmp_path / "out"), "--model", "m", "-k", "2"]
            + ["--endpoint-url", server.base_url, "--api-key", KEY],
            env=NO_ENV,
        )
        authorized = [r.authorized for r in server.chat_requests]
    assert result.exit_code == 0, result.output
    assert authorized == [True, True]  # the key reached the server
    assert (tmp_path / "out" / "curation" / "3_difficulty" / "logs" / "1_sample" / "executor.json").exists()
    assert files_holding(tmp_path) == [] and KEY not in result.output


@pytest.mark.slow  # about 50 s: the CPU stages run on the demo pages first
def test_mine_writes_the_key_nowhere(tmp_path: Path) -> None:
    reply = '{"questions": []}'
    with start_openai_server([reply], api_key=KEY) as server:
        result = CliRunner().invoke(
            app,
            ["mine", "-i", str(DEMO / "common_crawl"), "-o", str(tmp_path / "out"), "--until", "generate"]
            + ["--limit", "2", "--endpoint-url", server.base_url, "--api-key", KEY, "--model", "m"],
            env=NO_ENV,
        )
        authorized = {r.authorized for r in server.chat_requests}
    assert result.exit_code == 0, result.output
    assert authorized == {True}
    assert (tmp_path / "out" / "logs" / "generate" / "executor.json").exists()
    assert files_holding(tmp_path) == [] and KEY not in result.output


def test_build_writes_the_key_nowhere(tmp_path: Path) -> None:
    """``--set difficulty.generation.api_key=...``: not in the fingerprint, executor.json, summary or card."""
    gsm8k = TEST_DATA / "curation" / "gsm8k"
    golds = {
        json.loads(line)["question"].strip(): json.loads(line)["answer"].split("####")[-1].strip()
        for line in (gsm8k / "test.jsonl").read_text().splitlines()
    }

    def reply(request) -> str:
        from tests.helpers.openai_server import message_text

        question = message_text(request).split("Question: ", 1)[1].strip()
        return f"\\boxed{{{golds.get(question, '0').replace(',', '')}}}"

    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        yaml.safe_dump(
            {
                "sources": [{"name": "gsm8k", "from_dir": str(gsm8k)}],
                "templates": ["open"],
                "difficulty": {"samples": 1, "generation": {"model": "m", "max_concurrent": 4}},
                "blends": ["math_only"],
                "default_blend": "math_only",
            }
        )
    )
    with start_openai_server(reply, api_key=KEY) as server:
        sets = [
            f"difficulty.generation.endpoint_url={server.base_url}",
            f"difficulty.generation.api_key={KEY}",
        ]
        result = CliRunner().invoke(
            app,
            ["build", str(recipe), "-o", str(tmp_path / "out" / "repo")]
            + [arg for item in sets for arg in ("--set", item)],
            env=NO_ENV,
        )
        authorized = {r.authorized for r in server.chat_requests}
    assert result.exit_code == 0, result.output
    assert authorized == {True}
    stage = tmp_path / "out" / "_work" / "repo" / "curation" / "3_difficulty"
    assert (stage / "fingerprint.json").exists() and (stage / "logs" / "1_sample" / "executor.json").exists()
    assert files_holding(tmp_path) == [] and KEY not in result.output


def test_the_slurm_recipe_leaves_the_key_out(tmp_path: Path) -> None:
    """The resolved recipe a Slurm job reads names no key: the job reads it from api_key_env."""
    from crossthink_data.curation.build import BuildConfig, resolved_recipe

    config = BuildConfig.from_dict(
        {
            "sources": ["gsm8k"],
            "difficulty": {"generation": {"model": "m", "endpoint_url": "http://h/v1", "api_key": KEY}},
        }
    )
    text = resolved_recipe(config)
    assert KEY not in text and REDACTED not in text
    again = BuildConfig.from_dict(yaml.safe_load(text))
    assert again.difficulty.generation.api_key is None
    assert again.difficulty.generation.api_key_env == "CROSSTHINK_API_KEY"


def test_eval_run_records_no_key(tmp_path: Path) -> None:
    """eval's run.json (plan.info) and its command line carry no key: it travels in the environment."""
    sys.path.insert(0, str(REPO_ROOT))
    from eval.run import RunSettings, plan_run

    plan = plan_run(
        RunSettings(
            model="m", tasks="math_500", backend="endpoint", base_url="http://127.0.0.1:9/v1",
            api_key=KEY, output_dir=str(tmp_path), data_dir=str(TEST_DATA / "benchmarks"),
        )
    )  # fmt: skip
    assert KEY not in json.dumps(plan.info) and KEY not in " ".join(plan.command)
    assert KEY in plan.env.values()  # ... where lighteval reads it
