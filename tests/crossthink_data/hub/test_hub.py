"""Hub export through the one path (``export_repo`` + the one dataset card): folder layout,
loadability with `datasets`, the card (YAML, charts, licenses, banner), resharding, bad input, and
push through a loopback fake of the Hub's HTTP API.

Rows are real: the first ARC-Challenge train questions and GSM8K test problems (tests/data/hub/).
"""

from __future__ import annotations

import base64
import json
import logging
import math
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from crossthink_data.hub import (
    ExportError,
    PushError,
    RepoCard,
    RepoConfig,
    export_repo,
    license_metadata,
    push_folder,
    size_category,
    write_dataset_card,
)
from crossthink_data.ownership import MARKER
from crossthink_data.record import QARecord, features
from crossthink_data.templates import render
from tests.helpers.paths import TEST_DATA

HUB_DATA = TEST_DATA / "hub"
ARC_CITATION = (
    "@article{clark2018arc,\n  title={Think you have Solved Question Answering? Try ARC},\n  year={2018}\n}"
)
GSM8K_CITATION = (
    "@article{cobbe2021gsm8k,\n  title={Training Verifiers to Solve Math Word Problems},\n  year={2021}\n}"
)
TOKEN = "hf_TESTtoken0123456789abcdefSECRET"


# ---- real rows ----------------------------------------------------------------------------------


def arc_records() -> list[QARecord]:
    """ARC rows embed options as "A. ..." lines and explain the answer; the gold is the one option
    whose "X. text" line the answer quotes (rows where that is ambiguous are skipped)."""
    records = []
    for index, row in enumerate(json.loads((HUB_DATA / "arc_challenge_train_first40.json").read_text())):
        stem, options, labels = [], [], []
        for line in row["question"].strip().split("\n"):
            match = re.match(r"^([A-Z]|\d)\. (.+)$", line)
            if match:
                labels.append(match.group(1))
                options.append(match.group(2))
            else:
                stem.append(line)
        golds = [i for i, (lab, opt) in enumerate(zip(labels, options)) if f"{lab}. {opt}" in row["answer"]]
        if len(golds) != 1:
            continue
        records.append(
            QARecord(
                source="arc_challenge",
                domain="gpr",
                category="stem",
                question="\n".join(stem),
                options=options,
                answer="ABCDEFGH"[golds[0]],
                provenance={"dataset": "allenai/ai2_arc", "license": "cc-by-sa-4.0", "row_index": index},
            )
        )
    return records


def gsm8k_records() -> list[QARecord]:
    records = []
    for line in (HUB_DATA / "gsm8k_test_first40.jsonl").read_text().splitlines():
        row = json.loads(line)
        records.append(
            QARecord(
                source="gsm8k",
                domain="math",
                category="math",
                question=row["question"],
                answer=row["answer"].split("####")[-1].strip(),
                provenance={"dataset": "openai/gsm8k", "license": "mit", "row_index": row["idx"]},
            )
        )
    return records


def card(**overrides) -> RepoCard:
    fields = dict(
        name="arc_gsm8k",
        pretty_name="CrossThink test subset: ARC + GSM8K",
        description="Real ARC-Challenge and GSM8K rows.",
        licenses=["cc-by-sa-4.0", "mit"],
        source_datasets=["allenai/ai2_arc", "openai/gsm8k"],
        citations=[ARC_CITATION, GSM8K_CITATION],
        default_config="records",
        configs={},
        report={"sources": []},
    )
    fields.update(overrides)
    return RepoCard(**fields)


