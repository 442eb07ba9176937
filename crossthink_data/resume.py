"""Resume keyed on content: the one rule for whether a stage's earlier output may be reused.

Every stage folder holds ``fingerprint.json``: the identity of each input (every file's path, size
and modification time; for remote storage whatever fsspec's listing gives, an ETag or a
last-modified time) and the stage's settings (secrets as ``***``). A stage is

* **finished** when its fingerprint matches and its ``report.json`` exists: it is skipped;
* **unfinished** when its fingerprint matches and it has no report: datatrove's completion markers
  resume its tasks (they were made from these very inputs);
* **stale** otherwise: everything it wrote is removed (never the user's files, see
  :mod:`crossthink_data.ownership`) and it runs again, and the run says why in one line.

A stage's output is the next stage's input, so a redone stage changes the identity the next one
sees, and every stage after it is redone too. datatrove's markers alone would trust the finished
tasks of a run on other inputs: a fixed input file used to be deduplicated against the signatures
of the broken one, and ``sources`` kept the old rows after its upstream files changed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any

from crossthink_data import storage
from crossthink_data.config import public
from crossthink_data.ownership import MARKER, read_marker

FINGERPRINT = "fingerprint.json"
REPORT = "report.json"


def identity(locations: Iterable[str | os.PathLike | None]) -> list[list[Any]]:
    """``[location, relative file, size, modification]`` for every file under each location (a file
    is its own entry; a missing location is one entry of ``None``s). Local links count as their
    targets, so a pool of links re-made on every run has the identity of the files it links."""
    entries: list[list[Any]] = []
    for location in locations:
        if location is None:
            continue
        url = storage.as_url(location)
        if storage.is_local(url):
            entries += _local_identity(url)
            continue
        fs, path = storage.fs_and_path(url)
        fs.invalidate_cache(path)
        if not fs.exists(path):
            entries.append([url, None, None, None])
            continue
        found = fs.find(path, detail=True) if fs.isdir(path) else {path: fs.info(path)}
        root = path.rstrip("/")
        for name, info in sorted(found.items()):
            entries.append([url, name[len(root) :].lstrip("/"), info.get("size"), _modified(info)])
    return entries


def _local_identity(url: str) -> list[list[Any]]:
    path = storage.local_path(url)
    if not os.path.exists(path):
        return [[url, None, None, None]]
    files = [path] if not os.path.isdir(path) else []
    for root, _dirs, names in os.walk(path, followlinks=True):
        files += [os.path.join(root, name) for name in names]
    entries = []
    for file in sorted(files):
        rel = os.path.relpath(file, path).replace(os.sep, "/") if file != path else ""
        try:
            stat = os.stat(file)  # follows links
        except FileNotFoundError:  # a link whose file is gone
            entries.append([url, rel, None, None])
            continue
        entries.append([url, rel, stat.st_size, stat.st_mtime_ns])
    return entries


def _modified(info: dict[str, Any]) -> str | None:
    """What fsspec's listing says about a remote file's version (checksum, ETag or time)."""
    for key in (
        "ETag",
        "etag",
        "md5Hash",
        "crc32c",
        "LastModified",
        "last_modified",
        "mtime",
        "updated",
        "created",
    ):
        if info.get(key) is not None:
            return str(info[key])
    return None


def check_stage(
    stage_dir: str | os.PathLike,
    inputs: Iterable[str | os.PathLike | None],
    settings: Any,
    name: str,
    say: Callable[[str], None] = print,
    also_clear: Iterable[str] = (),
) -> bool:
    """Applies the module's rule to ``stage_dir`` before the stage runs; True when it is finished
    (skip it). A stale stage is cleared (with ``also_clear``, e.g. a local scratch folder of
    checkpoints) and ``say`` gets one line naming what changed.
    """
    stage_dir = storage.as_url(stage_dir)
    current = json.loads(
        json.dumps({"inputs": identity(inputs), "settings": public(settings)}, sort_keys=True, default=str)
    )
    marker = storage.join(stage_dir, FINGERPRINT)
    previous = _read(marker)
    if previous == current:
        return storage.exists(storage.join(stage_dir, REPORT))
    if previous is not None:
        say(
            f"{name}: {_what_changed(previous, current)} since its last run: redoing it and every stage after it"
        )
    clear_stage(stage_dir)
    for location in also_clear:
        storage.remove(location)
    storage.write_json(marker, current)
    return False


def clear_stage(stage_dir: str) -> None:
    """Removes what the tool wrote in ``stage_dir``: every top-level entry but the ownership marker
    and the user's files it was told to keep."""
    marker = read_marker(stage_dir)
    kept = {name.split("/", 1)[0] for name in (marker or {}).get("kept") or []}
    tops = {name.split("/", 1)[0] for name in storage.file_sizes(stage_dir)}
    for top in sorted(tops - kept - {MARKER}):
        storage.remove(storage.join(stage_dir, top))


def _read(marker: str) -> dict[str, Any] | None:
    if not storage.exists(marker):
        return None
    try:
        return storage.read_json(marker)
    except ValueError:
        return None


def _what_changed(previous: dict[str, Any], current: dict[str, Any]) -> str:
    """``input /a/b.jsonl changed``, ``input /a/c.jsonl is new``, or ``its settings changed``."""
    if previous.get("settings") != current.get("settings"):
        return "its settings changed"
    before = {
        tuple(e[:2]): e[2:] for e in previous.get("inputs") or [] if isinstance(e, list) and len(e) == 4
    }
    after = {tuple(e[:2]): e[2:] for e in current["inputs"]}
    for key in sorted(set(before) | set(after), key=str):
        if before.get(key) != after.get(key):
            where = storage.join(key[0], key[1]) if key[1] else key[0]
            state = "is new" if key not in before else "is gone" if key not in after else "changed"
            return f"input {where} {state}"
    return "its input changed"


__all__ = ["FINGERPRINT", "REPORT", "check_stage", "clear_stage", "identity"]
