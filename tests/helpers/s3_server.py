"""A loopback S3 endpoint for tests: moto's standalone server, an emulator of the S3 HTTP API.

No real object store can be reached here, so tests that need ``s3://`` run against moto's
``ThreadedMotoServer`` on 127.0.0.1 (a free port). It answers the same HTTP requests (signed
PUT/GET/LIST/DELETE/multipart) that s3fs sends to AWS, so the whole client path is real; only the
storage behind it is an emulator. Credentials and endpoint reach s3fs the way a user sets them:
``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``.

Use the ``s3_bucket`` fixture of ``tests/conftest.py`` (a fresh bucket per test, environment set).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@contextlib.contextmanager
def start_s3_server() -> Iterator[str]:
    """Runs moto's S3 emulator on a free loopback port; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def clear_s3_clients() -> None:
    """Forgets cached s3fs clients, which keep the endpoint they were built with."""
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()


def new_bucket(endpoint: str) -> str:
    """Creates an empty bucket on the emulator; returns its ``s3://`` URL."""
    import s3fs

    name = f"crossthink-{uuid.uuid4().hex[:12]}"
    s3fs.S3FileSystem(
        endpoint_url=endpoint, key=S3_ENV["AWS_ACCESS_KEY_ID"], secret=S3_ENV["AWS_SECRET_ACCESS_KEY"]
    ).mkdir(name)
    return f"s3://{name}"