def export(
    folder: Path, configs: dict, repo_card: RepoCard | None = None, rows_per_shard: int = 100_000, kinds=None
):
    """The repo of ``configs`` (name -> rows or parquet files) with its one card, as ``build`` writes
    it: ``records`` is a records config, every other one templated unless ``kinds`` says otherwise."""
    repo_card = repo_card or card()
    kinds = kinds or {}
    entries = [
        RepoConfig(name, rows, kinds.get(name, "records" if name == "records" else "templated"), "test", name)
        for name, rows in configs.items()
    ]
    repo_card.configs = {c.name: (c.source, c.template) for c in entries}  # as the build's repo_configs
    export_repo(
        folder, entries, lambda where, stats: write_dataset_card(where, repo_card, stats), rows_per_shard
    )
    return Path(folder)


@pytest.fixture(scope="module")
def rows() -> dict[str, list[dict]]:
    arc, gsm = arc_records(), gsm8k_records()
    assert len(arc) >= 30 and len(gsm) == 40  # the parsing above really found the rows
    return {
        "records": [r.to_dict() for r in arc + gsm],
        "mcq": [render(r, "mcq") for r in arc],
        "open": [render(r, "open") for r in arc + gsm],
    }


@pytest.fixture(scope="module")
def exported(tmp_path_factory, rows) -> Path:
    folder = tmp_path_factory.mktemp("hub") / "arc_gsm8k"
    return export(folder, rows, card(), rows_per_shard=25)


def front_matter(readme: Path) -> tuple[dict, str]:
    text = readme.read_text(encoding="utf-8")
    _, head, body = text.split("---\n", 2)
    return yaml.safe_load(head), body


def load(folder: Path, config: str, tmp_path: Path):
    from datasets import load_dataset

    return load_dataset(str(folder), config, split="train", cache_dir=str(tmp_path / "cache"))


# ---- layout and loadability ----------------------------------------------------------------------


def test_layout_uses_hub_shard_names(exported, rows):
    for config, config_rows in rows.items():
        shards = sorted(p.name for p in (exported / "data" / config).iterdir())
        total = math.ceil(len(config_rows) / 25)
        assert shards == [f"train-{i:05d}-of-{total:05d}.parquet" for i in range(total)]
        sizes = [pq.ParquetFile(exported / "data" / config / s).metadata.num_rows for s in shards]
        assert sizes == [25] * (total - 1) + [len(config_rows) - 25 * (total - 1)]
    assert not (exported.parent / f".{exported.name}.staging").exists()


@pytest.mark.parametrize("config,templated", [("records", False), ("mcq", True), ("open", True)])
def test_every_config_loads_with_declared_features(exported, rows, tmp_path, config, templated):
    dataset = load(exported, config, tmp_path)
    assert dataset.features == features(templated)
    assert len(dataset) == len(rows[config])
    assert dataset["id"] == [r["id"] for r in rows[config]]  # order kept across shards
    first = dataset[0]
    expected = rows[config][0]
    assert first["question"] == expected["question"] and first["options"] == expected["options"]
    if templated:
        assert first["prompt"] == expected["prompt"] and first["ground_truth"] == expected["ground_truth"]


# ---- the card -------------------------------------------------------------------------------------


def test_card_yaml_declares_license_configs_and_features(exported, rows):
    from datasets.features import Features
    from huggingface_hub import DatasetCard

    meta, _ = front_matter(exported / "README.md")
    assert DatasetCard.load(exported / "README.md").data.pretty_name == "CrossThink test subset: ARC + GSM8K"
    assert meta["license"] == ["cc-by-sa-4.0", "mit"]  # mixed Hub ids: the list
    assert meta["source_datasets"] == ["allenai/ai2_arc", "openai/gsm8k"]
    assert meta["task_categories"] == ["question-answering", "text-generation"]
    assert meta["size_categories"] == ["n<1K"]
    assert "crossthink" in meta["tags"]
    configs = {c["config_name"]: c for c in meta["configs"]}
    assert set(configs) == {"records", "mcq", "open"}
    for name in configs:
        assert configs[name]["data_files"] == [{"split": "train", "path": f"data/{name}/*.parquet"}]
    infos = {i["config_name"]: i for i in meta["dataset_info"]}
    for name, templated in (("records", False), ("mcq", True), ("open", True)):
        assert Features._from_yaml_list(infos[name]["features"]) == features(templated)
        assert infos[name]["splits"] == [
            {"name": "train", "num_bytes": infos[name]["dataset_size"], "num_examples": len(rows[name])}
        ]


