"""Typed settings checked before any work: one loader (config.from_dict) reads every recipe section
into its dataclass and checks each value against the field's type hint and bounds; the commands'
flags are the same fields. Each wrong value below was accepted before (or failed late with a
traceback); now it is one line naming the key and the fix, and nothing is written.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from crossthink_data.config import ConfigError, check_value, from_dict
from crossthink_data.curation.build import BuildConfig, DecontStage, MineSettings
from crossthink_data.curation.decont import DecontSettings
from crossthink_data.curation.dedup import DedupSettings
from crossthink_data.curation.difficulty import DifficultySettings
from crossthink_data.mining.generation import default_generation
from crossthink_data.mining.pipeline import MinerConfig
from tests.helpers.paths import REPO_ROOT, TEST_DATA

GSM8K = REPO_ROOT / "crossthink_data" / "demo_data" / "gsm8k"
BENCHMARKS = REPO_ROOT / "crossthink_data" / "curation" / "demo_benchmarks"


def _cli(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crossthink_data.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


def _one_error_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def _recipe(folder: Path, **keys) -> Path:
    path = folder / "recipe.yaml"
    path.write_text(yaml.safe_dump({"sources": [{"name": "gsm8k", "from_dir": str(GSM8K)}], **keys}))
    return path


# --- the loader: type hints and bounds ---------------------------------------------------------


@pytest.mark.parametrize(
    ("hint", "value", "message"),
    [
        (bool, "no", "must be true or false (a YAML boolean), got 'no' (a string)"),
        (bool, 1, "must be true or false"),
        (int, "10", "must be an integer (unquoted), got '10' (a string)"),
        (int, True, "must be an integer"),
        (float, "0.5", "must be a number (unquoted)"),
        (str, 3, "must be a string, got 3 (an integer)"),
        (list[str], "mcq", "must be a list"),
    ],
)
def test_a_value_of_the_wrong_type_names_the_key_and_the_type(hint, value, message) -> None:
    with pytest.raises(ConfigError) as err:
        check_value(hint, value, "recipe r.yaml: key")
    assert str(err.value).startswith("recipe r.yaml: key: ") and message in str(err.value)


def test_values_of_the_right_type_pass_and_are_converted() -> None:
    assert check_value(float, 1, "k") == 1.0 and isinstance(check_value(float, 1, "k"), float)
    assert check_value(tuple[str, ...], ["a", "b"], "k") == ("a", "b")
    assert check_value(int | None, None, "k") is None
    assert check_value(bool, False, "k") is False


def test_bounds_come_from_field_metadata() -> None:
    with pytest.raises(ConfigError, match=r"^d\.min_overlap: must be within \[0\.0, 1\.0\], got -3\.0$"):
        from_dict(DecontSettings, {"min_overlap": -3}, "d")
    with pytest.raises(ConfigError, match=r"^d\.n_grams: must be at least 3, got 2$"):
        from_dict(DecontSettings, {"n_grams": 2}, "d")
    assert from_dict(DecontSettings, {"min_overlap": 0}, "d").min_overlap == 0.0


def test_null_means_the_default_and_choices_are_checked() -> None:
    assert from_dict(DedupSettings, {"trust_order": None}, "d") == DedupSettings()
    with pytest.raises(
        ConfigError, match=r"executor: must be one of \['local', 'slurm', 'ray'\], got 'slurmm'"
    ):
        BuildConfig.from_dict({"sources": ["gsm8k"], "executor": "slurmm"})
    with pytest.raises(ConfigError, match=r"templates\[0\]: must be one of \['mcq', 'open'\], got 'mqc'"):
        BuildConfig.from_dict({"sources": ["gsm8k"], "templates": ["mqc"]})


# --- the recipe: every section typed ------------------------------------------------------------


def test_every_section_is_read_into_its_dataclass() -> None:
    config = BuildConfig.from_dict(
        {
            "sources": ["gsm8k"],
            "mine": {"input": "pages", "limit": 3, "generation": {"endpoint_url": "http://h/v1"}},
            "decontaminate": {"benchmarks": str(BENCHMARKS), "keep_numbers": False},
            "dedup": {"near": False},
            "difficulty": {"samples": 4, "generation": {"model": "m", "endpoint_url": "http://h/v1"}},
        }
    )
    assert isinstance(config.mine, MineSettings) and config.mine.limit == 3
    miner = default_generation()  # the recipe's keys over the miner's defaults
    assert config.mine.generation == dataclasses.replace(miner, endpoint_url="http://h/v1")
    assert isinstance(config.decontaminate, DecontSettings) and config.decontaminate.keep_numbers is False
    assert config.dedup == DedupSettings(near=False)
    assert isinstance(config.difficulty, DifficultySettings) and config.difficulty.samples == 4


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"commercial_only": "no"}, "commercial_only: must be true or false (a YAML boolean), got 'no'"),
        (
            {"decontaminate": {"benchmarks": str(BENCHMARKS), "min_overlap": -3}},
            "decontaminate.min_overlap: must be within [0.0, 1.0], got -3.0",
        ),
        ({"mine": {"input": "p", "limit": -7}}, "mine.limit: must be at least -1, got -7"),
        ({"mine": {"input": "p", "limit": "10"}}, "mine.limit: must be an integer (unquoted), got '10'"),
        (
            {"sources": [{"name": "gsm8k", "limit": "10"}]},
            "sources[0].limit: must be an integer (unquoted), got '10'",
        ),
        (
            {"blends": ["natural"], "default_blend": "crossthink"},
            "default_blend: 'crossthink' is not one of the recipe's blends ['natural']",
        ),
        ({"blends": ["crosthink"]}, "blends: "),
        ({"difficulty": {"samples": 0, "generation": {"model": "m"}}}, "difficulty.samples: must be at least 1"),
        (
            {"decontaminate": {"benchmarks": "./no_such_folder"}},
            "decontaminate.benchmarks: folder ./no_such_folder does not exist",
        ),
        ({"dedup": {"neer": True}}, "dedup: unknown key(s) ['neer']; allowed: ["),
    ],
    ids=[
        "bool-string", "min_overlap", "mine-limit", "mine-limit-str", "source-limit-str", "default_blend",
        "unknown-blend", "samples", "benchmarks-folder", "nested-typo",
    ],
)  # fmt: skip
def test_a_wrong_recipe_value_is_one_line_naming_the_key(keys, message, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        BuildConfig.load(_recipe(tmp_path, **keys))
    text = str(err.value)
    assert "\n" not in text and text.startswith(f"recipe {tmp_path / 'recipe.yaml'}: ")
    assert message in text


def test_a_typo_inside_dedup_stops_build_at_once_and_writes_nothing(tmp_path: Path) -> None:
    """The done-when of "typed settings": one line, under 2 s of work, an empty folder afterwards."""
    recipe = _recipe(tmp_path, dedup={"neer": True}, decontaminate={"benchmarks": str(BENCHMARKS)})
    before = set(tmp_path.rglob("*"))
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    result = _cli("build", str(recipe), "-o", "out", cwd=tmp_path)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = _one_error_line(result)
    assert line == (
        f"error: recipe {recipe}: dedup: unknown key(s) ['neer']; allowed: ['hashes_per_bucket', "
        "'max_rejected', 'n_grams', 'near', 'num_buckets', 'seed', 'tokenizer', 'trust_order']"
    )
    assert set(tmp_path.rglob("*")) == before  # no out/, no _work/, no log
    cpu = (after.ru_utime - used.ru_utime) + (after.ru_stime - used.ru_stime)
    assert cpu < 2.0, f"{cpu:.2f} s of CPU"  # (wall time depends on the machine's load: {wall:.1f} s)
    assert wall < 20


# --- the commands: flags are the settings' fields -----------------------------------------------


def test_build_flags_are_checked_with_the_recipe(tmp_path: Path) -> None:
    recipe = _recipe(tmp_path)
    line = _one_error_line(_cli("build", str(recipe), "-o", "out", "--executor", "slurmm", cwd=tmp_path))
    assert "executor: must be one of ['local', 'slurm', 'ray'], got 'slurmm'" in line
    line = _one_error_line(_cli("build", str(recipe), "-o", "out", "--set", "dedup.near=maybe", cwd=tmp_path))
    assert "dedup.near: must be true or false (a YAML boolean), got 'maybe'" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["recipe.yaml"]


@pytest.mark.parametrize(
    ("path_dir", "message"),
    [
        (None, "error: --executor slurm: sbatch/scontrol are not on PATH"),
        ("down", "error: --executor slurm: no Slurm controller answers `scontrol ping` (Slurmctld(primary) at h is DOWN)"),
    ],
    ids=["no-slurm", "controller-down"],
)  # fmt: skip
def test_slurm_without_a_controller_is_one_line_before_any_work(path_dir, message, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if path_dir:
        (bin_dir / "sbatch").write_text("#!/bin/sh\nexit 1\n")
        (bin_dir / "scontrol").write_text("#!/bin/sh\necho 'Slurmctld(primary) at h is DOWN'\nexit 1\n")
        for tool in bin_dir.iterdir():
            tool.chmod(0o755)
    env = {"PATH": f"{bin_dir}:{Path(sys.executable).parent}:/usr/bin:/bin"}
    env["PATH"] = ":".join(
        p for p in env["PATH"].split(":") if not (Path(p) / "sbatch").exists() or p == str(bin_dir)
    )
    work = tmp_path / "w"
    work.mkdir()
    line = _one_error_line(
        _cli("build", str(_recipe(work)), "-o", "out", "--executor", "slurm", cwd=work, env=env)
    )
    assert line.startswith(message)
    assert sorted(p.name for p in work.iterdir()) == ["recipe.yaml"]


def test_stage_commands_take_the_shared_executor_and_check_it(tmp_path: Path) -> None:
    pool = TEST_DATA / "train" / "crossthink_sample" / "data" / "mcq"
    line = _one_error_line(_cli("dedup", "-i", str(pool), "-o", "o", "--executor", "slurmm", cwd=tmp_path))
    assert line == "error: --executor: must be one of ['local', 'slurm', 'ray'], got 'slurmm'"
    line = _one_error_line(
        _cli("dedup", "-i", str(pool), "-o", "o", "--slurm", "partition=cpu", cwd=tmp_path)
    )
    assert line == "error: --slurm: dedup runs job arrays only with --executor slurm"
    from typer.main import get_command

    from crossthink_data.cli import app

    commands = get_command(app).commands
    for name in ("sources", "mine", "decontaminate", "dedup", "difficulty", "build"):
        assert "executor" in {p.name for p in commands[name].params}, name
    assert not list(tmp_path.iterdir())


def test_a_missing_benchmarks_folder_is_one_line_up_front(tmp_path: Path) -> None:
    pool = TEST_DATA / "train" / "crossthink_sample" / "data" / "mcq"
    result = _cli(
        "decontaminate", "-i", str(pool), "-o", "o", "--benchmarks", "../no_benchmarks", cwd=tmp_path
    )
    assert _one_error_line(result).startswith("error: --benchmarks: folder ../no_benchmarks does not exist;")
    assert not list(tmp_path.iterdir())


def test_a_wrong_value_in_a_command_config_is_one_line(tmp_path: Path) -> None:
    pool = TEST_DATA / "train" / "crossthink_sample" / "data" / "mcq"
    (tmp_path / "d.yaml").write_text(yaml.safe_dump({"near": "no", "input": str(pool), "output": "o"}))
    result = _cli("dedup", "--config", "d.yaml", cwd=tmp_path)
    assert _one_error_line(result) == (
        "error: --config d.yaml: near: must be true or false (a YAML boolean), got 'no' (a string)"
    )
    line = _one_error_line(
        _cli(
            "decontaminate",
            "-i",
            str(pool),
            "-o",
            "o",
            "--benchmarks",
            str(BENCHMARKS),
            "--min-overlap",
            "-3",
            cwd=tmp_path,
        )
    )
    assert line == "error: decontaminate.min_overlap: must be within [0.0, 1.0], got -3.0"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.yaml"]


@pytest.mark.parametrize(
    ("command", "cls"),
    [("decontaminate", DecontStage), ("dedup", DedupSettings), ("difficulty", DifficultySettings), ("mine", MinerConfig)],
)  # fmt: skip
def test_a_command_s_settings_flags_are_its_settings_fields_with_their_defaults(command, cls) -> None:
    """One name and one sense per setting: a flag that sets a stage setting is named as its field
    (so its --config key is the recipe key) and defaults to the field's default. Before,
    decontaminate's --normalise-numbers was keep_numbers with the opposite sense."""
    from crossthink_data.cli import decontaminate, dedup, difficulty, mine

    function = {"decontaminate": decontaminate, "dedup": dedup, "difficulty": difficulty, "mine": mine}[
        command
    ]
    function = getattr(function, command)
    plumbing = {"input", "output", "tasks", "workers", "executor", "config", "limit", "until", "glob", "snapshot",
                "shards", "gpu_tasks", "partition", "gpu_partition", "time", "gpus_per_task", "venv_path", "slurm",
                "api_key_env", "endpoint", "overwrite"}  # fmt: skip
    generation = {f.name for f in dataclasses.fields(default_generation())}
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for name, parameter in inspect.signature(function).parameters.items():
        if name in plumbing or name in generation:
            continue
        assert name in fields, f"{command} --{name.replace('_', '-')} is no field of {cls.__name__}"
        field = fields[name]
        default = field.default if field.default is not dataclasses.MISSING else None
        given = parameter.default if parameter.default is not inspect.Parameter.empty else None
        if default is not None and given is not None and not isinstance(default, tuple):
            assert given == default, (command, name)
    keep = inspect.signature(decontaminate.decontaminate).parameters["keep_numbers"]
    assert keep.default is DecontSettings().keep_numbers


