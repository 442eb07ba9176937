"""A failure never passes for success: `mine` generate and `difficulty` against the loopback server.

Each case runs the real commands (typer in-process, datatrove's executor, the InferenceRunner, the
OpenAI client) against tests/openai_server.py with a scripted model, and checks the exit code,
the one line the user reads, the completion markers, and, through the server's request log,
that a rerun sends exactly the requests that were missing: never a finished one twice.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import re
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
from datatrove.pipeline.inference.run_inference import InferenceConfig
from loguru import logger
from typer.testing import CliRunner

from crossthink_data.cli import app
from crossthink_data.executors import StageFailed, make_executor
from crossthink_data.inference import AuthenticatedEndpointServer, GenerationStopped
from crossthink_data.mining.parse import REPLY_SCHEMA, parse_reply
from crossthink_data.mining.pipeline import MinerConfig, build_executors, read_jsonl_folder
from crossthink_data.ownership import write_marker
from crossthink_data.rows import iter_rows
from crossthink_data.sources import get_source
from tests.helpers.openai_server import Reply, message_text, start_openai_server
from tests.helpers.paths import REPO_ROOT, TEST_DATA

DEMO_WARC = REPO_ROOT / "crossthink_data" / "demo_data" / "common_crawl"
RIGHT, WRONG = "right-model", "wrong-model"
NO_ENV = {"CROSSTHINK_ENDPOINT": None, "CROSSTHINK_API_KEY": None}
PAGES = 6

STAGE = "curation/3_difficulty"  # where `difficulty -o WORK` writes, as the build does


def page_url(i: int) -> str:
    return f"https://example.org/page-{i}"


def one_question(i: int) -> str:
    question = {
        "question": f"Which number is page {i} about?",
        "options": [str(i), str(i + 1), str(i + 2), str(i + 3)],
        "answer": "A",
        "short_answer": str(i),
    }
    return json.dumps({"questions": [question]})


def page_of(request) -> int:
    return int(re.search(r"source: https://example\.org/page-(\d+)\)", message_text(request)).group(1))


def labelled_pages(out: Path) -> Path:
    """What `mine --until domain` leaves: labelled pages in DIR/domain and the CPU stage marked complete."""
    (out / "domain").mkdir(parents=True)
    with gzip.open(out / "domain" / "00000.jsonl.gz", "wt") as f:
        for i in range(PAGES):
            text = f"Page {i} is about the number {i}. " * 20
            metadata = {"url": page_url(i), "category": "stem", "category_confidence": 0.9}
            f.write(json.dumps({"id": f"doc-{i}", "text": text, "metadata": metadata}) + "\n")
    (out / "logs" / "cpu" / "completions").mkdir(parents=True)
    (out / "logs" / "cpu" / "completions" / "00000").write_text("")
    write_marker(out, "mine")  # an earlier `mine` run's folder: the tool's own (crossthink_data.ownership)
    return out


def invoke(args: list[str]):
    """The command in-process, as a user runs it, with loguru on the real stderr around it (datatrove
    re-adds its console sink on whatever ``sys.stderr`` is: inside, the runner's, closed afterwards)."""
    from datatrove.utils.logging import setup_default_logger

    setup_default_logger()  # an earlier in-process command may have left it on a closed stream
    try:
        return CliRunner().invoke(app, args, env=NO_ENV)
    finally:
        setup_default_logger()


def mine(out: Path, server, *flags: str):
    args = ["mine", "-i", str(DEMO_WARC), "-o", str(out), "--until", "parse"]
    return invoke([*args, "--endpoint-url", server.base_url, "--max-attempts", "2", *flags])


def error_line(result) -> str:
    """The last line the user reads; the whole output must hold no traceback."""
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    return result.stderr.strip().splitlines()[-1]


def test_a_wrong_model_stops_at_the_first_refusal_and_the_rerun_does_the_work_once(tmp_path):
    out = labelled_pages(tmp_path / "out")
    with start_openai_server(
        lambda r: one_question(page_of(r)), api_key=None, model=RIGHT, unknown_model_status=400
    ) as server:
        wrong = mine(out, server, "--model", WRONG, "--max-concurrent", "1")
        assert wrong.exit_code == 1
        line = error_line(wrong)
        assert line.startswith(
            f"error: generate stopped: {server.base_url}/chat/completions refused the request"
        )
        assert f"HTTP 400: The model `{WRONG}` does not exist." in line and "--model" in line
        assert len(server.chat_requests) == 1  # the first refusal stopped the run: nothing more was sent
        assert not (out / "logs" / "generate" / "completions").exists()  # not marked complete
        assert not (out / "parse").exists()  # the parse stages did not run on failures

        right = mine(out, server, "--model", RIGHT)
        assert right.exit_code == 0, right.output
        sent = [page_of(r) for r in server.chat_requests if r.body["model"] == RIGHT]
        assert sorted(sent) == list(range(PAGES))  # every page exactly once
        records = list(iter_rows(out / "parse" / "records"))
        assert sorted(r["question"] for r in records) == sorted(
            f"Which number is page {i} about?" for i in range(PAGES)
        )

        again = mine(out, server, "--model", RIGHT)
        assert again.exit_code == 0 and len(server.chat_requests) == 1 + PAGES  # complete: nothing resent


def test_a_base_url_without_v1_is_one_line_with_the_url_and_status_and_no_wait(tmp_path):
    rows = one_row(tmp_path)
    with start_openai_server(lambda r: "<think>x</think> \\boxed{1}", api_key=None) as server:
        bare = server.base_url.removesuffix("/v1")
        result = difficulty(rows, tmp_path / "out", "--endpoint-url", bare)
        assert result.exit_code == 1
        assert error_line(result) == (
            f"error: endpoint not usable: {bare}/models answered HTTP 404: no route /models; missing /v1? "
            f"OpenAI-compatible servers serve {bare}/v1 (pass it as --endpoint-url)"
        )
        assert server.chat_requests == []
        assert not (tmp_path / "out" / STAGE / "logs" / "1_sample" / "completions").exists()

        rerun = difficulty(rows, tmp_path / "out", "--endpoint-url", server.base_url)
        assert rerun.exit_code == 0, rerun.output
        assert len(server.chat_requests) == 2  # the rerun with the right URL samples the row (k=2)


def test_a_refused_key_is_one_line_naming_the_key(tmp_path):
    rows = one_row(tmp_path)
    with start_openai_server(lambda r: "x", api_key="sk-right") as server:
        result = difficulty(rows, tmp_path / "out", "--endpoint-url", server.base_url, "--api-key", "sk-old")
        assert server.chat_requests == []
    assert result.exit_code == 1
    line = error_line(result)
    assert line.startswith(f"error: endpoint not usable: {server.base_url}/models answered HTTP 401:")
    assert "refused the API key" in line and "--api-key" in line


def test_an_endpoint_that_never_answers_says_so_after_the_wait():
    """Connection refused is "not yet" (a server still starting): waited for, then one line, exit 3."""
    config = InferenceConfig(
        server_type="endpoint",
        model_name_or_path="m",
        endpoint_url="http://127.0.0.1:9/v1",
        server_ready_max_attempts=2,
        server_ready_delay_sec=0.1,
    )

    async def start():
        server = AuthenticatedEndpointServer(config, 0)
        await server.bg_start_server()
        return server._server_ready.exception()

    error = asyncio.run(start())
    assert isinstance(error, GenerationStopped) and error.exit_code == 3
    assert str(error).startswith(
        "endpoint not ready after 0 s: http://127.0.0.1:9/v1/models: no answer (Connect"
    )
    assert str(error).endswith("is the server running, and are the host and port right?")


@pytest.mark.parametrize(
    ("max_failed", "exit_code"), [("0.1", 3), ("0.2", 0)], ids=["over-max-failed", "under-max-failed"]
)
def test_transient_failures_fail_the_run_only_above_max_failed(tmp_path, max_failed, exit_code):
    out = labelled_pages(tmp_path / "out")
    broken = {3}  # page 3 gets HTTP 500 on every attempt: 1 of 6 requests fails after its retries

    def reply(request):
        return Reply(status=500) if page_of(request) in broken else one_question(page_of(request))

    with start_openai_server(reply, api_key=None) as server:
        result = mine(out, server, "--max-failed", max_failed)
        first = Counter(page_of(r) for r in server.chat_requests)
        broken.clear()  # the server heals
        rerun = mine(out, server)
        resent = Counter(page_of(r) for r in server.chat_requests) - first

    assert first == {i: 2 if i == 3 else 1 for i in range(PAGES)}  # retried once (--max-attempts 2)
    assert result.exit_code == exit_code, result.output
    assert rerun.exit_code == 0, rerun.output
    rejects = Counter(r["metadata"]["filter_reason"] for r in read_jsonl_folder(out / "rejects" / "parse"))
    records = list(iter_rows(out / "parse" / "records"))
    if exit_code:
        assert error_line(result) == (
            "error: generate: 1 of 6 requests failed (17%) after their retries; first: gave up after 2 "
            "attempts: HTTP 500: injected HTTP 500. That is more than --max-failed 0.1: the stage is not "
            "marked complete; rerun the same command to send only the failed requests again"
        )
        assert resent == {3: 1}  # exactly the failed request, none of the finished ones
        assert len(records) == PAGES and not rejects
    else:  # recorded per row, the stage complete: the rerun sends nothing
        assert resent == {}
        assert len(records) == PAGES - 1 and rejects == {"generation_failed": 1}
    generated = read_jsonl_folder(out / "generate")
    assert sorted(r["id"] for r in generated) == [f"doc-{i}" for i in range(PAGES)]  # once each


def test_a_rerun_sends_only_the_failed_documents_of_every_chunk(tmp_path):
    """Chunks of 2: failures in the first and the last chunk; finished chunks around them stay finished."""
    out = labelled_pages(tmp_path / "out")
    broken = {0, 5}
    with start_openai_server(
        lambda r: Reply(status=503) if page_of(r) in broken else one_question(page_of(r)), api_key=None
    ) as server:
        cfg = MinerConfig(input="unused", output=str(out), records_per_chunk=2)
        cfg.generation.endpoint_url, cfg.generation.max_attempts = server.base_url, 1
        cfg.generation.max_concurrent = 1
        with pytest.raises(StageFailed, match="2 of 6 requests failed"):
            build_executors(cfg, "generate")[1].run()
        first = Counter(page_of(r) for r in server.chat_requests)
        broken.clear()
        build_executors(cfg, "generate")[1].run()
        resent = Counter(page_of(r) for r in server.chat_requests) - first
    assert first == dict.fromkeys(range(PAGES), 1)
    assert resent == {0: 1, 5: 1}
    generated = read_jsonl_folder(out / "generate")
    assert sorted(r["id"] for r in generated) == [f"doc-{i}" for i in range(PAGES)]
    assert all(r["metadata"]["rollout_results"][0]["ok"] for r in generated)
    assert not (out / "checkpoints" / "generate" / "00000").exists()  # cleaned once all finished


def one_row(tmp_path: Path, n: int = 1) -> Path:
    gsm = TEST_DATA / "curation" / "gsm8k"
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    records = list(get_source("gsm8k").records(from_dir=gsm))[:n]
    (folder / "rows.jsonl").write_text("".join(json.dumps(r.to_dict()) + "\n" for r in records))
    return folder


def difficulty(rows: Path, out: Path, *flags: str, samples: int = 2):
    return invoke(["difficulty", "-i", str(rows), "-o", str(out), "--model", "m", "-k", str(samples), *flags])


def test_difficulty_rerun_resends_only_failed_samples_and_reports_format_and_responses(tmp_path):
    rows = one_row(tmp_path, n=3)
    golds = {r["question"]: r["answer"] for r in iter_rows(rows)}
    broken = {"seed": 1}  # the second sample of the first row fails on every attempt

    def reply(request):
        question = next(q for q in golds if q in message_text(request))
        if question == next(iter(golds)) and request.body["seed"] == broken.get("seed"):
            return Reply(status=500)
        if request.body["seed"] == 0:  # well formed and right
            return f"<think>easy</think> The answer is \\boxed{{{golds[question]}}}."
        return f"The answer is {golds[question]}."  # right, but the format is ignored

    with start_openai_server(reply, api_key=None) as server:
        failed = difficulty(rows, tmp_path / "out", "--endpoint-url", server.base_url, "--max-attempts", "1")
        first = len(server.chat_requests)
        broken.clear()
        rerun = difficulty(rows, tmp_path / "out", "--endpoint-url", server.base_url, "--max-attempts", "1")
        resent = [(r.body["seed"], message_text(r)) for r in server.chat_requests[first:]]
    assert failed.exit_code == 3 and "1 of 6 requests failed" in error_line(failed)
    assert first == 6
    assert len(resent) == 1 and resent[0][0] == 1 and next(iter(golds)) in resent[0][1]
    assert rerun.exit_code == 0, rerun.output
    report = json.loads((tmp_path / "out" / STAGE / "report.json").read_text())
    assert report["rows_in"] == 3 and report["unscored"] == 0 and report["failed_samples"] == 0
    assert report["format_rate"] == 0.5  # seed 0 well formed, seed 1 not, on every row
    assert report["histogram"] == {"0.5-0.6": 3}  # the format counts: the unformatted answer fails
    assert len(report["responses"]) == 3
    assert {r["difficulty_response"] for r in report["responses"]} == {
        f"<think>easy</think> The answer is \\boxed{{{gold}}}." for gold in golds.values()
    }


def test_difficulty_limit_samples_only_the_first_rows(tmp_path):
    rows = one_row(tmp_path, n=3)
    with start_openai_server(lambda r: "<think>x</think> \\boxed{0}", api_key=None) as server:
        result = difficulty(rows, tmp_path / "out", "--endpoint-url", server.base_url, "--limit", "2")
        sent = len(server.chat_requests)
    assert result.exit_code == 0, result.output
    assert (
        sent == 2 * 2 and json.loads((tmp_path / "out" / STAGE / "report.json").read_text())["rows_in"] == 2
    )


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ("none", None),
        (
            "openai",
            {"type": "json_schema", "json_schema": {"name": "syn_qa_questions", "schema": REPLY_SCHEMA}},
        ),
        ("llama-cpp", {"type": "json_object", "schema": REPLY_SCHEMA}),
    ],
)
def test_the_syn_qa_request_carries_the_reply_schema_in_the_servers_shape(tmp_path, shape, expected):
    out = labelled_pages(tmp_path / "out")
    with start_openai_server(lambda r: one_question(page_of(r)), api_key=None) as server:
        result = mine(out, server, "--response-format", shape)
        bodies = [r.body for r in server.chat_requests]
    assert result.exit_code == 0, result.output
    assert len(bodies) == PAGES
    assert all(b.get("response_format") == expected for b in bodies)