def test_charts_exist_and_are_referenced_by_relative_path(exported):
    from matplotlib.image import imread

    _, body = front_matter(exported / "README.md")
    linked = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", body)
    assert len(linked) >= 1
    for path in linked:
        assert not Path(path).is_absolute() and path.startswith("assets/")
        image = imread(exported / path)
        assert image.shape[0] > 100 and image.shape[1] > 100
    assert "assets/pipeline.png" in linked


def test_card_body_counts_licenses_citations_and_load_call(exported, rows):
    _, body = front_matter(exported / "README.md")
    n_arc = sum(r["source"] == "arc_challenge" for r in rows["records"])
    assert 'load_dataset("<your-hf-username>/arc_gsm8k", "records", split="train")' in body
    assert (
        f"| `records` (default) | {len(rows['records'])} | records | test | " in body
    )  # the one config table
    assert f"| `stem` | {n_arc} | {n_arc} | {n_arc} |" in body  # category table: records, mcq, open
    assert "| `math` | 40 | 0 | 40 |" in body
    assert f"| `arc_challenge` | `cc-by-sa-4.0` | {n_arc} | {n_arc} | {n_arc} |" in body
    assert "| `gsm8k` | `mit` | 40 | 0 | 40 |" in body
    assert "eprint        = {2504.13941}" in body and ARC_CITATION in body and GSM8K_CITATION in body
    assert "[!WARNING]" not in body  # no non-commercial source
    assert "| `prompt` | `list<{content: string, role: string}>` | `mcq`, `open` |" in body


def test_non_commercial_banner_is_first_in_the_body(tmp_path):
    gsm = [r.to_dict() for r in gsm8k_records()[:5]]
    folder = export(
        tmp_path / "nc",
        {"records": gsm},
        card(licenses=["mit"], non_commercial_sources=["natural_reasoning"]),
    )
    _, body = front_matter(folder / "README.md")
    assert body.lstrip().startswith("> [!WARNING]")
    assert "`natural_reasoning`" in body.split("\n# ")[0]


def test_non_commercial_license_in_rows_adds_banner_and_license(tmp_path):
    record = gsm8k_records()[0]
    record.provenance = {"dataset": "facebook/natural_reasoning", "license": "cc-by-nc-4.0"}
    folder = export(tmp_path / "nc", {"records": [record]}, card(licenses=["mit"]))
    meta, body = front_matter(folder / "README.md")
    assert meta["license"] == ["mit", "cc-by-nc-4.0"]
    assert body.lstrip().startswith("> [!WARNING]") and "cc-by-nc-4.0" in body.split("\n# ")[0]


def test_license_rule_and_size_categories():
    assert license_metadata(["mit"]) == {"license": "mit"}
    assert license_metadata(["mit", "cc-by-sa-4.0", "mit"]) == {"license": ["mit", "cc-by-sa-4.0"]}
    assert license_metadata(["mit", "MAA terms"]) == {
        "license": "other",
        "license_name": "crossthink-mixed-sources",
        "license_link": "LICENSE.md",
    }
    assert [size_category(n) for n in (1, 999, 1000, 99_999, 100_000, 2_500_000)] == [
        "n<1K",
        "n<1K",
        "1K<n<10K",
        "10K<n<100K",
        "100K<n<1M",
        "1M<n<10M",
    ]


def test_non_hub_license_writes_license_file(tmp_path):
    record = gsm8k_records()[0]
    record.provenance = {"license": "maa-terms"}
    folder = export(tmp_path / "other", {"records": [record]}, card(licenses=["maa-terms"]))
    meta, _ = front_matter(folder / "README.md")
    assert meta["license"] == "other" and meta["license_link"] == "LICENSE.md"
    assert "| `gsm8k` | `maa-terms` | 1 |" in (folder / "LICENSE.md").read_text()


