"""Shared fixtures. Everything runs offline: no hub downloads, here or in CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers.paths import TEST_DATA

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")


@pytest.fixture(scope="session")
def test_data() -> Path:
    """Real sample rows copied from ../shared/data with attribution (see tests/data/*/README.md)."""
    return TEST_DATA


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A tiny 2-layer Qwen2 + BPE tokenizer on disk, built once per test session."""
    from crossthink_train.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny_model"))


@pytest.fixture(scope="session")
def s3_endpoint():
    """URL of a loopback S3 API emulator (moto's server, see tests/helpers/s3_server.py), one per session."""
    from tests.helpers.s3_server import start_s3_server

    with start_s3_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3_bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch):
    """A fresh ``s3://`` bucket on the emulator, with the AWS variables set the way a user sets them
    (``AWS_ENDPOINT_URL`` and credentials), so any code path that opens ``s3://`` reaches it."""
    from tests.helpers.s3_server import S3_ENV, clear_s3_clients, new_bucket

    for name, value in {**S3_ENV, "AWS_ENDPOINT_URL": s3_endpoint}.items():
        monkeypatch.setenv(name, value)
    clear_s3_clients()
    yield new_bucket(s3_endpoint)
    clear_s3_clients()


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory) -> dict:
    """`crossthink-data demo` run once per session (about 40 s): the repo, its work folder, the output."""
    from typer.testing import CliRunner

    from crossthink_data.cli import app

    output = tmp_path_factory.mktemp("demo_output")
    result = CliRunner().invoke(app, ["demo", "--output", str(output)])
    assert result.exit_code == 0, result.output
    return {"repo": output / "crossthink", "work": output / "_work" / "crossthink", "printed": result.output}
