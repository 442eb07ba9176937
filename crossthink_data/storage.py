"""Storage by URL: every input, output and work folder is whatever datatrove's ``DataFolder`` takes.

A local path, ``file://``, ``s3://``, ``hf://``, ``memory://`` or any other fsspec URL. Stage code
never builds paths with :mod:`pathlib` (which turns ``s3://b`` into ``s3:/b``); it joins with
:func:`join` and opens, lists and removes through the folder's filesystem, so the same pipeline runs
on a laptop folder and on a bucket.

Remote credentials and endpoints come from fsspec's usual configuration (for S3: the AWS
environment variables, ``AWS_ENDPOINT_URL`` for an S3-compatible server).
"""

from __future__ import annotations

import glob as _glob
import hashlib
import json
import os
import posixpath
import re
from typing import Any

from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem

URL = str


def as_url(location: str | os.PathLike) -> URL:
    """A location as a string URL (a ``Path`` becomes its string; URLs are kept as written)."""
    return os.fspath(location)


def decode_file_url(location: str | os.PathLike) -> URL:
    """A ``file://`` URL as the plain path it names, percent-decoded (``file:///a%20b`` -> ``/a b``,
    as RFC 8089 writes a space); anything else as written. fsspec and ``datasets`` take the URL's
    characters literally, so a user's ``file://`` location is turned into a path where it comes in.
    """
    from urllib.parse import unquote, urlsplit

    url = as_url(location)
    if not url.startswith("file://"):
        return url
    parts = urlsplit(url)
    return unquote(parts.path) if parts.netloc in ("", "localhost") else url


def join(base: str | os.PathLike, *parts: str) -> URL:
    """``base/part/...`` with ``/``, keeping the scheme of a URL intact (``s3://b`` stays ``s3://b``)."""
    url = as_url(base).rstrip("/") or "/"
    for part in parts:
        part = str(part).strip("/")
        if part:
            url = f"{url}/{part}" if url != "/" else f"/{part}"
    return url


def basename(location: str | os.PathLike) -> str:
    """The last component of a path or URL."""
    return posixpath.basename(as_url(location).rstrip("/"))


def fs_and_path(location: str | os.PathLike) -> tuple[Any, str]:
    """The fsspec filesystem of ``location`` and the path inside it."""
    return url_to_fs(as_url(location))


def is_local(location: str | os.PathLike) -> bool:
    """True for a plain path or ``file://`` URL (the only storage where symlinks and renames are cheap)."""
    fs, _ = fs_and_path(location)
    return isinstance(fs, LocalFileSystem)


def local_path(location: str | os.PathLike, why: str = "") -> str:
    """The filesystem path of a local location (``file:///a`` -> ``/a``); raises for remote storage.

    ``why`` (for example "fastText loads models from local files") ends the error message.
    """
    fs, path = fs_and_path(location)
    if not isinstance(fs, LocalFileSystem):
        raise ValueError(f"{as_url(location)} is not on the local filesystem" + (f": {why}" if why else ""))
    return path


def _fresh_fs(location: str | os.PathLike) -> tuple[Any, str]:
    """Like :func:`fs_and_path`, with the filesystem's listing cache for ``location`` dropped.

    Object stores (s3fs, gcsfs...) cache directory listings per process; datatrove's worker
    processes write files the parent's cache has not seen, so every look-up starts fresh.
    """
    fs, path = fs_and_path(location)
    fs.invalidate_cache(path)
    return fs, path


def exists(location: str | os.PathLike) -> bool:
    fs, path = _fresh_fs(location)
    return fs.exists(path)


def is_dir(location: str | os.PathLike) -> bool:
    fs, path = _fresh_fs(location)
    return fs.isdir(path)


def is_file(location: str | os.PathLike) -> bool:
    """True for a file (a local symlink to a file counts, as in pathlib)."""
    fs, path = _fresh_fs(location)
    return fs.exists(path) and not fs.isdir(path)


