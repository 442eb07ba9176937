"""Output ownership (issue 18, finding 1): a command writes only into a folder that is new, empty or
its own; the user's files are never deleted, and `.`, a home folder, a `.git` folder and a file are
refused before any work."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from crossthink_data.cli import app
from crossthink_data.hub import ParquetSelection, RepoConfig, export_repo
from crossthink_data.ownership import MARKER, OwnershipError, claim, read_marker
from crossthink_data.record import arrow_schema
from crossthink_data.templates import render
from tests.helpers.records import arc_record, math_record

QUICK_BUILD = ["build", "demo", "--set", "mine=null", "--set", "blends=[crossthink]"]


def lines_of(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.strip()]


def test_build_into_a_folder_with_user_files_stops_before_any_work(tmp_path: Path, monkeypatch) -> None:
    """Before: `build --output d` exited 0 and my_notes.txt was gone."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "my_notes.txt").write_text("keep\n")
    result = CliRunner().invoke(app, [*QUICK_BUILD, "--output", str(folder)])
    lines = lines_of(result)
    assert result.exit_code == 1 and len(lines) == 1, result.output
    assert "my_notes.txt" in lines[0] and "--overwrite" in lines[0]
    assert (folder / "my_notes.txt").read_text() == "keep\n"
    assert sorted(p.name for p in folder.iterdir()) == ["my_notes.txt"]  # nothing written
    assert not (tmp_path / "_work").exists()  # no stage ran


