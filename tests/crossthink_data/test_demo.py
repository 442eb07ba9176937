"""`make demo` end to end on the shipped real rows: every Hub folder loads with its declared features."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from datasets import Features, load_dataset
from typer.testing import CliRunner

from crossthink_data.cli import app
from crossthink_data.record import features

pytestmark = pytest.mark.slow


def card_metadata(folder: Path) -> dict:
    text = (folder / "README.md").read_text()
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n", 2)[1])


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory) -> tuple[Path, str]:
    output = tmp_path_factory.mktemp("demo_output")
    return output


def test_demo_builds_every_subset_and_they_load(demo_output):
    result = CliRunner().invoke(app, ["demo", "--output", str(demo_output)])
    assert result.exit_code == 0, result.output
    printed = result.output
    assert "load_dataset(" in printed

    folders = sorted(p for p in demo_output.iterdir() if (p / "README.md").exists())
    names = {p.name for p in folders}
    assert {"arc_challenge", "gsm8k", "agieval_math", "blend-crossthink"} <= names
    for folder in folders:
        meta = card_metadata(folder)
        assert meta["license"], folder
        infos = meta["dataset_info"]
        if isinstance(infos, dict):  # the Hub's form for a single config
            infos = [{"config_name": meta["configs"][0]["config_name"], **infos}]
        declared = {info["config_name"]: info for info in infos}
        for config in meta["configs"]:
            name = config["config_name"]
            dataset = load_dataset(str(folder), name, split="train")
            expected = Features._from_yaml_list(declared[name]["features"])
            assert dataset.features == expected, (folder.name, name)
            assert dataset.num_rows == declared[name]["splits"][0]["num_examples"]
            if name in ("mcq", "open"):
                assert dataset.features == features(templated=True)
        body = (folder / "README.md").read_text()
        charts = sorted((folder / "assets").glob("*.png"))
        assert charts and all(f"assets/{chart.name}" in body for chart in charts)


def test_demo_subsets_hold_the_expected_real_rows(demo_output):
    arc = load_dataset(str(demo_output / "arc_challenge"), "mcq", split="train")
    assert set(arc["kind"]) == {"mcq"} and set(arc["ground_truth"]) <= set("ABCDE")
    gsm8k = load_dataset(str(demo_output / "gsm8k"), "open", split="train")
    # GSM8K test row 1 (Janet's ducks): the gold after "####" is 18.
    ducks = [row for row in gsm8k if row["question"].startswith("Janet")]
    assert ducks and ducks[0]["ground_truth"] == "18" and ducks[0]["kind"] == "math"
    assert not (demo_output / "gsm8k" / "data" / "mcq").exists()  # no options: no MCQ config
