"""Shared fixtures. Everything runs offline: no hub downloads, here or in CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers.paths import TEST_DATA
from tests.helpers.slurm_cluster import SlurmUnavailable, start_slurm_cluster

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


@pytest.fixture(scope="session")
def real_server(tmp_path_factory):
    """llama-cpp-python's server on SmolLM2-135M-Instruct's GGUF (the `real-model` extra), started
    once per session for the tests marked ``realmodel`` and stopped by PID at the end."""
    from crossthink_data.serve import start_server, stop_server
    from crossthink_train.real_model import gguf_path

    server = start_server(gguf_path(), "llama-cpp", log_dir=tmp_path_factory.mktemp("real_server"))
    yield server
    stop_server(server)


@pytest.fixture
def real_proxy(real_server):
    """A counting proxy in front of :func:`real_server`: ``chat_requests`` lists what this test sent,
    ``replies`` (request, the model's chat-completion JSON) pairs in the order they were answered."""
    from tests.helpers.openai_server import forward_to, start_openai_server

    replies: list = []
    relay = forward_to(real_server.base_url, replies)
    with start_openai_server(relay, api_key=None, model=real_server.model) as proxy:
        proxy.replies = replies
        yield proxy


@pytest.fixture(scope="session")
def real_model_dir(tmp_path_factory) -> Path:
    """SmolLM2-135M-Instruct as a transformers folder (``crossthink-train real-model``), built once
    per session, only when a test asks for it (about 10 s, 538 MB)."""
    from crossthink_train.real_model import build_real_model

    return build_real_model(tmp_path_factory.mktemp("real_model"))


@pytest.fixture(scope="session")
def transformers_server(real_model_dir: Path, tmp_path_factory):
    """``transformers serve`` on :func:`real_model_dir` (refuses other model names with HTTP 400, as
    hosted servers do; llama.cpp's answers any name), started once per session when a test asks."""
    from crossthink_data.serve import start_server, stop_server

    server = start_server(
        real_model_dir, "transformers", log_dir=tmp_path_factory.mktemp("transformers_serve")
    )
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    """A real one-node Slurm (slurm-wlm + munge) per test module that asks for it; its absence fails."""
    try:
        cluster = start_slurm_cluster(tmp_path_factory.mktemp("slurm"))
    except SlurmUnavailable as err:
        pytest.fail(f"a real Slurm is required for this test (CI installs it): {err}")
    yield cluster
    cluster.stop()