def open_url(location: str | os.PathLike, mode: str = "rb", **kwargs):
    """Opens a file at any URL; parent folders are created when writing."""
    fs, path = fs_and_path(location)
    if "w" in mode or "a" in mode:
        fs.makedirs(fs._parent(path), exist_ok=True)
    return fs.open(path, mode, **kwargs)


def parquet_file(handle: Any):
    """pyarrow's ``ParquetFile`` over an open file (or a local path), reading without pre-buffering.

    Every stage reads parquet batch by batch so that memory does not grow with the data; pyarrow
    26's ``ParquetFile`` pre-buffers by default and keeps every range it has read until the reader
    is done, so a batch-by-batch pass over one 1.1M-row file (760 MiB) held 559 MiB of RSS, against
    212 MiB with ``pre_buffer=False`` (``benchmarks/bench_build.py`` at 1M rows found it).
    """
    import pyarrow.parquet as pq

    return pq.ParquetFile(handle, pre_buffer=False)


def read_text(location: str | os.PathLike) -> str:
    with open_url(location, "rt", encoding="utf-8") as handle:
        return handle.read()


def write_text(location: str | os.PathLike, text: str) -> None:
    with open_url(location, "wt", encoding="utf-8") as handle:
        handle.write(text)


def read_bytes(location: str | os.PathLike) -> bytes:
    with open_url(location, "rb") as handle:
        return handle.read()


def write_bytes(location: str | os.PathLike, data: bytes) -> None:
    with open_url(location, "wb") as handle:
        handle.write(data)


def read_json(location: str | os.PathLike) -> Any:
    return json.loads(read_text(location))


def write_json(location: str | os.PathLike, value: Any) -> None:
    write_text(location, json.dumps(value, indent=2, sort_keys=True, default=str) + "\n")


def makedirs(location: str | os.PathLike) -> None:
    fs, path = fs_and_path(location)
    fs.makedirs(path, exist_ok=True)


def remove(location: str | os.PathLike) -> None:
    """Removes a file or a folder tree; a missing location is not an error."""
    fs, path = _fresh_fs(location)
    if fs.exists(path):
        fs.rm(path, recursive=True)


def list_files(
    location: str | os.PathLike, suffixes: tuple[str, ...] = (), recursive: bool = True
) -> list[URL]:
    """Files under a folder (sorted full URLs), optionally only those whose name ends with a suffix."""
    fs, path = _fresh_fs(location)
    if not fs.isdir(path):
        return []
    names = fs.find(path, maxdepth=None if recursive else 1)
    root = path.rstrip("/")
    found = []
    for name in sorted(names):
        if suffixes and not name.endswith(suffixes):
            continue
        found.append(join(location, name[len(root) :].lstrip("/")))
    return found


def glob(location: str | os.PathLike, pattern: str) -> list[URL]:
    """Files under the folder ``location`` matching ``pattern`` (``**`` spans folders, as in pathlib),
    as sorted full URLs."""
    fs, path = _fresh_fs(location)
    root = path.rstrip("/")
    found = fs.glob(f"{root}/{pattern.lstrip('/')}", detail=True)
    # not "directory" rather than "file": a local symlink to a file has type "other"
    names = sorted(name for name, info in found.items() if info.get("type") != "directory")
    return [join(location, name[len(root) :].lstrip("/")) for name in names]


def file_sizes(location: str | os.PathLike) -> dict[str, int]:
    """Every file under a folder as ``relative name -> size in bytes`` (one listing, no per-file calls)."""
    fs, path = _fresh_fs(location)
    if not fs.isdir(path):
        return {}
    root = path.rstrip("/")
    found = fs.find(path, detail=True)
    return {name[len(root) :].lstrip("/"): int(info.get("size") or 0) for name, info in sorted(found.items())}


