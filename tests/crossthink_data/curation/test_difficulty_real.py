"""Difficulty sampling with a real model: SmolLM2-135M-Instruct on llama-cpp-python's server.

A URL without ``/v1`` stops sampling at the readiness probe; the rerun with the right URL samples.

The k samples of a question carry seeds 0..k-1 and a temperature, and a real sampling server must
answer them differently (``transformers serve`` without ``do_sample`` in the model's generation
config would answer k identical greedy replies: the pass rate would be 0 or 1, never between).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crossthink_data.curation.difficulty import DifficultySettings, score_difficulty
from crossthink_data.executors import StageFailed
from crossthink_data.inference import GenerationSettings
from crossthink_data.rows import iter_rows
from crossthink_data.sources import get_source
from crossthink_data.templates import render
from tests.helpers.openai_server import message_text

pytestmark = [pytest.mark.slow, pytest.mark.realmodel]
K = 3


def test_k_sampled_answers_differ_and_give_pass_rates(real_proxy, test_data: Path, tmp_path: Path) -> None:
    gsm = list(get_source("gsm8k").records(from_dir=test_data / "curation" / "gsm8k"))[:2]
    rendered = [render(r, "open") for r in gsm]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rendered))

    def settings(url: str) -> DifficultySettings:
        generation = GenerationSettings(
            model=real_proxy.model, endpoint_url=url, max_tokens=48, max_concurrent=K
        )
        return DifficultySettings(generation, samples=K)

    # /v1 left off the URL: the real server answers the readiness probe 404 and sampling stops
    with pytest.raises(StageFailed, match=r"answered HTTP 404.*missing /v1\?"):
        score_difficulty(folder, tmp_path / "out", settings(real_proxy.base_url.removesuffix("/v1")))
    assert not real_proxy.chat_requests
    # the rerun with the right URL, into the same output, does the work
    report = score_difficulty(folder, tmp_path / "out", settings(real_proxy.base_url))

    requests = real_proxy.chat_requests
    assert len(requests) == K * len(rendered) == len(real_proxy.replies)
    by_prompt: dict[str, list[str]] = {}
    for request, reply in real_proxy.replies:
        assert request.body["temperature"] == 1.0
        by_prompt.setdefault(message_text(request), []).append(reply["choices"][0]["message"]["content"])
    assert sorted(by_prompt) == sorted(r["prompt"][0]["content"] for r in rendered)
    for texts in by_prompt.values():
        assert len(texts) == K and len(set(texts)) == K, texts  # sampled, not greedy k times
    scored = list(iter_rows(str(tmp_path / "out" / "scored")))
    assert len(scored) == len(rendered) and report.unscored == 0 and report.failed_samples == 0
    assert report.format_rate is not None and 0.0 <= report.format_rate <= 1.0
    for row in scored:
        assert row["difficulty_samples"] == K
        assert row["pass_rate"] in {0.0, 1 / 3, 2 / 3, 1.0}