# ---- resharding and extra columns --------------------------------------------------------------


def test_reshard_parquet_files_in_place(tmp_path, rows):
    folder = export(tmp_path / "s", {"open": rows["open"]}, card(), rows_per_shard=50)
    old = sorted((folder / "data" / "open").glob("*.parquet"))
    assert [p.name for p in old] == ["train-00000-of-00002.parquet", "train-00001-of-00002.parquet"]
    export(folder, {"open": old}, card(), rows_per_shard=20)  # the repo's own shards, read before the swap
    total = math.ceil(len(rows["open"]) / 20)
    new = sorted((folder / "data" / "open").glob("*.parquet"))
    assert [p.name for p in new] == [f"train-{i:05d}-of-{total:05d}.parquet" for i in range(total)]
    table = pa.concat_tables(pq.read_table(p) for p in new)
    assert table["id"].to_pylist() == [r["id"] for r in rows["open"]]
    assert table.schema.remove_metadata().equals(features(True).arrow_schema.remove_metadata())


def test_curation_columns_are_kept_typed(tmp_path, rows):
    scored = [dict(r, pass_rate=None if i == 0 else i / 8) for i, r in enumerate(rows["mcq"][:5])]
    folder = export(tmp_path / "c", {"mcq": scored}, card())
    dataset = load(folder, "mcq", tmp_path)
    assert dataset.features["pass_rate"].dtype == "float64"
    assert dataset["pass_rate"] == [None, 0.125, 0.25, 0.375, 0.5]


# ---- bad input -------------------------------------------------------------------------------------


def test_bad_inputs_give_clear_errors(tmp_path, rows):
    out = tmp_path / "bad"
    with pytest.raises(ExportError, match="a repo needs configs with distinct names"):
        export(out, {}, card())
    with pytest.raises(ExportError, match=r"invalid config name\(s\) \['op en'\]"):
        export(out, {"op en": rows["open"]}, card())
    with pytest.raises(ExportError, match="rows_per_shard must be a positive integer"):
        export(out, {"open": rows["open"]}, card(), rows_per_shard=0)
    with pytest.raises(ExportError, match="config 'open' has no rows"):
        export(out, {"open": []}, card())
    with pytest.raises(ExportError, match="declared not templated but its rows carry template column"):
        export(out, {"records": rows["mcq"]}, card())
    with pytest.raises(ValueError, match="licenses must list"):
        card(licenses=[])
    assert not out.exists()


@pytest.mark.parametrize(
    "change,message",
    [
        (
            {"options": "A. yes B. no"},
            r"row 3 \(id '[0-9a-f]+'\) column 'options' = 'A. yes B. no' does not fit",
        ),
        ({"domain": "physics"}, r"row 3 .* column 'domain' = 'physics' is not one of \('gpr', 'math'\)"),
        ({"question": "  "}, r"row 3 .* column 'question' = '  ' is empty or missing"),
        ({"prompt": []}, r"row 3 .* column 'prompt' = \[\] is empty or missing"),
    ],
)
def test_rows_failing_the_schema_name_row_and_column(tmp_path, rows, change, message):
    bad = [dict(r) for r in rows["mcq"][:6]]
    bad[3].update(change)
    with pytest.raises(ExportError, match=message):
        export(tmp_path / "bad", {"mcq": bad}, card())


