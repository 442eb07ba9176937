"""Syn-QA mining through ``parse`` with a real model: SmolLM2-135M-Instruct on llama-cpp-python's
server (the session fixture ``real_server``), behind a counting proxy.

The replies are the model's own: with the reply's JSON schema sent in llama.cpp's shape
(``--response-format llama-cpp``) they are parseable Syn-QA JSON, so real replies reach the
parser, filter H and the templates. What is asserted is what must hold whatever the model wrote:
every document got one request and ends up parsed or rejected with a reason, and a rerun sends
nothing. The README ("Try it with a real model on a laptop") reports yields on all 16 pages.
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


def mine(output: Path, model: str, url: str, *extra: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "crossthink_data.cli", "mine", "-i", str(DEMO_DATA / "common_crawl")]
    command += ["-o", str(output), "--until", "parse", "--limit", str(PAGES), "--model", model]
    command += ["--endpoint-url", url, "--max-tokens", "384", "--questions-per-doc", "2"]
    command += ["--max-concurrent", "2", "--response-format", "llama-cpp", *extra]
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    env.pop("CROSSTHINK_API_KEY", None)
    return subprocess.run(command, env=env, cwd=output.parent, capture_output=True, text=True, timeout=900)


def test_real_replies_are_parsed_or_rejected_with_a_reason_and_a_rerun_sends_nothing(
    real_proxy, tmp_path: Path
) -> None:
    output = tmp_path / "mine"
    done = mine(output, real_proxy.model, real_proxy.base_url)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    generated = read_jsonl_folder(str(output / "generate"))
    documents = {d["id"] for d in generated}
    assert len(documents) == PAGES  # both shipped pages pass the CPU stages
    requests = real_proxy.chat_requests
    assert len(requests) == PAGES and len(real_proxy.replies) == PAGES  # one request per page, answered
    for request in requests:
        assert request.body["response_format"]["type"] == "json_object"
        assert request.body["response_format"]["schema"]["required"] == ["questions"]
    assert all(reply["choices"][0]["message"]["content"] for _, reply in real_proxy.replies)

    records = (
        list(iter_rows(str(output / "parse" / "records")))
        if count_rows(str(output / "parse" / "records"))
        else []
    )
    rejects = read_jsonl_folder(str(output / "rejects" / "parse"))
    parsed = {json.loads(r["provenance"])["warc_record_id"] if isinstance(r["provenance"], str)
              else r["provenance"]["warc_record_id"] for r in records}  # fmt: skip
    rejected = {r["metadata"]["warc_record_id"] for r in rejects}
    assert documents <= parsed | rejected  # every document: records, or a named reject
    assert all(r["metadata"]["filter_reason"] for r in rejects)
    # filter H and the templates saw the parsed records: each is kept or dropped with a reason
    for config in ("mcq", "open"):
        kept = count_rows(str(output / "parse" / config))
        dropped = read_jsonl_folder(str(output / "rejects" / f"filter_h_{config}"))
        assert kept + len(dropped) == len(records), config
        assert all(r["metadata"]["filter_reason"] for r in dropped)

    again = mine(output, real_proxy.model, real_proxy.base_url)
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(real_proxy.chat_requests) == PAGES  # the rerun sent no request