@pytest.mark.parametrize("place", ["cwd", "home", "git", "file"])
def test_build_refuses_the_current_folder_home_git_and_a_file(
    place: str, tmp_path: Path, monkeypatch
) -> None:
    """Before: `--output .` deleted the project's files, then failed with [Errno 2]; `--output FILE`
    replaced the file with the repo. Refused even with --overwrite."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "notes.md").write_text("mine\n")
    monkeypatch.chdir(project)
    monkeypatch.setenv("HOME", str(project) if place == "home" else str(tmp_path / "elsewhere"))
    if place == "git":
        (project / ".git").mkdir()
    target = {"cwd": ".", "home": str(project), "git": str(project), "file": str(project / "notes.md")}[place]
    result = CliRunner().invoke(app, [*QUICK_BUILD, "--output", target, "--overwrite"])
    lines = lines_of(result)
    assert result.exit_code == 1 and len(lines) == 1, result.output
    expected = {"cwd": "current folder", "home": "home folder", "git": ".git", "file": "is a file"}[place]
    assert expected in lines[0]
    assert (project / "notes.md").read_text() == "mine\n"
    assert sorted(p.name for p in project.iterdir()) == sorted(
        ["notes.md", *([".git"] if place == "git" else [])]
    )


def test_dedup_output_with_a_foreign_shard_is_refused(tmp_path: Path) -> None:
    """Before: `dedup -o` into a folder holding a foreign shard counted it as input ("rows in 340"
    from 40 rows). Now refused; with --overwrite too when the shard lies in the stage folder, where
    dedup writes (``WORK/curation/2_dedup/data``)."""
    source = tmp_path / "in"
    source.mkdir()
    (source / "rows.jsonl").write_text(json.dumps(render(arc_record(), "mcq")) + "\n")
    out = tmp_path / "out"
    shard_dir = out / "curation" / "2_dedup" / "data"
    shard_dir.mkdir(parents=True)
    pq.write_table(pa.table({"x": [1, 2, 3]}), shard_dir / "00000.parquet")
    for extra in ([], ["--overwrite"]):
        result = CliRunner().invoke(app, ["dedup", "-i", str(source), "-o", str(out), *extra])
        lines = lines_of(result)
        assert result.exit_code == 1 and len(lines) == 1, result.output
        assert "curation/2_dedup/data/00000.parquet" in lines[0] and "--overwrite" in lines[0]
    assert sorted(p.name for p in out.rglob("*")) == ["00000.parquet", "2_dedup", "curation", "data"]
    (shard_dir / "00000.parquet").rename(out / "theirs.parquet")
    shutil.rmtree(out / "curation")
    result = CliRunner().invoke(app, ["dedup", "-i", str(source), "-o", str(out), "--overwrite"])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "curation" / "2_dedup" / "report.json").read_text())
    assert report["rows_in"] == 1 and report["kept"] == 1  # the shard beside the output is not read
    assert pq.read_table(out / "theirs.parquet").to_pydict() == {"x": [1, 2, 3]}
    assert read_marker(out)["kept"] == ["theirs.parquet"]


def _configs(tmp_path: Path, names: list[str]) -> list[RepoConfig]:
    """One tiny parquet file of templated rows per config."""
    configs = []
    for i, name in enumerate(names):
        rows = [render(arc_record(), "mcq"), render(math_record(str(i + 2)), "open")]
        path = tmp_path / f"{name}.parquet"
        pq.write_table(pa.Table.from_pylist(rows, schema=arrow_schema(templated=True)), path)
        configs.append(RepoConfig(name, ParquetSelection((str(path),)), "templated", name, "mcq + open"))
    return configs


def _card(folder: Path, stats) -> None:
    (folder / "README.md").write_text("---\nconfigs: []\n---\ncard\n")


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_export_repo_keeps_the_users_files_and_removes_only_its_own(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "my_notes.txt").write_text("keep\n")
    with pytest.raises(OwnershipError, match="my_notes.txt.*--overwrite"):
        export_repo(repo, _configs(tmp_path, ["a"]), _card)
    assert _files(repo) == {"my_notes.txt"}
    claim(repo, "build", overwrite=True, writes=("README.md", "data"))  # what `build --overwrite` does
    export_repo(repo, _configs(tmp_path, ["a", "b"]), _card)
    assert {"my_notes.txt", "README.md", MARKER, "data/a/train-00000-of-00001.parquet"} <= _files(repo)
    (repo / "later.txt").write_text("dropped in after the first export\n")
    export_repo(repo, _configs(tmp_path, ["a"]), _card)  # config b is gone: only its files go
    files = _files(repo)
    assert {"my_notes.txt", "later.txt", "README.md", "data/a/train-00000-of-00001.parquet"} <= files
    assert not any(f.startswith("data/b") for f in files) and not (repo / "data" / "b").exists()
    assert (repo / "my_notes.txt").read_text() == "keep\n"
    marker = json.loads((repo / MARKER).read_text())
    assert marker["kept"] == ["later.txt", "my_notes.txt"]  # known as the user's now
    assert (
        marker["tool"] == "crossthink-data" and marker["repo"] == "repo" and marker["command"] == "build"
    )  # known as the user's now


def test_export_to_remote_storage_removes_only_what_it_wrote() -> None:
    """Before: the remote publish deleted every file it had not just written."""
    import fsspec

    from crossthink_data import storage

    fs = fsspec.filesystem("memory")
    root = "memory://ownership-test/repo"
    storage.write_text(f"{root}/my_notes.txt", "keep\n")
    claim(root, "build", overwrite=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            export_repo(root, _configs(Path(tmp), ["a", "b"]), _card)
            export_repo(root, _configs(Path(tmp), ["a"]), _card)
        names = set(storage.file_sizes(root))
        assert "my_notes.txt" in names and "README.md" in names
        assert not any(n.startswith("data/b") for n in names) and any(n.startswith("data/a/") for n in names)
        assert storage.read_text(f"{root}/my_notes.txt") == "keep\n"
    finally:
        fs.rm("/ownership-test", recursive=True)


def test_a_refused_run_leaves_no_output_folder(tmp_path: Path) -> None:
    """The claim creates and marks the folder before any work; a check after it that stops the
    command (here: a missing input) takes the empty folder away again."""
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["dedup", "-i", str(tmp_path / "missing"), "-o", str(out)])
    assert result.exit_code != 0
    assert not out.exists()
