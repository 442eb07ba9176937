"""Every input row is accounted for (issue 18, finding 3): a row that cannot be read is a named reject
in the report, never a silent drop; a file that cannot be read stops the command with one line; and
more than ``--max-rejected`` of the rows stops it before anything is written.

The input is 40 real templated rows (tests/data/train/crossthink_sample) written as JSONL, with one
of the faults a user's file has: a byte that is not UTF-8 at row 11, a line cut short, a raw NUL,
renamed columns, a gold of the wrong type, a truncated ``.jsonl.gz``.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from crossthink_data.curation.dedup import DedupSettings, dedup
from crossthink_data.executors import StageFailed
from crossthink_data.hub.dataset_card import dedup_text
from crossthink_data.rows import UnreadableFile, iter_rows
from tests.helpers.paths import REPO_ROOT, TEST_DATA

SAMPLE = TEST_DATA / "train" / "crossthink_sample" / "data"
DEMO_BENCHMARKS = REPO_ROOT / "crossthink_data" / "curation" / "demo_benchmarks"
BAD_ROW = 11  # 1-based line of the faulty row


def _rows() -> list[dict]:
    rows = []
    for template in ("mcq", "open"):
        rows += pq.read_table(next((SAMPLE / template).glob("*.parquet"))).to_pylist()[:20]
    assert len(rows) == 40 and len({r["id"] for r in rows}) == 40
    return rows


def _lines(rows: list[dict]) -> list[bytes]:
    return [json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in rows]


def _bad_utf8(lines: list[bytes]) -> None:
    line = lines[BAD_ROW - 1]
    cut = line.index(b'"question": "') + len(b'"question": "') + 3
    lines[BAD_ROW - 1] = line[:cut] + b"\xff" + line[cut:]


def _malformed(lines: list[bytes]) -> None:
    lines[BAD_ROW - 1] = lines[BAD_ROW - 1][:40] + b"\n"


def _nul(lines: list[bytes]) -> None:
    lines[BAD_ROW - 1] = lines[BAD_ROW - 1].replace(b'"question": "', b'"question": "\x00', 1)


def _wrong_type(lines: list[bytes]) -> None:
    row = json.loads(lines[BAD_ROW - 1])
    row["answer"] = ["540"]  # a list where the gold is a string
    lines[BAD_ROW - 1] = json.dumps(row).encode() + b"\n"


FAULTS = {
    "bad_utf8": _bad_utf8,
    "malformed_json": _malformed,
    "nul_byte": _nul,
    "wrong_type": _wrong_type,
}


def _input(tmp_path: Path, fault) -> tuple[Path, set[str]]:
    rows = _rows()
    lines = _lines(rows)
    fault(lines)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "rows.jsonl").write_bytes(b"".join(lines))
    good = {r["id"] for i, r in enumerate(rows, 1) if i != BAD_ROW}
    return folder, good


def _written_ids(out: Path) -> set[str]:
    ids = {r["id"] for f in (out / "data").glob("*.parquet") for r in pq.read_table(f).to_pylist()}
    for removed in (out / "removed").rglob("*.jsonl"):
        ids |= {r["id"] for r in iter_rows(str(removed))}
    return ids


@pytest.mark.parametrize("reason", list(FAULTS))
def test_a_bad_row_is_a_named_reject_and_every_other_row_goes_on(reason: str, tmp_path: Path) -> None:
    folder, good = _input(tmp_path, FAULTS[reason])
    out = tmp_path / "out"

    report = dedup(str(folder), str(out), DedupSettings(near=False, max_rejected=0.05))

    assert report.rejected == {reason: 1}
    assert report.rows_in == 40
    assert report.kept + sum(report.exact_removed.values()) == 39
    assert _written_ids(out) == good  # no other row vanished (datatrove's reader lost 32 of them)
    saved = json.loads((out / "report.json").read_text())
    assert saved["rejected"] == {reason: 1} and saved["rows_in"] == 40
    assert f"1 input row(s) could not be read and were rejected ({reason}: 1)" in dedup_text(
        saved
    )  # the card
    rejects = [r for f in (out / "rejected").glob("*.jsonl") for r in iter_rows(str(f))]
    assert [r["metadata"]["filter_reason"] for r in rejects] == [reason]
    assert rejects[0]["text"].startswith(f"{folder / 'rows.jsonl'}:{BAD_ROW}: ")


def test_more_rejects_than_max_rejected_stop_before_anything_is_written(tmp_path: Path) -> None:
    folder, _ = _input(tmp_path, _bad_utf8)
    out = tmp_path / "out"

    with pytest.raises(StageFailed) as failed:
        dedup(str(folder), str(out), DedupSettings(near=False))  # default 1%: 1 of 40 is 2.5%

    message = str(failed.value)
    assert "\n" not in message
    assert "1 of 40 input rows rejected" in message and "bad_utf8: 1" in message
    assert f"{folder / 'rows.jsonl'}:{BAD_ROW}: not UTF-8" in message
    assert "--max-rejected" in message
    assert not (out / "data").exists() and not (out / "report.json").exists()


def test_renamed_columns_reject_every_row_by_name(tmp_path: Path) -> None:
    rows = [{("problem" if k == "question" else k): v for k, v in r.items()} for r in _rows()]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "rows.jsonl").write_bytes(b"".join(_lines(rows)))

    with pytest.raises(StageFailed) as failed:
        dedup(str(folder), str(tmp_path / "out"), DedupSettings(near=False, max_rejected=0.5))

    assert "40 of 40 input rows rejected" in str(failed.value)
    assert "missing_column: 40" in str(failed.value) and "no 'question' value" in str(failed.value)
    assert not (tmp_path / "out" / "data").exists()


def test_a_truncated_gzip_stops_with_the_file_and_line_and_writes_no_rows(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    packed = gzip.compress(b"".join(_lines(_rows())))
    (folder / "rows.jsonl.gz").write_bytes(packed[: len(packed) // 2])

    with pytest.raises(UnreadableFile) as failed:
        dedup(str(folder), str(tmp_path / "out"), DedupSettings(near=False, max_rejected=1.0))

    message = str(failed.value)
    assert message.startswith(f"{folder / 'rows.jsonl.gz'}: line ")
    assert "cannot be read past line" in message and "\n" not in message
    assert not (tmp_path / "out" / "data").exists()  # before: data/00000.parquet with 18 of 40 rows


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crossthink_data.cli", *args], capture_output=True, text=True, cwd=cwd
    )


def test_decontaminate_exits_non_zero_with_one_line_then_goes_on_under_a_higher_max_rejected(
    tmp_path: Path,
) -> None:
    folder, good = _input(tmp_path, _wrong_type)
    bench = ("--benchmarks", str(DEMO_BENCHMARKS))

    failed = _cli("decontaminate", "-i", str(folder), "-o", "out", *bench, cwd=tmp_path)

    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr
    errors = [line for line in failed.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and f"rows.jsonl:{BAD_ROW}: 'answer' must be a string" in errors[0]
    assert not list((tmp_path / "out").rglob("*.parquet"))  # before: a 0-byte parquet file

    passed = _cli(
        "decontaminate", "-i", str(folder), "-o", "out", *bench, "--max-rejected", "0.05", cwd=tmp_path
    )
    assert passed.returncode == 0, passed.stderr[-2000:]
    report = json.loads((tmp_path / "out" / "curation" / "1_decont" / "report.json").read_text())
    assert report["rejected"] == {"wrong_type": 1}
    assert report["rows_in"] == 40 and report["kept"] + report["removed"] == 39
    assert _written_ids(tmp_path / "out" / "curation" / "1_decont") == good


def test_difficulty_sends_no_request_for_an_input_that_lost_rows(tmp_path: Path, monkeypatch) -> None:
    from crossthink_data.curation.difficulty import DifficultySettings, score_difficulty
    from crossthink_data.inference import GenerationSettings
    from tests.helpers.openai_server import Reply, start_openai_server

    folder, _ = _input(tmp_path, _nul)
    monkeypatch.setenv("CROSSTHINK_TEST_KEY", "sk-test-loopback")
    with start_openai_server(lambda request: Reply(), api_key="sk-test-loopback", model="m") as server:
        generation = GenerationSettings(
            model="m", endpoint_url=server.base_url, api_key_env="CROSSTHINK_TEST_KEY"
        )
        with pytest.raises(StageFailed, match=r"difficulty: 1 of 40 input rows rejected .*nul_byte: 1"):
            score_difficulty(folder, tmp_path / "out", DifficultySettings(generation))
        assert server.requests == []
    assert not (tmp_path / "out" / "scored").exists() and not (tmp_path / "out" / "data").exists()


def test_max_rejected_is_one_typed_setting_in_recipes_and_flags() -> None:
    from crossthink_data.config import ConfigError, from_dict
    from crossthink_data.curation.build import DecontStage

    assert from_dict(DedupSettings, {"max_rejected": 0.05}).max_rejected == 0.05
    with pytest.raises(ConfigError, match=r"dedup.max_rejected: must be within \[0.0, 1.0\], got 2"):
        from_dict(DedupSettings, {"max_rejected": 2}, "dedup")
    with pytest.raises(ConfigError, match="decontaminate.max_rejected: must be a number"):
        from_dict(DecontStage, {"benchmarks": "b", "max_rejected": "1%"}, "decontaminate")


def test_a_corrupt_parquet_file_stops_with_its_name(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    source = next((SAMPLE / "mcq").glob("*.parquet")).read_bytes()
    (folder / "rows.parquet").write_bytes(source[: len(source) // 2])

    with pytest.raises(UnreadableFile, match=r"rows\.parquet: row 1: not a readable parquet file"):
        dedup(str(folder), str(tmp_path / "out"), DedupSettings(near=False))
    assert not (tmp_path / "out" / "data").exists()


def test_the_rerun_after_the_input_is_fixed_reads_it_again(tmp_path: Path) -> None:
    folder, good = _input(tmp_path, _malformed)
    out = tmp_path / "out"
    with pytest.raises(StageFailed, match="malformed_json: 1"):
        dedup(str(folder), str(out), DedupSettings(near=False))

    (folder / "rows.jsonl").write_bytes(b"".join(_lines(_rows())))  # the user fixes the line
    report = dedup(str(folder), str(out), DedupSettings(near=False))

    assert report.rejected == {} and report.rows_in == 40
    assert not list((out / "rejected").glob("*.jsonl"))  # no reject left from the failed read
    assert _written_ids(out) == good | {_rows()[BAD_ROW - 1]["id"]}
