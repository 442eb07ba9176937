"""A local OpenAI-compatible server for a model on this machine, started and stopped by PID.

Shared by every side: the real-model demo and the generation benchmark start one for ``mine`` and
``difficulty``, the evaluation tests point ``crossthink-eval run --backend endpoint`` at one, and
``crossthink-train serve``/``stop-server`` are thin command-line wrappers. It lives in the data
package's leaf layer (standard library only) so data, training and evaluation may all import it;
it used to be a training module that the data side reached up into.

Two backends, both serving ``/v1/chat/completions`` on loopback:

- ``llama-cpp``: llama-cpp-python's server on a GGUF file (fast on a CPU; honours a JSON schema in
  ``response_format: {"type": "json_object", "schema": ...}``). Build it with
  ``CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_OPENMP=OFF" pip install 'llama-cpp-python[server]'``: the
  native build crashes on the first generation on some CPUs.
- ``transformers``: ``transformers serve`` on a transformers folder. Its quirks are handled here:
  ``/v1/models`` answers 500 unless ``HF_HUB_CACHE`` names an existing folder, requests must name
  the model exactly as given on its command line (:attr:`LocalServer.model` is that name), and it
  samples only when the folder's generation config says ``do_sample: true``
  (``crossthink-train real-model`` writes that).

The server runs detached in its own process group; its state (PID, URL, model name, log) is saved
as JSON so another process (``crossthink-train stop-server``, a Makefile) can stop it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

BACKENDS = ("llama-cpp", "transformers")


class ServerError(RuntimeError):
    """The server did not start or answer (the message names the URL, the status and the log)."""


@dataclass
class LocalServer:
    """A started server: where to send requests and how to stop it."""

    pid: int
    backend: str
    base_url: str  # OpenAI base URL, with /v1
    model: str  # the model name requests must carry
    log_path: str

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")
        return path

    @classmethod
    def load(cls, path: str | Path) -> LocalServer:
        return cls(**json.loads(Path(path).read_text()))


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def server_command(backend: str, model: str, host: str, port: int, n_ctx: int = 4096) -> list[str]:
    """The command line that serves ``model`` (a GGUF file for llama-cpp, a folder for transformers)."""
    if backend == "llama-cpp":
        return [
            sys.executable, "-m", "llama_cpp.server", "--model", model, "--host", host,
            "--port", str(port), "--n_ctx", str(n_ctx),
        ]  # fmt: skip
    if backend == "transformers":
        cli = Path(sys.executable).with_name("transformers")
        return [str(cli), "serve", model, "--host", host, "--port", str(port)]
    raise ValueError(f"unknown backend {backend!r}; expected one of {BACKENDS}")


def start_server(
    model: str | Path,
    backend: str = "llama-cpp",
    host: str = "127.0.0.1",
    port: int | None = None,
    log_dir: str | Path = ".",
    ready_timeout_s: float = 300.0,
) -> LocalServer:
    """Starts a server for ``model`` and returns once ``/v1/models`` answers 200.

    Args:
        model: a GGUF file (llama-cpp) or a transformers model folder (transformers).
        log_dir: where ``server-<port>.log`` goes (stdout and stderr of the server).
        ready_timeout_s: how long to wait for the model to load before stopping it and raising.
    """
    model = str(model)
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; expected one of {BACKENDS}")
    if not Path(model).exists():
        raise ServerError(f"model {model} does not exist (crossthink-train real-model writes one)")
    port = port or free_port(host)
    log_path = Path(log_dir) / f"server-{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if backend == "transformers":
        cache = Path(env.get("HF_HUB_CACHE") or log_path.parent / "hf_hub_cache")
        cache.mkdir(parents=True, exist_ok=True)
        env["HF_HUB_CACHE"] = str(cache)
    env.setdefault("HF_HUB_OFFLINE", "1")
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            server_command(backend, model, host, port),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    served_name = model  # both backends list and accept the path they were started with
    server = LocalServer(process.pid, backend, f"http://{host}:{port}/v1", served_name, str(log_path))
    try:
        wait_ready(server, ready_timeout_s, process)
    except BaseException:
        stop_server(server)
        raise
    return server


def wait_ready(server: LocalServer, timeout_s: float, process: subprocess.Popen | None = None) -> None:
    """Polls ``GET /v1/models`` until it answers 200; raises with the last status and the log's tail."""
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ServerError(
                f"the {server.backend} server exited with code {process.returncode} before answering; "
                f"log {server.log_path}:\n{_tail(server.log_path)}"
            )
        try:
            with urllib.request.urlopen(f"{server.base_url}/models", timeout=5) as response:
                if response.status == 200:
                    return
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as err:
            last = f"HTTP {err.code}: {err.read(200).decode(errors='replace')}"
        except (urllib.error.URLError, OSError) as err:
            last = str(getattr(err, "reason", err))
        time.sleep(0.5)
    raise ServerError(
        f"{server.base_url}/models did not answer 200 within {timeout_s:.0f} s (last: {last}); "
        f"log {server.log_path}:\n{_tail(server.log_path)}"
    )


def _tail(path: str, lines: int = 15) -> str:
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop_server(server: LocalServer | int, timeout_s: float = 15.0) -> bool:
    """Stops the server's process group (SIGTERM, then SIGKILL); True if it was running."""
    pid = server.pid if isinstance(server, LocalServer) else int(server)
    try:
        group = os.getpgid(pid)
    except ProcessLookupError:
        return False
    os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    os.killpg(group, signal.SIGKILL)
    return True
