"""Difficulty filtering end to end against a real loopback OpenAI-compatible server.

The HTTP server, the authenticated InferenceRunner path, the prompts, the answer checker and the
parquet output are all real. Only the "model" is scripted: the server answers each question
right or wrong by a rule the test sets, since no language model can run here.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from crossthink_data.curation.difficulty import DifficultySettings, score_difficulty
from crossthink_data.inference import GenerationSettings
from crossthink_data.record import QARecord
from crossthink_data.rows import iter_rows
from crossthink_data.sources import get_source
from crossthink_data.templates import render
from tests.helpers.openai_server import Reply, message_text, start_openai_server

K = 4
MODEL = "Qwen/Qwen2.5-7B-Instruct"


@pytest.fixture
def rows(test_data: Path, tmp_path: Path) -> tuple[Path, list[dict]]:
    gsm = [r for r in get_source("gsm8k").records(from_dir=test_data / "curation" / "gsm8k")][:9]
    mmlu = [r for r in get_source("mmlu_train").records(from_dir=test_data / "curation" / "mmlu_train")][:3]
    rendered = [render(r, "open") for r in gsm] + [render(r, "mcq") for r in mmlu]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rendered))
    return folder, rendered


def _scripted_model(rendered: list[dict]):
    """Row i%3==0: always right; ==1: right on every other sample; ==2: always wrong (and one 500)."""
    plan = {row["prompt"][0]["content"]: (i % 3, row["ground_truth"]) for i, row in enumerate(rendered)}
    seen: dict[str, int] = defaultdict(int)

    def reply(request):
        text = message_text(request)
        mode, gold = plan[text]
        seen[text] += 1
        n = seen[text]
        if mode == 2 and n == 1:
            return Reply(status=500)  # a transient server error: retried, not fatal
        right = mode == 0 or (mode == 1 and n % 2 == 0)
        answer = gold if right else "not " + gold
        return f"<think>Let me work it out step by step.</think> The answer is \\boxed{{{answer}}}."

    return reply, plan


def test_pass_rates_are_stored_and_easy_rows_dropped(rows, tmp_path: Path, monkeypatch) -> None:
    folder, rendered = rows
    reply, plan = _scripted_model(rendered)
    monkeypatch.setenv("CROSSTHINK_TEST_KEY", "sk-test-loopback")
    with start_openai_server(reply, api_key="sk-test-loopback", model=MODEL) as server:
        generation = GenerationSettings(
            model=MODEL, endpoint_url=server.base_url, api_key_env="CROSSTHINK_TEST_KEY", max_concurrent=8
        )
        settings = DifficultySettings(generation, samples=K, max_pass_rate=0.5)
        report = score_difficulty(folder, tmp_path / "out", settings)
        requests = server.chat_requests
    expected_rate = {0: 1.0, 1: 0.5, 2: 0.0}
    scored = {r["id"] + r["template"]: r for r in iter_rows(tmp_path / "out" / "scored")}
    assert len(scored) == len(rendered)
    for row in rendered:
        got = scored[row["id"] + row["template"]]
        mode, _ = plan[row["prompt"][0]["content"]]
        assert got["pass_rate"] == expected_rate[mode], row["question"][:60]
        assert got["difficulty_model"] == MODEL and got["difficulty_samples"] == K
    kept = list(iter_rows(tmp_path / "out" / "data"))
    assert sorted(r["pass_rate"] for r in kept) == sorted(
        expected_rate[plan[r["prompt"][0]["content"]][0]]
        for r in rendered
        if plan[r["prompt"][0]["content"]][0]
    )
    assert report.too_easy == sum(1 for m, _ in plan.values() if m == 0) == 4
    assert report.kept == len(rendered) - 4 and report.unscored == 0
    # every prompt is the training prompt, sent K times (plus one retry by the client for each 500)
    assert len(requests) == K * len(rendered) + sum(1 for m, _ in plan.values() if m == 2)
    body = requests[0].body
    assert body["temperature"] == 1.0 and body["max_tokens"] == 4096 and body["model"] == MODEL
    assert body["messages"][0]["role"] == "user"


def test_rows_without_template_are_prompted_like_training(test_data: Path, tmp_path: Path) -> None:
    record = next(iter(get_source("gsm8k").records(from_dir=test_data / "curation" / "gsm8k")))
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "rows.jsonl").write_text(json.dumps(record.to_dict()) + "\n")
    with start_openai_server(
        lambda r: "<think>x</think> \\boxed{" + record.answer + "}", api_key=None
    ) as server:
        generation = GenerationSettings(model="m", endpoint_url=server.base_url, max_concurrent=2)
        settings = DifficultySettings(generation, samples=2)
        score_difficulty(folder, tmp_path / "out", settings)
        sent = message_text(server.chat_requests[0])
    assert sent == render(QARecord.from_dict(record.to_dict()), "open")["prompt"][0]["content"]
    assert [r["pass_rate"] for r in iter_rows(tmp_path / "out" / "data")] == [1.0]


def test_settings_reject_bad_values() -> None:
    with pytest.raises(ValueError, match="endpoint_url"):
        DifficultySettings(GenerationSettings(model="m"))
    with pytest.raises(ValueError, match="max_pass_rate"):
        DifficultySettings(GenerationSettings(model="m", endpoint_url="http://x/v1"), max_pass_rate=1.5)
    with pytest.raises(ValueError, match="samples"):
        DifficultySettings(GenerationSettings(model="m", endpoint_url="http://x/v1"), samples=0)


def test_settings_load_from_a_nested_mapping_and_reject_the_old_flat_keys() -> None:
    from crossthink_data.config import ConfigError, from_dict

    settings = from_dict(
        DifficultySettings,
        {"samples": 2, "generation": {"model": "m", "endpoint_url": "http://x/v1", "temperature": 0.7}},
    )
    assert settings.generation == GenerationSettings(model="m", endpoint_url="http://x/v1", temperature=0.7)
    assert settings.samples == 2 and settings.model == "m"
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['endpoint_url', 'model'\]"):
        from_dict(DifficultySettings, {"model": "m", "endpoint_url": "http://x/v1"})
