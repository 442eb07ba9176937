"""The datatrove source pipeline on real demo rows: counts, rejects by rule, crash + resume."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from datatrove.pipeline.base import PipelineStep

from crossthink_data.executors import make_executor
from crossthink_data.sources import DEMO_SOURCES
from crossthink_data.sources.pipeline import (
    parquet_files,
    run_source,
    source_pipeline,
    summarize_stats,
)

ARC = DEMO_SOURCES["arc_challenge"]


def read_rows(work_dir: Path, source: str, config: str) -> list[dict]:
    return [
        row for path in parquet_files(work_dir, source, config) for row in pq.read_table(path).to_pylist()
    ]


def read_rejects(work_dir: Path, source: str, folder: str) -> list[dict]:
    files = sorted((work_dir / source / "rejects" / folder).glob("*.jsonl"))
    return [json.loads(line) for path in files for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def arc_run(tmp_path_factory) -> tuple[Path, list]:
    work = tmp_path_factory.mktemp("work")
    return work, run_source("arc_challenge", work, from_dir=ARC, tasks=2)


def test_counts_add_up_and_match_the_files(arc_run):
    work, summaries = arc_run
    by_config = {s.config: s for s in summaries}
    raw_rows = json.loads((ARC / "arc_challenge_train.json").read_text())  # 300 real ARC rows
    for summary in summaries:
        assert summary.rows_in == len(raw_rows) == 300
        assert summary.kept + sum(summary.dropped.values()) == summary.rows_in
        assert summary.kept == len(read_rows(work, "arc_challenge", summary.config))
    assert by_config["mcq"].kept <= by_config["records"].kept
    assert by_config["open"].dropped.get("option_dependent_stem", 0) > 0


def test_templated_rows_carry_prompt_and_ground_truth(arc_run):
    work, _ = arc_run
    mcq = read_rows(work, "arc_challenge", "mcq")
    open_rows = {r["id"]: r for r in read_rows(work, "arc_challenge", "open")}
    records = {r["id"]: r for r in read_rows(work, "arc_challenge", "records")}
    for row in mcq:
        assert row["kind"] == "mcq" and row["ground_truth"] == records[row["id"]]["answer"]
        assert "\nA. " in row["prompt"][0]["content"]
    for row_id, row in open_rows.items():
        assert row["kind"] == "open" and row["ground_truth"] == records[row_id]["answer_text"].strip()
        assert "\nA. " not in row["prompt"][0]["content"]
    assert len({r["id"] for r in mcq}) == len(mcq)


def test_rejects_name_their_rule(arc_run):
    work, summaries = arc_run
    open_summary = next(s for s in summaries if s.config == "open")
    rejects = read_rejects(work, "arc_challenge", "open_filter_h")
    reasons = [r["metadata"]["filter_reason"] for r in rejects]
    for rule, count in open_summary.dropped.items():
        if rule != "invalid_record":
            assert reasons.count(rule) == count
    invalid = read_rejects(work, "arc_challenge", "records")
    assert len(invalid) == open_summary.dropped["invalid_record"]
    assert all(r["metadata"]["filter_reason"] == "invalid_record" and r["text"] for r in invalid)


class CrashOnce(PipelineStep):
    """Raises in one task after some documents, the first time only (a crash mid-write)."""

    name = "crash once"

    def __init__(self, rank: int, after: int, marker: str) -> None:
        super().__init__()
        self.crash_rank, self.after, self.marker = rank, after, marker

    def run(self, data, rank: int = 0, world_size: int = 1):
        for count, document in enumerate(data):
            if rank == self.crash_rank and count == self.after and not Path(self.marker).exists():
                Path(self.marker).touch()
                raise RuntimeError("simulated crash")
            yield document


def test_crash_then_rerun_equals_uninterrupted_run(tmp_path, arc_run):
    reference_work, _ = arc_run
    work = tmp_path / "work"
    logs = work / "arc_challenge" / "logs" / "open"

    def pipeline():
        steps = source_pipeline("arc_challenge", "open", work, from_dir=ARC)
        steps.insert(-1, CrashOnce(rank=1, after=40, marker=str(tmp_path / "crashed")))
        return steps

    with pytest.raises(Exception, match="simulated crash"):
        make_executor(pipeline(), logs, tasks=2).run()
    assert (logs / "completions" / "00000").exists() and not (logs / "completions" / "00001").exists()
    make_executor(pipeline(), logs, tasks=2).run()  # resumes: task 0 is skipped, task 1 reruns

    resumed = read_rows(work, "arc_challenge", "open")
    reference = read_rows(reference_work, "arc_challenge", "open")
    assert sorted(r["id"] for r in resumed) == sorted(r["id"] for r in reference)
    assert len({r["id"] for r in resumed}) == len(resumed)
    assert summarize_stats("arc_challenge", "open", logs).kept == len(reference)


@pytest.mark.parametrize("tasks", [1, 2])
def test_malformed_rows_are_counted_rejects_naming_file_and_line(tmp_path: Path, tasks: int):
    """A JSON line cut short and a line that is not an object do not stop the source: each is a
    ``malformed_row`` reject naming file:line, the other rows keep their positions and ids."""
    gsm8k = DEMO_SOURCES["gsm8k"] / "test.jsonl"
    lines = gsm8k.read_text().splitlines()[:6]
    bad = tmp_path / "gsm8k"
    bad.mkdir()
    (bad / "test.jsonl").write_text(
        "\n".join([*lines[:2], '{"question": "cut', *lines[2:4], "[1, 2]", *lines[4:]]) + "\n"
    )
    work = tmp_path / "work"
    summaries = {s.config: s for s in run_source("gsm8k", work, from_dir=bad, tasks=tasks, workers=tasks)}
    for summary in summaries.values():
        assert summary.rows_in == 8 and summary.dropped["malformed_row"] == 2
    assert summaries["records"].kept == 6
    rejects = read_rejects(work, "gsm8k", "records")
    assert [(r["id"], r["metadata"]["filter_reason"]) for r in rejects] == [
        ("gsm8k/2", "malformed_row"),
        ("gsm8k/5", "malformed_row"),
    ]
    assert rejects[0]["text"].startswith(f"{bad / 'test.jsonl'}:3: not valid JSON")
    assert rejects[1]["text"] == f"{bad / 'test.jsonl'}:6: a JSON list, not an object"
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "test.jsonl").write_text("\n".join(lines) + "\n")
    reference = run_source("gsm8k", tmp_path / "ref", from_dir=clean)
    assert reference[0].kept == 6  # the same six rows, with the same ids
    assert [r["id"] for r in read_rows(work, "gsm8k", "records")] == [
        r["id"] for r in read_rows(tmp_path / "ref", "gsm8k", "records")
    ]


def test_a_json_array_that_does_not_parse_stops_the_source(tmp_path: Path):
    from crossthink_data.record import RecordError

    (tmp_path / "arc_challenge_train.json").write_text((ARC / "arc_challenge_train.json").read_text()[:500])
    with pytest.raises(RecordError, match=r"arc_challenge_train.json: not a valid JSON array"):
        run_source("arc_challenge", tmp_path / "work", from_dir=tmp_path, configs=["records"])


def test_a_line_that_is_not_utf8_is_a_reject_naming_file_and_line(tmp_path: Path):
    """Issue 18 finding 4: one byte that is not UTF-8 used to stop the source with a line that named
    no file; now that line is a ``malformed_row`` reject naming file:line, and the rest are read."""
    lines = (DEMO_SOURCES["gsm8k"] / "test.jsonl").read_bytes().splitlines(keepends=True)[:6]
    lines[2] = lines[2][:20] + b"\xff" + lines[2][20:]  # inside the question text
    bad = tmp_path / "gsm8k"
    bad.mkdir()
    (bad / "test.jsonl").write_bytes(b"".join(lines))

    (summary,) = run_source("gsm8k", tmp_path / "work", from_dir=bad, configs=["records"])

    assert summary.rows_in == 6 and summary.kept == 5 and summary.dropped == {"malformed_row": 1}
    (reject,) = read_rejects(tmp_path / "work", "gsm8k", "records")
    assert reject["text"].startswith(f"{bad / 'test.jsonl'}:3: not UTF-8 (byte 0xff")


def test_a_gold_given_as_a_list_is_a_reject_not_its_string(tmp_path: Path):
    """Issue 18 finding 4: a list answer became the gold ``540']`` (the list's ``str`` split at ####)."""
    rows = [json.loads(line) for line in (DEMO_SOURCES["gsm8k"] / "test.jsonl").read_text().splitlines()[:3]]
    rows[1]["answer"] = [rows[1]["answer"]]
    rows[2]["answer"] = {"text": rows[2]["answer"]}
    bad = tmp_path / "gsm8k"
    bad.mkdir()
    (bad / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))

    (summary,) = run_source("gsm8k", tmp_path / "work", from_dir=bad, configs=["records"])

    assert summary.kept == 1 and summary.dropped == {"invalid_record": 2}
    golds = [r["answer"] for r in read_rows(tmp_path / "work", "gsm8k", "records")]
    assert golds == [rows[0]["answer"].rsplit("####", 1)[1].strip().replace(",", "")]
    texts = [r["text"] for r in read_rejects(tmp_path / "work", "gsm8k", "records")]
    assert "'answer' must be a string or a number, got list" in texts[0]
    assert "'answer' must be a string or a number, got dict" in texts[1]


@pytest.mark.parametrize("name", ["rows.csv", "rows.json"])
def test_a_whole_file_that_is_not_utf8_stops_naming_file_and_line(tmp_path: Path, name: str):
    from crossthink_data.record import RecordError
    from crossthink_data.sources.readers import read_rows as read_upstream

    text = 'question,answer\n"a",1\n"b\xff",2\n' if name.endswith(".csv") else '[{"q": 1},\n{"q": "\xff"}]'
    (tmp_path / name).write_bytes(text.encode("latin-1"))

    with pytest.raises(RecordError) as failed:
        list(read_upstream(str(tmp_path / name)))

    line = 3 if name.endswith(".csv") else 2
    assert str(failed.value).startswith(f"{tmp_path / name}: line {line}: not UTF-8 (byte 0xff)")