def relative(location: str | os.PathLike, root: str | os.PathLike) -> str:
    """The part of ``location`` under ``root`` (both URLs or paths on the same storage), ``/``-separated."""
    url, base = as_url(location).rstrip("/"), as_url(root).rstrip("/")
    if url == base:
        return ""
    if not url.startswith(base + "/"):
        raise ValueError(f"{url} is not under {base}")
    return url[len(base) + 1 :]


def copy(source: str | os.PathLike, destination: str | os.PathLike) -> None:
    """Copies one file between any two locations (a server-side copy when both are on one store)."""
    src_fs, src = fs_and_path(source)
    dst_fs, dst = fs_and_path(destination)
    dst_fs.makedirs(dst_fs._parent(dst), exist_ok=True)
    if type(src_fs) is type(dst_fs) and src_fs.storage_options == dst_fs.storage_options:
        src_fs.copy(src, dst)
        return
    with src_fs.open(src, "rb") as reader, dst_fs.open(dst, "wb") as writer:
        while chunk := reader.read(1 << 24):
            writer.write(chunk)


def local_scratch(location: str | os.PathLike, name: str) -> str:
    """A local folder that belongs to ``location``: ``location/name`` itself when it is local, else
    ``~/.cache/crossthink_data/<slug>-<hash>/name`` (``XDG_CACHE_HOME`` moves the root).

    For state a library insists on keeping on local disk (datatrove's inference checkpoints and
    request cache) while the outputs live elsewhere: the same URL always maps to the same folder,
    so a rerun on the same machine resumes.
    """
    if is_local(location):
        return join(local_path(location), name)
    url = as_url(location)
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", url).strip("_")[-80:]
    digest = hashlib.sha1(url.encode()).hexdigest()[:10]
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(root, "crossthink_data", f"{slug}-{digest}", name)


def has_glob(location: str | os.PathLike) -> bool:
    """True when ``location`` holds a wildcard (``*``, ``?`` or ``[...]``): it names a set of files."""
    return _glob.has_magic(as_url(location))


def split_glob(location: str | os.PathLike) -> tuple[URL, str]:
    """``dir/sub/*.gz`` -> (``dir/sub``, ``*.gz``): the folder before the first wildcard, and the rest.

    This is the (data folder, glob pattern) pair datatrove readers take. A pattern without a folder
    (``*.warc.gz``) is relative to the working directory.
    """
    url = as_url(location)
    first = min(url.index(c) for c in "*?[" if c in url)
    cut = url.rfind("/", 0, first)
    if cut < 0:
        return ".", url
    folder = url[:cut]
    if folder.endswith(":/"):  # "s3://*.gz": a wildcard in the bucket name
        raise ValueError(f"{url}: a glob needs a folder before its first wildcard")
    return folder or "/", url[cut + 1 :]


def glob_url(location: str | os.PathLike) -> list[URL]:
    """The files a glob URL (``s3://b/crawl/*/*.warc.gz``) matches, as sorted full URLs."""
    folder, pattern = split_glob(location)
    return glob(folder, pattern)


def file_size(location: str | os.PathLike) -> int:
    fs, path = fs_and_path(location)
    return int(fs.size(path))


def upload_folder(local_folder: str | os.PathLike, destination: str | os.PathLike) -> list[URL]:
    """Copies a local folder's content to ``destination`` (any URL), replacing same-named files.

    Returns the URLs written, so a caller can remove what the folder no longer holds.
    """
    fs, path = fs_and_path(destination)
    written = []
    for root, _dirs, files in os.walk(local_folder):
        for name in sorted(files):
            source = os.path.join(root, name)
            rel = os.path.relpath(source, local_folder).replace(os.sep, "/")
            target = f"{path.rstrip('/')}/{rel}"
            fs.makedirs(fs._parent(target), exist_ok=True)
            fs.put_file(source, target)
            written.append(join(destination, rel))
    fs.invalidate_cache(path)
    return written
