"""Syn-QA mining through ``parse`` with a real model: SmolLM2-135M-Instruct on llama-cpp-python's
server (the session fixture ``real_server``), behind a counting proxy.

The replies are the model's own: with the reply's JSON schema sent in llama.cpp's shape
(``--response-format llama-cpp``) they are parseable Syn-QA JSON, so real replies reach the
parser, filter H and the templates. What is asserted is what must hold whatever the model wrote:
a misconfigured run (URL without ``/v1``, a model name the server refuses) exits non-zero without
leaving anything behind that a rerun would trust; the run with the right settings sends one request
per document, and every document ends up parsed or rejected with a reason; a rerun sends nothing.
docs/real-model.md reports yields on all 16 shipped pages.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crossthink_data.mining.pipeline import read_jsonl_folder
from crossthink_data.rows import count_rows, iter_rows
from tests.helpers.paths import DEMO_DATA, REPO_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.realmodel]
PAGES = 2


def mine(output: Path, model: str, url: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "crossthink_data.cli", "mine", "-i", str(DEMO_DATA / "common_crawl")]
    command += ["-o", str(output), "--until", "parse", "--limit", str(PAGES), "--model", model]
    command += ["--endpoint-url", url, "--max-tokens", "384", "--questions-per-doc", "2"]
    command += ["--max-concurrent", "2", "--response-format", "llama-cpp"]
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    env.pop("CROSSTHINK_API_KEY", None)
    return subprocess.run(command, env=env, cwd=output.parent, capture_output=True, text=True, timeout=900)


def error_lines(done: subprocess.CompletedProcess) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.startswith("error:")]


def test_misconfigured_runs_fail_and_the_right_one_parses_every_document_once(
    real_proxy, transformers_server, tmp_path: Path
) -> None:
    output = tmp_path / "mine"
    # /v1 left off the URL: the readiness probe gets 404 from the real server and says so
    no_v1 = mine(output, real_proxy.model, real_proxy.base_url.removesuffix("/v1"))
    assert no_v1.returncode == 1, no_v1.stdout[-2000:] + no_v1.stderr[-2000:]
    (line,) = error_lines(no_v1)
    assert "answered HTTP 404" in line and "missing /v1?" in line
    # a model name the server does not serve: transformers serve refuses the first request (400)
    wrong = mine(output, "SmolLM2-135M", transformers_server.base_url)
    assert wrong.returncode == 1, wrong.stdout[-2000:] + wrong.stderr[-2000:]
    (line,) = error_lines(wrong)
    assert "HTTP 400" in line and "--model" in line
    assert not real_proxy.chat_requests

    done = mine(output, real_proxy.model, real_proxy.base_url)  # the right settings do the work
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    documents = {d["id"] for d in read_jsonl_folder(str(output / "generate"))}
    assert len(documents) == PAGES  # both shipped pages pass the CPU stages and are generated
    requests = real_proxy.chat_requests
    assert len(requests) == PAGES == len(real_proxy.replies)  # one request per page, answered
    for request in requests:
        assert request.body["response_format"]["type"] == "json_object"
        assert request.body["response_format"]["schema"]["required"] == ["questions"]
    assert all(reply["choices"][0]["message"]["content"] for _, reply in real_proxy.replies)

    has_records = count_rows(str(output / "parse" / "records")) > 0
    records = list(iter_rows(str(output / "parse" / "records"))) if has_records else []
    rejects = read_jsonl_folder(str(output / "rejects" / "parse"))
    parsed = {json.loads(r["provenance"])["warc_record_id"] for r in records}
    rejected = {r["metadata"]["warc_record_id"] for r in rejects}
    assert documents <= parsed | rejected  # every document: records, or a named reject
    assert all(r["metadata"]["filter_reason"] for r in rejects)
    for config in ("mcq", "open"):  # filter H and the templates keep each record or name why not
        dropped = read_jsonl_folder(str(output / "rejects" / f"filter_h_{config}"))
        assert count_rows(str(output / "parse" / config)) + len(dropped) == len(records), config
        assert all(r["metadata"]["filter_reason"] for r in dropped)

    again = mine(output, real_proxy.model, real_proxy.base_url)
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(real_proxy.chat_requests) == PAGES  # the rerun sent no request
