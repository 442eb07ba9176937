"""Publish an exported dataset repo folder (a build's one repo) to the Hub.

A normal build goes up in one commit (``HfApi.upload_folder``): the card, its charts and every
config's shards at once, so the repo never shows a half-updated dataset. Above
``LARGE_FOLDER_FILES`` files or ``LARGE_FOLDER_BYTES`` bytes the push switches to
``HfApi.upload_large_folder``: several commits, but resumable (its progress is kept under the
folder's ``.cache/huggingface/``), so rerunning the same ``push`` after an interruption uploads only
what is missing. ``revision`` commits to a branch (created when missing); ``create_pr`` opens a pull
request instead of committing to the branch (for a large folder: the PR is opened first, then the
folder is uploaded to its ``refs/pr/N``).

huggingface_hub 1.33 marks ``upload_large_folder`` deprecated: with ``hf_xet`` installed its
``upload_folder`` now commits large folders in batches and resumes too. We keep
``upload_large_folder`` above the threshold because its resume is what the tests check against the
Hub's HTTP API (and it works without ``hf_xet``), and silence that one warning; a normal build
still goes up in exactly one ``upload_folder`` commit.

The token comes from the argument, ``HF_TOKEN`` or a saved ``hf auth login``; it is handed to
``huggingface_hub`` only, never formatted into a message, and scrubbed from any error text we
re-raise (a server could echo a header back).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import warnings
from pathlib import Path

from crossthink_data.ownership import MARKER

logger = logging.getLogger(__name__)

LARGE_FOLDER_FILES = 200  # more files than this: upload_large_folder (resumable, several commits)
LARGE_FOLDER_BYTES = 1_000_000_000  # more bytes than this: upload_large_folder too
IGNORE = ["**/.staging/**", ".staging/**", ".cache/**", MARKER]  # MARKER: local bookkeeping, not data
_PLACEHOLDER = re.compile(r"<your-hf-username>/[A-Za-z0-9_.\-]+")


class PushError(RuntimeError):
    """A push that cannot start or failed; the message never contains the token."""


def resolve_token(token: str | None = None) -> str:
    """The token to push with: the argument, else ``HF_TOKEN``, else the saved login."""
    if token:
        return token
    from huggingface_hub import get_token

    found = os.environ.get("HF_TOKEN") or get_token()
    if not found:
        raise PushError(
            "no Hugging Face token: set HF_TOKEN to a token with write access "
            "(https://huggingface.co/settings/tokens) or run `hf auth login`"
        )
    return found


def local_folder(folder: str | os.PathLike) -> Path:
    """The local folder to push (a path or ``file://`` URL); a remote URL is refused in one line."""
    from crossthink_data import storage

    if not storage.is_local(folder):
        raise PushError(
            f"push uploads a local folder, and {storage.as_url(folder)} is on remote storage: export to a "
            "local folder (or copy it here) and push that"
        )
    return Path(storage.local_path(folder))


def check_folder(folder: str | os.PathLike) -> list[str]:
    """Checks an exported folder (card, data, configs' files) and returns its config names."""
    from huggingface_hub import DatasetCard

    folder = local_folder(folder)
    if not folder.is_dir():
        raise PushError(f"{folder} is not a folder")
    readme = folder / "README.md"
    if not readme.is_file():
        raise PushError(
            f"{folder} has no README.md dataset card: write it with `crossthink-data build` or `export` first"
        )
    if not (folder / "data").is_dir() or not any((folder / "data").rglob("*.parquet")):
        raise PushError(f"{folder} has no data/ folder with parquet shards: export it first")
    try:
        card = DatasetCard.load(readme)
    except Exception as err:  # yaml errors, validation errors
        raise PushError(f"{readme} is not a valid dataset card: {err}") from None
    configs = card.data.to_dict().get("configs") or []
    if not configs:
        raise PushError(f"{readme} declares no configs (YAML `configs:` with data_files)")
    names = []
    for config in configs:
        for data_file in config.get("data_files", []):
            paths = data_file["path"] if isinstance(data_file["path"], list) else [data_file["path"]]
            for pattern in paths:
                if not list(folder.glob(pattern)):
                    raise PushError(
                        f"config {config['config_name']!r}: no file matches {pattern!r} in {folder}"
                    )
        names.append(config["config_name"])
    return names


def push_folder(
    folder: str | os.PathLike,
    repo_id: str,
    private: bool = False,
    revision: str | None = None,
    token: str | None = None,
    commit_message: str | None = None,
    endpoint: str | None = None,
    create_pr: bool = False,
    large: bool | None = None,
    num_workers: int | None = None,
) -> str:
    """Creates the dataset repo if needed (``private`` applies to a new repo only) and uploads
    ``folder``: one commit, or ``upload_large_folder`` when ``large`` (default: above the size or
    file-count threshold). Returns the commit, pull-request or tree URL.

    The card's load snippet names ``<your-hf-username>/<name>`` until the repo is known: it is
    rewritten to ``repo_id`` in the folder's README.md before the upload, so local and Hub agree."""
    from huggingface_hub import HfApi, constants

    folder = local_folder(folder)
    if not re.match(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$", repo_id or ""):
        raise PushError(f"repo id must look like 'namespace/name', got {repo_id!r}")
    configs = check_folder(folder)
    token = resolve_token(token)
    if constants.HF_HUB_OFFLINE:
        raise PushError("HF_HUB_OFFLINE is set: unset it to push to the Hub")
    files = [p for p in folder.rglob("*") if p.is_file() and not {".staging", ".cache"} & set(p.parts)]
    size = sum(p.stat().st_size for p in files)
    if large is None:
        large = len(files) > LARGE_FOLDER_FILES or size > LARGE_FOLDER_BYTES
    api = HfApi(endpoint=endpoint or os.environ.get("HF_ENDPOINT") or None, token=token)
    message = commit_message or f"Upload {folder.name} ({len(configs)} configs) with crossthink-data"
    how = "upload_large_folder" if large else "one commit"
    logger.info("pushing %s (%d files, %d bytes, %s) to dataset %s", folder, len(files), size, how, repo_id)
    try:
        with _card_pointed_at(folder / "README.md", repo_id):
            url = _upload(api, folder, repo_id, private, revision, message, create_pr, large, num_workers)
    except Exception as err:
        raise PushError(f"push of {folder} to {repo_id} failed: {_redact(str(err), token)}") from None
    logger.info("pushed %s: %s", repo_id, url)
    return url


def _upload(
    api, folder: Path, repo_id: str, private, revision, message: str, create_pr, large, num_workers
) -> str:
    """Creates the repo (and branch) and uploads ``folder``; returns the commit, pull-request or tree URL."""
    from huggingface_hub import constants

    api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    if revision and revision != constants.DEFAULT_REVISION:
        api.create_branch(repo_id, branch=revision, repo_type="dataset", exist_ok=True)
    if large:
        return _push_large(api, folder, repo_id, revision, message, create_pr, num_workers)
    info = api.upload_folder(
        repo_id=repo_id,
        folder_path=folder,
        repo_type="dataset",
        revision=revision,
        commit_message=message,
        ignore_patterns=IGNORE,
        create_pr=create_pr,
    )
    return info.pr_url if create_pr and info.pr_url else info.commit_url


def _push_large(api, folder: Path, repo_id: str, revision, message: str, create_pr: bool, num_workers) -> str:
    """``upload_large_folder`` to the branch, or to a new pull request's ``refs/pr/N``."""
    target = revision
    url = f"{api.endpoint}/datasets/{repo_id}/tree/{revision or 'main'}"
    if create_pr:
        pr = api.create_pull_request(repo_id, title=message, repo_type="dataset")
        target, url = pr.git_reference, pr.url
    with warnings.catch_warnings():  # its deprecation notice (see the module doc)
        warnings.filterwarnings(
            "ignore", message=r"(?s).*upload_large_folder. is DEPRECATED", category=FutureWarning
        )
        api.upload_large_folder(
            repo_id=repo_id,
            folder_path=folder,
            repo_type="dataset",
            revision=target,
            ignore_patterns=list(IGNORE),
            num_workers=num_workers,
            print_report=False,
        )
    return url


@contextlib.contextmanager
def _card_pointed_at(readme: Path, repo_id: str):
    """The exported card's load snippet names a placeholder repo: it names ``repo_id`` during the
    upload, and stays so once the upload succeeded (local and Hub agree). If the upload fails or
    is interrupted, README.md gets its exact bytes back: a failed push changes nothing locally."""
    original = readme.read_bytes()
    text = original.decode("utf-8")
    updated = _PLACEHOLDER.sub(repo_id, text)
    if updated != text:
        readme.write_text(updated, encoding="utf-8")
    try:
        yield
    except BaseException:
        if updated != text:
            readme.write_bytes(original)
        raise


def _redact(text: str, token: str) -> str:
    return text.replace(token, "***") if token else text
