"""Generation and parsing against a REAL loopback OpenAI-compatible HTTP server (tests/openai_server.py).

The server speaks the chat-completions protocol with bearer auth and serves recorded replies:
JSON written the way an instruct model answers our prompt, for real demo pages
(tests/data/common_crawl/recorded_replies.jsonl), plus injected faults: HTTP 500s, timeouts,
malformed response bodies, truncated and non-JSON replies. No model runs; the HTTP path, the
datatrove InferenceRunner, the OpenAI client's retries, checkpoints and parsing are all real.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from datatrove.pipeline.inference.run_inference import InferenceConfig
from datatrove.pipeline.inference.servers import EndpointServer
from datatrove.pipeline.inference.types import ServerError

from crossthink_data.inference import AuthenticatedEndpointServer, GenerationFailed, GenerationSettings
from crossthink_data.mining.generation import PROMPT_VERSION
from crossthink_data.mining.parse import parse_reply
from crossthink_data.mining.pipeline import MinerConfig, build_executors, read_jsonl_folder, run_miner
from tests.helpers.openai_server import Reply, message_text, start_openai_server
from tests.helpers.paths import REPO_ROOT, TEST_DATA

DEMO = REPO_ROOT / "crossthink_data" / "demo_data" / "common_crawl"
RECORDED = {
    row["url"]: row["content"]
    for row in map(json.loads, (TEST_DATA / "common_crawl" / "recorded_replies.jsonl").open())
}
NO_QUESTIONS = '{"questions": []}'


def url_in(request) -> str | None:
    """The page a generation request is about: the prompt names it as "source: URL)"."""
    match = re.search(r"source: (\S+)\)", message_text(request))
    return match.group(1) if match else None


def recorded_reply(request) -> Reply | str:
    return RECORDED.get(url_in(request), NO_QUESTIONS)


@pytest.fixture(scope="module")
def labelled(tmp_path_factory) -> Path:
    """The demo pages run through the real CPU stages once; tests copy the result."""
    out = tmp_path_factory.mktemp("labelled")
    run_miner(MinerConfig(input=str(DEMO), output=str(out)), "domain")
    return out


def fresh_copy(labelled: Path, dest: Path) -> Path:
    shutil.copytree(labelled / "domain", dest / "domain")
    return dest


def miner(out: Path, server, **generation) -> MinerConfig:
    """The miner's defaults, pointed at the loopback ``server``, with ``generation`` changes."""
    cfg = MinerConfig(input="unused", output=str(out))
    cfg.generation = replace(
        cfg.generation, endpoint_url=server.base_url, api_key=server.api_key, **generation
    )
    return cfg


def generate_and_parse(cfg: MinerConfig) -> None:
    for executor in build_executors(cfg, "parse")[1:]:  # the CPU stage already ran
        executor.run()


def test_stock_endpoint_probe_fails_on_an_authenticated_server_and_ours_passes():
    """datatrove's EndpointServer probes {url}/v1/models without the key; ours probes {base}/models with it."""
    with start_openai_server([NO_QUESTIONS], api_key="sk-right") as server:

        def ready(cls, key):
            config = InferenceConfig(
                server_type="endpoint", model_name_or_path="m", endpoint_url=server.base_url, api_key=key
            )

            async def probe():  # the server object needs a running event loop
                return await cls(config, 0).is_ready()

            return asyncio.run(probe())

        assert ready(EndpointServer, "sk-right") is False
        assert ready(AuthenticatedEndpointServer, "sk-right") is True
        with pytest.raises(ServerError, match="refused the API key"):
            ready(AuthenticatedEndpointServer, "sk-wrong")
        probes = [r for r in server.requests if r.method == "GET"]
        assert [r.path for r in probes] == ["/v1/v1/models", "/v1/models", "/v1/models"]
        assert [r.authorized for r in probes] == [False, True, False]