def test_the_reply_schema_accepts_what_the_parser_accepts_and_refuses_what_it_rejects():
    good = json.loads(one_question(1))
    jsonschema.validate(good, REPLY_SCHEMA)
    assert parse_reply({"ok": True, "text": json.dumps(good), "finish_reason": "stop"})[1] == []
    base = good["questions"][0]
    broken = [
        ({**base, "question": ""}, "missing_question"),
        ({**base, "options": ["a", "b", "c"]}, "option_count"),
        ({**base, "options": [str(i) for i in range(11)]}, "option_count"),
        ({**base, "options": ["a", "b", "c", ""]}, "bad_options"),
        ({**base, "answer": "K"}, "bad_answer_label"),
        ({k: v for k, v in base.items() if k != "short_answer"}, "missing_short_answer"),
    ]
    for question, reason in broken:
        reply = {"questions": [question]}
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(reply, REPLY_SCHEMA)
        _, rejects = parse_reply({"ok": True, "text": json.dumps(reply), "finish_reason": "stop"})
        assert [r.reason for r in rejects] == [reason]


def test_progress_and_skipped_stages_are_named(tmp_path):
    out = labelled_pages(tmp_path / "out")
    with start_openai_server(lambda r: one_question(page_of(r)), api_key=None) as server:
        cfg = MinerConfig(input="unused", output=str(out))
        cfg.generation.endpoint_url = server.base_url
        build_executors(cfg, "generate")[1].run()
        task_log = (out / "logs" / "generate" / "logs" / "task_00000.log").read_text()
        assert f"generate: {PAGES} of {PAGES} documents\n" in task_log
        messages: list[str] = []
        sink = logger.add(lambda m: messages.append(m.record["message"]), level="INFO")
        try:  # datatrove resets loguru when a task starts; a skipped stage starts none
            build_executors(cfg, "generate")[1].run()
            make_executor([], str(out / "logs" / "cpu"), stage="domain").run()
        finally:
            logger.remove(sink)
    completions = out / "logs" / "generate" / "completions"
    assert messages == [
        f"stage generate: already complete, skipped (delete {completions} to redo it)",
        f"stage domain: already complete, skipped (delete {out / 'logs' / 'cpu' / 'completions'} to redo it)",
    ]