def test_normalise_numbers_is_the_off_switch_of_keep_numbers(tmp_path: Path, monkeypatch) -> None:
    import crossthink_data.curation.decont as decont
    from crossthink_data.cli import app

    seen = []
    monkeypatch.setattr(
        decont, "decontaminate", lambda *a, **k: seen.append(a[3]) or (_ for _ in ()).throw(SystemExit(0))
    )
    pool = str(TEST_DATA / "train" / "crossthink_sample" / "data" / "mcq")
    base = ["decontaminate", "-i", pool, "-o", str(tmp_path / "o"), "--benchmarks", str(BENCHMARKS)]
    for flags in ([], ["--normalise-numbers"], ["--keep-numbers"]):
        CliRunner().invoke(app, base + flags)
    assert [s.keep_numbers for s in seen] == [True, False, True]


def test_a_read_only_output_is_one_line_before_any_work(tmp_path: Path, monkeypatch) -> None:
    """(Root writes anywhere, so the folder's mode is what os.access reports here.)"""
    from crossthink_data.cli import app

    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if str(p) == str(locked) else real_access(p, mode)
    )
    result = CliRunner().invoke(app, ["build", str(_recipe(tmp_path)), "-o", str(locked / "repo")])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"error: --output {locked / 'repo'}: cannot write into {locked} (read-only); choose another folder "
        "or fix its permissions"
    ]
    assert not list(locked.iterdir()) and not (tmp_path / "_work").exists()


def test_the_printed_load_dataset_hint_loads_and_a_percent_encoded_file_url_is_a_path(tmp_path: Path) -> None:
    """``-o file:///.../my%20data/repo`` writes into ``my data/repo`` (RFC 8089), and the printed
    ``load_dataset(...)`` line runs as printed (``datasets`` takes a folder path, not a file:// URL)."""
    import ast
    import re
    from urllib.parse import quote

    from datasets import load_dataset

    folder = tmp_path / "my data"
    recipe = _recipe(tmp_path, templates=["open"], blends=["math_only"], default_blend="math_only")
    url = "file://" + quote(str(folder / "repo"))
    assert "%20" in url
    result = _cli("build", f"file://{quote(str(recipe))}", "-o", url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (folder / "repo" / "README.md").exists() and not (tmp_path / "my%20data").exists()
    hint = re.search(r"load it with: load_dataset\((.*)\)$", result.stdout.strip(), re.M)
    args = ast.literal_eval(f"({hint.group(1)})")
    assert args == (str(folder / "repo"), "blend-math_only")
    rows = load_dataset(*args, split="train")
    assert len(rows) > 0 and set(rows["source"]) == {"gsm8k"}