def send_one(server, max_attempts: int, request_timeout: float = 5.0) -> dict:
    """One chat request through AuthenticatedEndpointServer (the path every generation takes)."""
    config = InferenceConfig(
        server_type="endpoint",
        model_name_or_path="m",
        endpoint_url=server.base_url,
        api_key=server.api_key,
        request_timeout=request_timeout,
    )

    async def send():
        endpoint = AuthenticatedEndpointServer(config, 0, max_attempts)
        try:
            return await endpoint._make_request(
                {"model": "m", "messages": [{"role": "user", "content": "q"}]}
            )
        finally:
            await endpoint.server_cleanup()

    return asyncio.run(send())


@pytest.mark.parametrize(
    ("replies", "max_attempts", "sent", "status", "retryable", "message"),
    [
        ([Reply(status=500)], 3, 3, 500, True, "gave up after 3 attempts: HTTP 500"),
        ([Reply(status=429)], 2, 2, 429, True, "gave up after 2 attempts: HTTP 429"),
        ([Reply(status=503)], 1, 1, 503, True, "gave up after 1 attempt: HTTP 503"),
        (
            [Reply(content="late", delay_s=1.2)],
            2,
            2,
            None,
            True,
            "gave up after 2 attempts: timeout after 0.4 s",
        ),
        # same request, same answer: not retried; the line names the URL, the status, the body, a hint
        (
            [Reply(status=400)],
            4,
            1,
            400,
            False,
            "http://127.0.0.1:*/v1/chat/completions refused the request (HTTP 400: injected HTTP 400); "
            "is --model the name the server serves",
        ),
        (
            [Reply(status=404)],
            4,
            1,
            404,
            False,
            "http://127.0.0.1:*/v1/chat/completions refused the request (HTTP 404: injected HTTP 404)",
        ),
        ([Reply(raw_body=b'{"choices": [')], 4, 1, None, True, "unreadable response body"),
        ([Reply(raw_body=b'{"choices": []}')], 4, 1, None, True, "unreadable response body"),
    ],
)
def test_failures_are_retried_by_the_client_at_most_max_attempts_times(
    replies, max_attempts, sent, status, retryable, message
):
    with start_openai_server(replies) as server:
        with pytest.raises(GenerationFailed) as failed:
            send_one(server, max_attempts, request_timeout=0.4)
        assert len(server.chat_requests) == sent
    assert failed.value.status == status and failed.value.retryable is retryable
    assert fnmatch.fnmatchcase(str(failed.value.error), message + "*")


def test_a_transient_failure_heals_within_the_attempts():
    with start_openai_server([Reply(status=502), Reply(status=500), "fine"]) as server:
        body = send_one(server, max_attempts=3)
        assert len(server.chat_requests) == 3
    assert body["choices"][0]["message"]["content"] == "fine"


def test_generation_settings_validate_and_resolve_the_key(monkeypatch):
    monkeypatch.setenv("CROSSTHINK_API_KEY", "sk-from-env")
    monkeypatch.setenv("OTHER_KEY", "sk-other")
    assert GenerationSettings(model="m").resolved_api_key() == "sk-from-env"
    assert GenerationSettings(model="m", api_key="sk-flag").resolved_api_key() == "sk-flag"
    assert GenerationSettings(model="m", api_key_env="OTHER_KEY").resolved_api_key() == "sk-other"
    assert GenerationSettings(model="m", api_key_env=None).resolved_api_key() is None
    assert "sk-flag" not in repr(GenerationSettings(model="m", api_key="sk-flag"))
    with pytest.raises(ValueError, match="endpoint_url"):
        GenerationSettings(model="m").check_server()
    GenerationSettings(model="m", server_type="vllm").check_server()  # vLLM needs no URL
    for bad, match in [
        ({"server_type": "tgi"}, "server_type"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"request_timeout": 0}, "request_timeout"),
        ({"endpoint_url": "localhost:8000/v1"}, "http"),
    ]:
        with pytest.raises(ValueError, match=match):
            GenerationSettings(model="m", **bad)


