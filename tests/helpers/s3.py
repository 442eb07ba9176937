"""An S3 API on loopback for storage tests: moto's standalone server, an EMULATOR of S3.

Nothing real can run here (no network, no cloud account), so tests that need "a bucket" talk to
``moto.server.ThreadedMotoServer``: a genuine HTTP server on 127.0.0.1 that speaks the S3 REST API
(signed requests, ListObjectsV2, multipart uploads). Clients take their real network path: boto3,
s3fs/aiobotocore, datatrove's readers and writers. It is not AWS: consistency, permissions and
limits are moto's.

Clients find it through the standard AWS variables, which botocore (and therefore s3fs) honours:
``AWS_ENDPOINT_URL`` (the endpoint of every service), ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``. No fsspec-specific configuration is needed.

    @pytest.fixture
    def s3(monkeypatch):
        yield from moto_s3(monkeypatch)

    def test_x(s3):
        bucket = s3.create_bucket("crossthink-test")   # -> "s3://crossthink-test"
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LoopbackS3:
    endpoint: str  # http://127.0.0.1:PORT

    def client(self):
        """A boto3 S3 client on the emulator (independent of fsspec, for reading results back)."""
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint)

    def create_bucket(self, name: str) -> str:
        self.client().create_bucket(Bucket=name)
        return f"s3://{name}"

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def get(self, bucket: str, key: str) -> bytes:
        return self.client().get_object(Bucket=bucket, Key=key)["Body"].read()


def _clear_s3fs_instances() -> None:
    # fsspec caches filesystem instances by their arguments, not by the endpoint taken from the
    # environment: a cached S3FileSystem would keep talking to a previous test's server.
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()


def moto_s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackS3]:
    """Starts moto's S3 server on 127.0.0.1 (free port), points the AWS variables at it, yields it."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    _clear_s3fs_instances()
    try:
        yield LoopbackS3(endpoint)
    finally:
        _clear_s3fs_instances()
        server.stop()