def test_failed_export_leaves_previous_export_intact(tmp_path, rows):
    folder = export(tmp_path / "keep", {"records": rows["records"]}, card())
    before = sorted(p.name for p in (folder / "data" / "records").iterdir())
    bad = [dict(r) for r in rows["records"]]
    bad[-1]["category"] = "sports"
    with pytest.raises(ExportError, match="'sports' is not one of"):
        export(folder, {"records": bad}, card(), rows_per_shard=10)
    assert sorted(p.name for p in (folder / "data" / "records").iterdir()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep"]  # no staging folder left


# ---- push ------------------------------------------------------------------------------------------


class FakeHub:
    """A loopback server answering the Hub HTTP API calls `HfApi.create_repo`, `create_branch` and
    `upload_folder` make (repos/create, branch, validate-yaml, preupload, commit), recording every request.

    It answers every preupload with uploadMode "regular", so files travel base64 inside the commit
    payload; the real Hub would send parquet and PNG files through Xet/LFS storage, a binary protocol
    this fake does not speak. Everything else above the HTTP boundary is the real huggingface_hub.
    ``commits_before_failing``: that many commits succeed, every later one fails (an interrupted push).
    Pull requests (``discussions``) answer as the Hub does for a new draft PR number 1.
    """

    def __init__(self, fail_commit: bool = False, commits_before_failing: int | None = None) -> None:
        self.requests: list[dict] = []
        self.fail_commit = fail_commit
        self.commits_before_failing = commits_before_failing
        self.accepted: list[list[str]] = []  # paths of every successful commit
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                hub.requests.append({"path": self.path, "headers": headers, "body": body})
                status, payload = hub.answer(self.path, body, headers)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST

            def log_message(self, *args) -> None:  # keep test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, path: str, body: bytes, headers: dict) -> tuple[int, dict]:
        if path == "/api/repos/create":
            request = json.loads(body)
            return 200, {"url": f"{self.url}/datasets/{request['organization']}/{request['name']}"}
        if path == "/api/validate-yaml":  # upload_folder has the Hub check a README's metadata first
            request = json.loads(body)
            try:
                yaml.safe_load(request["content"].split("---\n")[1])
            except (yaml.YAMLError, IndexError) as err:
                return 400, {"errors": [{"message": str(err)}]}
            return 200, {"errors": [], "warnings": []}
        if re.match(r"^/api/datasets/[^/]+/[^/]+/branch/", path):
            return 200, {}
        if re.match(r"^/api/datasets/[^/]+/[^/]+/preupload/", path):
            files = json.loads(body)["files"]
            return 200, {
                "files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files]
            }
        match = re.match(r"^/api/datasets/([^/]+/[^/]+)/discussions(/1)?", path)
        if match:
            details = {
                "num": 1,
                "title": "upload",
                "status": "draft",
                "createdAt": "2025-01-01T00:00:00.000Z",
                "repo": {"name": match.group(1), "type": "dataset"},
                "isPullRequest": True,
                "events": [],
                "changes": {"base": "main"},
                "filesWithConflicts": [],
            }
            return 200, details if match.group(2) else {"num": 1}
        match = re.match(r"^/api/datasets/([^/]+/[^/]+)/commit/", path)
        if match:
            if self.fail_commit:  # worst case: the error body echoes the credentials back
                return 403, {"error": f"forbidden for {headers.get('authorization')}"}
            if self.commits_before_failing is not None and len(self.accepted) >= self.commits_before_failing:
                return 403, {"error": "the connection broke"}
            self.accepted.append([line["value"]["path"] for line in commit_lines(body)[1:]])
            answer = {
                "commitUrl": f"{self.url}/datasets/{match.group(1)}/commit/abc123",
                "commitOid": "abc123",
            }
            if "create_pr=1" in path:
                answer["pullRequestUrl"] = f"{self.url}/datasets/{match.group(1)}/discussions/1"
            return 200, answer
        return 404, {"error": f"unexpected call {path}"}

    def calls(self, kind: str) -> list[dict]:
        return [r for r in self.requests if f"/{kind}" in r["path"]]

    def close(self) -> None:
        self.server.shutdown()


def commit_lines(body: bytes) -> list[dict]:
    """A commit payload (NDJSON): the header line, then one line per file."""
    return [json.loads(line) for line in body.decode().splitlines()]


@pytest.fixture
def online(monkeypatch):
    """The suite runs with HF_HUB_OFFLINE=1; push tests only ever talk to the loopback server."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def small_export(tmp_path) -> Path:
    rows = [r.to_dict() for r in arc_records()[:8]]
    return export(
        tmp_path / "arc_small",
        {"records": rows, "mcq": [render(QARecord.from_dict(r), "mcq") for r in rows]},
        card(),
    )


def test_push_uploads_folder_in_one_commit(online, small_export, caplog, capfd):
    """Fakes the Hub's HTTP API with a loopback server (see FakeHub): checks repo creation with the
    private flag, the branch, one commit holding every file, and the token in Authorization only."""
    from huggingface_hub.utils import logging as hf_logging

    hub = FakeHub()
    hf_logging.set_verbosity_debug()
    caplog.set_level(logging.DEBUG)
    try:
        url = push_folder(
            small_export, "crossthink-test/arc", private=True, revision="v1", token=TOKEN, endpoint=hub.url
        )
    finally:
        hf_logging.set_verbosity_warning()
        hub.close()
    assert url == f"{hub.url}/datasets/crossthink-test/arc/commit/abc123"
    create = hub.calls("repos/create")
    assert [json.loads(c["body"]) for c in create] == [
        {"name": "arc", "organization": "crossthink-test", "visibility": "private", "type": "dataset"}
    ]
    assert [c["path"] for c in hub.calls("branch")] == ["/api/datasets/crossthink-test/arc/branch/v1"]
    assert [json.loads(c["body"])["repoType"] for c in hub.calls("api/validate-yaml")] == ["dataset"]
    assert all(
        c["path"].startswith("/api/datasets/crossthink-test/arc/preupload/v1") for c in hub.calls("preupload")
    )
    commits = hub.calls("commit")
    assert len(commits) == 1 and commits[0]["path"].startswith("/api/datasets/crossthink-test/arc/commit/v1")
    lines = [json.loads(line) for line in commits[0]["body"].decode().splitlines()]
    assert lines[0]["key"] == "header" and lines[0]["value"]["summary"].startswith("Upload arc_small")
    sent = {item["value"]["path"]: base64.b64decode(item["value"]["content"]) for item in lines[1:]}
    local = {
        p.relative_to(small_export).as_posix(): p.read_bytes()
        for p in small_export.rglob("*")
        if p.is_file() and p.name != MARKER  # the ownership marker is never uploaded
    }
    assert sent == local and "data/mcq/train-00000-of-00001.parquet" in sent
    assert b'load_dataset("crossthink-test/arc", "records"' in sent["README.md"]  # placeholder replaced
    assert all(r["headers"].get("authorization") == f"Bearer {TOKEN}" for r in hub.requests)
    out, err = capfd.readouterr()
    assert "crossthink-test/arc" in caplog.text  # the logs were captured...
    assert TOKEN not in caplog.text + out + err  # ...and never show the token


def test_push_error_never_shows_the_token(online, small_export, caplog, capfd):
    """Fakes the Hub's HTTP API (see FakeHub); its commit answers 403 and echoes the credentials."""
    hub = FakeHub(fail_commit=True)
    caplog.set_level(logging.DEBUG)
    try:
        with pytest.raises(PushError, match="403") as error:
            push_folder(small_export, "crossthink-test/arc", token=TOKEN, endpoint=hub.url)
    finally:
        hub.close()
    assert TOKEN not in str(error.value) and "***" in str(error.value)
    assert error.value.__cause__ is None and error.value.__suppress_context__
    out, err = capfd.readouterr()
    assert TOKEN not in caplog.text + out + err


@pytest.mark.parametrize("large", [False, True])
def test_a_failed_push_leaves_the_local_folder_unchanged(online, small_export, large):
    """Fakes the Hub's HTTP API (see FakeHub, loopback only); every commit fails. Before: the card's
    placeholder repo id was rewritten in the local README.md although nothing reached the Hub."""
    readme = small_export / "README.md"
    before = readme.read_bytes()
    assert b"<your-hf-username>/" in before  # the placeholder a successful push replaces
    files = {p: p.read_bytes() for p in small_export.rglob("*") if p.is_file()}
    hub = FakeHub(commits_before_failing=0)
    try:
        with pytest.raises(PushError):
            push_folder(small_export, "crossthink-test/arc", token=TOKEN, endpoint=hub.url, large=large)
    finally:
        hub.close()
    assert readme.read_bytes() == before
    after = {p: p.read_bytes() for p in small_export.rglob("*") if p.is_file() and ".cache" not in p.parts}
    assert after == files


def test_push_cli_token_from_environment_and_errors(online, small_export, monkeypatch, tmp_path):
    """Fakes the Hub's HTTP API (see FakeHub) for the one successful CLI push."""
    from huggingface_hub import constants
    from typer.testing import CliRunner

    from crossthink_data.cli import app

    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no_saved_token"))
    runner = CliRunner()
    result = runner.invoke(app, ["push", str(small_export), "crossthink-test/arc"])
    assert result.exit_code == 1 and "no Hugging Face token: set HF_TOKEN" in result.output

    (tmp_path / "empty").mkdir()
    result = runner.invoke(
        app, ["push", str(tmp_path / "empty"), "crossthink-test/arc"], env={"HF_TOKEN": TOKEN}
    )
    assert result.exit_code == 1 and "has no README.md dataset card" in result.output
    (tmp_path / "card_only").mkdir()
    (tmp_path / "card_only" / "README.md").write_text((small_export / "README.md").read_text())
    result = runner.invoke(
        app, ["push", str(tmp_path / "card_only"), "crossthink-test/arc"], env={"HF_TOKEN": TOKEN}
    )
    assert result.exit_code == 1 and "has no data/ folder" in result.output

    hub = FakeHub()
    try:
        result = runner.invoke(
            app,
            ["push", str(small_export), "crossthink-test/arc", "--revision", "v2"],
            env={"HF_TOKEN": TOKEN, "HF_ENDPOINT": hub.url},
        )
    finally:
        hub.close()
    assert result.exit_code == 0, result.output
    assert f"{hub.url}/datasets/crossthink-test/arc/commit/abc123" in result.output
    assert [json.loads(c["body"])["visibility"] for c in hub.calls("repos/create")] == ["public"]
    assert len(hub.calls("commit")) == 1 and "/commit/v2" in hub.calls("commit")[0]["path"]
    assert TOKEN not in result.output


def test_push_refuses_offline_mode(small_export, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(PushError, match="HF_HUB_OFFLINE is set"):
        push_folder(small_export, "crossthink-test/arc", token=TOKEN)


# ---- pushing a whole repo: one commit, a pull request, a large resumable upload ----------------------


def test_push_can_open_a_pull_request_in_one_commit(online, small_export):
    """Fakes the Hub's HTTP API (see FakeHub)."""
    hub = FakeHub()
    try:
        url = push_folder(small_export, "crossthink-test/arc", token=TOKEN, endpoint=hub.url, create_pr=True)
    finally:
        hub.close()
    assert url == f"{hub.url}/datasets/crossthink-test/arc/discussions/1"
    commits = hub.calls("commit")  # huggingface_hub opens the PR, then commits once to refs/pr/1
    assert len(commits) == 1 and commits[0]["path"].startswith(
        "/api/datasets/crossthink-test/arc/commit/refs%2Fpr%2F1"
    )
    assert [json.loads(c["body"])["pullRequest"] for c in hub.calls("discussions") if c["body"]] == [True]
    local = {
        p.relative_to(small_export).as_posix()
        for p in small_export.rglob("*")
        if p.is_file() and p.name != MARKER  # the ownership marker is never uploaded
    }
    assert set(hub.accepted[0]) == local


@pytest.fixture
def many_shards(tmp_path) -> Path:
    """An exported folder of 85 files (one row per shard): above the first commit size of
    upload_large_folder (50 files), so an interrupted upload has committed part of it."""
    rows = [r.to_dict() for r in arc_records()]
    folder = export(
        tmp_path / "arc_many",
        {"records": rows, "mcq": [render(QARecord.from_dict(r), "mcq") for r in rows]},
        card(),
        rows_per_shard=1,
    )
    return folder


def test_large_push_is_resumable_after_an_interruption(online, many_shards):
    """Fakes the Hub's HTTP API (see FakeHub): the first push breaks after one commit; the same push
    again uploads the rest, never a file twice, and the two pushes together hold every file."""
    files = {
        p.relative_to(many_shards).as_posix()
        for p in many_shards.rglob("*")
        if p.is_file() and p.name != MARKER  # the ownership marker is never uploaded
    }
    assert len(files) > 50
    broken = FakeHub(commits_before_failing=1)
    try:
        with pytest.raises(PushError, match="re-run the same command to resume"):
            push_folder(
                many_shards,
                "crossthink-test/arc",
                token=TOKEN,
                endpoint=broken.url,
                large=True,
                num_workers=1,
            )
    finally:
        broken.close()
    first = [p for commit in broken.accepted for p in commit]
    assert 0 < len(first) < len(files)
    assert (many_shards / ".cache" / "huggingface").is_dir()  # the upload's progress, kept for the rerun
    healthy = FakeHub()
    try:
        url = push_folder(
            many_shards, "crossthink-test/arc", token=TOKEN, endpoint=healthy.url, large=True, num_workers=1
        )
    finally:
        healthy.close()
    second = [p for commit in healthy.accepted for p in commit]
    assert url == f"{healthy.url}/datasets/crossthink-test/arc/tree/main"
    # A failed push gives the local card back its placeholder (the folder is left as it was), so the
    # resumed push sends the card again, the same bytes; no other file goes twice.
    assert set(first) & set(second) <= {"README.md"}
    assert len(second) == len(set(second)) and len(first) == len(set(first))
    assert set(first) | set(second) == files  # .cache/ never uploaded


def test_large_push_to_a_pull_request(online, small_export):
    """Fakes the Hub's HTTP API (see FakeHub): the PR is opened, then the folder goes to refs/pr/1."""
    hub = FakeHub()
    try:
        url = push_folder(
            small_export,
            "crossthink-test/arc",
            token=TOKEN,
            endpoint=hub.url,
            large=True,
            create_pr=True,
            num_workers=1,
        )
    finally:
        hub.close()
    assert url.endswith("/datasets/crossthink-test/arc/discussions/1")
    assert [json.loads(c["body"])["pullRequest"] for c in hub.calls("discussions") if c["body"]] == [True]
    commits = [c for c in hub.calls("commit") if "/commit/" in c["path"]]
    assert commits and all("/commit/refs%2Fpr%2F1" in c["path"] for c in commits)


def test_push_chooses_large_upload_above_the_thresholds(monkeypatch, online, small_export):
    from crossthink_data.hub import push

    chosen = []
    monkeypatch.setattr(push, "_push_large", lambda *args: chosen.append("large") or "url")
    hub = FakeHub()
    try:
        push_folder(small_export, "crossthink-test/arc", token=TOKEN, endpoint=hub.url)
        monkeypatch.setattr(push, "LARGE_FOLDER_FILES", 3)
        push_folder(small_export, "crossthink-test/arc", token=TOKEN, endpoint=hub.url)
    finally:
        hub.close()
    assert chosen == ["large"] and len(hub.calls("commit")) == 1