class FaultPlan:
    """Per-URL faults: each request for a URL takes the next entry; after the list, the recorded reply."""

    def __init__(self, plan: dict[str, list[Reply]]) -> None:
        self.plan = plan
        self.attempts: Counter[str] = Counter()
        self.lock = threading.Lock()

    def __call__(self, request) -> Reply | str:
        url = url_in(request)
        with self.lock:
            attempt = self.attempts[url]
            self.attempts[url] += 1
        faults = self.plan.get(url, [])
        return faults[attempt] if attempt < len(faults) else recorded_reply(request)


def _url(fragment: str) -> str:
    return next(url for url in RECORDED if fragment in url)


def test_faults_are_retried_a_bounded_number_of_times_and_nothing_is_lost(labelled, tmp_path):
    hawaii, science, duvet = _url("hawaiinewsnow"), _url("sciencealert"), _url("feather-duvet")
    plague, binge, markets = _url("smithsonianmag"), _url("healthline"), _url("asian-market")
    truncated = RECORDED[binge][: len(RECORDED[binge]) // 2]
    plan = FaultPlan(
        {
            hawaii: [Reply(status=500)],  # transient server error
            science: [Reply(content=NO_QUESTIONS, delay_s=2.5)],  # slower than the client timeout
            duvet: [Reply(raw_body=b'{"id": "x", "choices": [{"mess')],  # a 200 whose body is cut
            plague: [Reply(status=500)] * 10,  # never recovers
            binge: [Reply(content=truncated, finish_reason="length")],
            markets: [
                Reply(content="Sure! Here are three questions about the markets:\n1. What is the Nikkei?")
            ],
        }
    )
    out = fresh_copy(labelled, tmp_path)
    with start_openai_server(plan) as server:
        # 2 of 16 documents fail for good: within --max-failed 0.2 they are recorded per row
        cfg = miner(out, server, request_timeout=1.0, max_attempts=3, max_failed=0.2)
        generate_and_parse(cfg)

    domain_ids = sorted(r["id"] for r in read_jsonl_folder(out / "domain"))
    generated = read_jsonl_folder(out / "generate")
    assert sorted(r["id"] for r in generated) == domain_ids  # every document written exactly once

    # the OpenAI client retries the 500 and the timeout; an unreadable 200 body is not retried
    # (the client parses after its retry loop): it is recorded as a failure at once
    assert plan.attempts[hawaii] == 2 and plan.attempts[science] == 2 and plan.attempts[duvet] == 1
    assert plan.attempts[plague] == 3  # bounded: max_attempts, then recorded as a failure
    assert all(plan.attempts[u] == 1 for u in plan.attempts if u not in (hawaii, science, plague))

    rejects = read_jsonl_folder(out / "rejects" / "parse")
    reasons = {(r["metadata"]["url"], r["metadata"]["filter_reason"]) for r in rejects}
    assert (plague, "generation_failed") in reasons and (duvet, "generation_failed") in reasons
    assert (binge, "truncated") in reasons
    assert (markets, "malformed_json") in reasons
    failed = next(r for r in rejects if r["metadata"]["url"] == plague)
    assert (
        "gave up after 3 attempts" in failed["metadata"]["detail"]
        and "HTTP 500" in failed["metadata"]["detail"]
    )
    unreadable = next(r for r in rejects if r["metadata"]["url"] == duvet)
    assert "unreadable response body" in unreadable["metadata"]["detail"]

    records = pq.read_table(out / "parse" / "records").to_pylist()
    by_url = Counter(json.loads(r["provenance"])["url"] for r in records)
    assert by_url[hawaii] == 3 and by_url[science] == 3  # recovered after faults
    assert by_url[plague] == 0 and by_url[duvet] == 0 and by_url[binge] == 0 and by_url[markets] == 0
    urls_with_output = set(by_url) | {r["metadata"]["url"] for r in rejects}
    assert urls_with_output == {r["metadata"]["url"] for r in generated}  # each document: records or a reason

    ids = {r["id"]: r for r in read_jsonl_folder(out / "domain")}
    for row in records:
        provenance = json.loads(row["provenance"])
        assert row["source"] == "syn_qa" and row["domain"] == "gpr"
        assert (
            provenance["generator_model"] == cfg.generation.model
            and provenance["prompt_version"] == PROMPT_VERSION
        )
        assert ids[provenance["warc_record_id"]]["metadata"]["url"] == provenance["url"]
        assert row["category"] == ids[provenance["warc_record_id"]]["metadata"]["category"]
        assert (
            4 <= len(row["options"]) <= 10
            and row["answer_text"] == row["options"]["ABCDEFGHIJ".index(row["answer"])]
        )


def test_records_flow_into_filter_h_and_both_templates(labelled, tmp_path):
    out = fresh_copy(labelled, tmp_path)
    with start_openai_server(recorded_reply) as server:
        generate_and_parse(miner(out, server))
        sent = server.chat_requests[0].body
    # the miner's sampling settings travel with every request
    assert sent["temperature"] == 0.6 and sent["max_tokens"] == 2048
    assert sent["model"] == "Qwen/Qwen2.5-72B-Instruct"
    records = pq.read_table(out / "parse" / "records").to_pylist()
    mcq = pq.read_table(out / "parse" / "mcq").to_pylist()
    open_rows = pq.read_table(out / "parse" / "open").to_pylist()
    # 8 recorded replies hold 21 questions; one has 3 options and is rejected by the parser
    assert len(records) == 20
    rejected = Counter(r["metadata"]["filter_reason"] for r in read_jsonl_folder(out / "rejects" / "parse"))
    assert rejected["option_count"] == 1 and rejected["no_questions"] == 16 - 8
    assert len(mcq) == 20
    # "Which of the following is the specialist ..." needs its options: filter H drops it from T_Open
    assert len(open_rows) == 19
    dropped = read_jsonl_folder(out / "rejects" / "filter_h_open")
    assert [r["metadata"]["filter_reason"] for r in dropped] == ["option_dependent_stem"]
    assert all(r["template"] == "open" and "\\boxed" in r["prompt"][-1]["content"] for r in open_rows)


@pytest.mark.parametrize(
    ("result", "reason"),
    [
        ({"ok": False, "error": "gave up after 4 attempts: HTTP 503"}, "generation_failed"),
        ({"ok": True, "text": '{"questions": [', "finish_reason": "length"}, "truncated"),
        ({"ok": True, "text": "Here are the questions: ...", "finish_reason": "stop"}, "malformed_json"),
        ({"ok": True, "text": '[{"question": "q"}]', "finish_reason": "stop"}, "wrong_shape"),
    ],
)
def test_a_reply_that_fails_as_a_whole_is_one_named_reject(result, reason):
    questions, rejects = parse_reply(result)
    assert questions == [] and [r.reason for r in rejects] == [reason]


def test_parser_is_strict_per_question_and_tolerates_only_a_code_fence():
    fenced = RECORDED[_url("feather-duvet")]
    assert fenced.startswith("```json")
    questions, rejects = parse_reply({"ok": True, "text": fenced, "finish_reason": "stop"})
    assert len(questions) == 3 and rejects == []
    reply = {
        "questions": [
            {"question": "Q1?", "options": ["a", "b", "c", "d"], "answer": "E", "short_answer": "x"},
            {"question": "Q2?", "options": ["a", "a", "c", "d"], "answer": "A", "short_answer": "x"},
            {"question": "Q3?", "options": ["a", "b", "c", "d"], "answer": "b", "short_answer": "b"},
            {"question": "", "options": ["a", "b", "c", "d"], "answer": "A", "short_answer": "a"},
        ]
    }
    questions, rejects = parse_reply(
        {"ok": True, "text": "Sure!\n" + json.dumps(reply), "finish_reason": "stop"}
    )
    assert [r.reason for r in rejects] == ["malformed_json"]  # prose around the JSON is not accepted
    questions, rejects = parse_reply({"ok": True, "text": json.dumps(reply), "finish_reason": "stop"})
    assert [q["question"] for q in questions] == ["Q3?"] and questions[0]["answer"] == "B"
    assert [(r.reason, r.question_index) for r in rejects] == [
        ("bad_answer_label", 0),
        ("duplicate_options", 1),
        ("missing_question", 3),
    ]


_RUN_GENERATION = """
import sys
from dataclasses import replace
from crossthink_data.mining.pipeline import MinerConfig, build_executors
cfg = MinerConfig(input="unused", output=sys.argv[1], records_per_chunk=2)
cfg.generation = replace(cfg.generation, endpoint_url=sys.argv[2], api_key=sys.argv[3], max_concurrent=1)
build_executors(cfg, "generate")[1].run()
"""


@pytest.mark.slow
def test_generation_killed_mid_run_resumes_without_duplicates_or_lost_documents(labelled, tmp_path):
    def slow_reply(request):
        time.sleep(0.4)
        return recorded_reply(request)

    clean = fresh_copy(labelled, tmp_path / "clean")
    killed = fresh_copy(labelled, tmp_path / "killed")
    with start_openai_server(slow_reply) as server:
        generate_and_parse(miner(clean, server))
        before = len(server.chat_requests)
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        process = subprocess.Popen(
            [sys.executable, "-c", _RUN_GENERATION, str(killed), server.base_url, server.api_key],
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while (
            len(server.chat_requests) - before < 7 and time.monotonic() < deadline and process.poll() is None
        ):
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        sent_before_kill = len(server.chat_requests) - before
        assert 7 <= sent_before_kill < 16
        last_chunk = killed / "checkpoints" / "generate" / "last_chunk" / "00000.txt"
        assert int(last_chunk.read_text()) >= 2  # chunks of 2 documents: 0..2 finished and saved

        rerun = miner(killed, server, max_concurrent=1)
        rerun.records_per_chunk = 2
        generate_and_parse(rerun)
        resent = len(server.chat_requests) - before - sent_before_kill
    assert resent <= 16 - 6  # finished chunks (2 documents each) were not sent again

    generated = read_jsonl_folder(killed / "generate")
    assert len(generated) == len({r["id"] for r in generated}) == 16

    def rows(base: Path):
        return sorted(
            json.dumps(r, sort_keys=True) for r in pq.read_table(base / "parse" / "records").to_pylist()
        )

    assert rows(killed) == rows(clean)


def test_resuming_with_another_chunk_size_is_refused(tmp_path):
    """Resume skips finished chunks by count: a different records_per_chunk would skip the wrong documents."""
    cfg = MinerConfig(input="unused", output=str(tmp_path), records_per_chunk=2)
    cfg.generation.endpoint_url = "http://127.0.0.1:9/v1"
    build_executors(cfg, "generate")
    cfg.records_per_chunk = 500
    with pytest.raises(ValueError, match="records_per_chunk"):
        build_executors(cfg, "generate")


@pytest.mark.slow
def test_demo_generates_syn_qa_when_an_endpoint_is_set(tmp_path, monkeypatch):
    """`crossthink-data demo` with CROSSTHINK_ENDPOINT: the 16 shipped pages are sent once each and the
    parsed Syn-QA lands in the repo as syn_qa configs (recorded replies: 20 records, 19 open rows)."""
    from datasets import load_dataset
    from typer.testing import CliRunner

    from crossthink_data.cli import app

    with start_openai_server(recorded_reply) as server:
        monkeypatch.setenv("CROSSTHINK_ENDPOINT", server.base_url)
        monkeypatch.setenv("CROSSTHINK_MODEL", "Qwen/Qwen2.5-72B-Instruct")
        monkeypatch.setenv("CROSSTHINK_API_KEY", server.api_key)
        result = CliRunner().invoke(app, ["demo", "--output", str(tmp_path)])
        assert result.exit_code == 0, result.output
        assert len(server.chat_requests) == 16
    repo = tmp_path / "crossthink"
    records = load_dataset(str(repo), "syn_qa-records", split="train")
    assert set(records["source"]) == {"syn_qa"} and records.num_rows == 20
    mcq = load_dataset(str(repo), "syn_qa-mcq", split="train")
    assert set(mcq["source"]) == {"syn_qa"} and set(mcq["kind"]) == {"mcq"} and mcq.num_rows == 20
    assert load_dataset(str(repo), "syn_qa-open", split="train").num_rows == 19
