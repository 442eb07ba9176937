"""A real loopback HTTP server speaking the OpenAI chat-completions API, for tests.

It is a genuine HTTP/1.1 server (``http.server`` on a free port in a background thread), so clients
exercise their real network path: bearer authentication, status codes, read timeouts, broken
bodies. It serves *recorded* replies: the test decides what the "model" says for each request,
typically realistic JSON written the way an instruct model answers (see
``tests/data/common_crawl/recorded_replies.jsonl``), plus injected faults.

API (everything a test needs):

    from tests.openai_server import Reply, start_openai_server

    server = start_openai_server(reply_fn, api_key="sk-test", model="Qwen/Qwen2.5-72B-Instruct")
    server.base_url      # "http://127.0.0.1:PORT/v1" -- what an OpenAI client takes as base_url
    server.requests      # list of RecordedRequest(number, path, body, authorized), in arrival order
    server.chat_requests # only the authorized POST /v1/chat/completions ones
    server.stop()        # or use `with start_openai_server(...) as server:`

``reply_fn(request: RecordedRequest) -> Reply | str`` is called for every authorized
``POST /v1/chat/completions``; a plain ``str`` is a normal 200 reply with that message content.
``reply_fn`` may also be a list (replies served in order, the last one repeated). ``Reply`` fields:

    content        the assistant message text (200, finish_reason "stop")
    status         HTTP status to return (e.g. 500, 429, 400); the body is an OpenAI-style error
    delay_s        sleep this long before answering (longer than the client timeout = a timeout)
    finish_reason  e.g. "length" for a reply cut off by max_tokens (use with truncated content)
    raw_body       bytes sent verbatim as the response body (malformed JSON, a truncated body)
    usage          token counts reported in the reply

Helpers: ``forward_to(base_url)`` relays every chat request to a real server (a counting proxy
in front of a real model); ``faults_then(fault_or_list, then_fn)`` serves the given faults for the first requests
carrying the same prompt and ``then_fn`` afterwards (a fault that heals after N retries);
``message_text(request)`` returns the user message of a chat request.

``GET /v1/models`` lists ``model`` (auth required). Requests without ``Authorization: Bearer
<api_key>`` get 401, like a hosted API. Pass ``api_key=None`` to accept anything. Any other path
gets 404 (a base URL without its ``/v1`` probes ``/models``). ``unknown_model_status=400`` (or 404,
as vLLM answers) refuses chat requests naming another model than ``model``, as real servers do;
by default any model name is served, like llama.cpp's server.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """What the server answers to one chat request (see the module docstring)."""

    content: str | None = None
    status: int = 200
    delay_s: float = 0.0
    finish_reason: str = "stop"
    raw_body: bytes | None = None
    usage: dict[str, int] | None = None


@dataclass
class RecordedRequest:
    """One request as the server saw it."""

    number: int
    method: str
    path: str
    body: dict[str, Any] | None
    authorized: bool


ReplyFn = Callable[[RecordedRequest], "Reply | str"]


def message_text(request: RecordedRequest, role: str = "user") -> str:
    """Concatenated text of the messages with ``role`` in a chat request."""
    messages = (request.body or {}).get("messages") or []
    return "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == role)


def faults_then(faults: Reply | Sequence[Reply], then: ReplyFn) -> ReplyFn:
    """Serve ``faults`` (in order) to the first attempts of each distinct prompt, then ``then``.

    Keyed by the request's messages, so retries of the same prompt advance through the faults
    while other prompts are unaffected: a transient fault that heals after ``len(faults)`` tries.
    """
    faults = [faults] if isinstance(faults, Reply) else list(faults)
    attempts: Counter[str] = Counter()
    lock = threading.Lock()

    def reply(request: RecordedRequest) -> Reply | str:
        key = json.dumps((request.body or {}).get("messages"), sort_keys=True)
        with lock:
            attempt = attempts[key]
            attempts[key] += 1
        return faults[attempt] if attempt < len(faults) else then(request)

    return reply


def forward_to(
    base_url: str, replies: list[tuple[RecordedRequest, dict]] | None = None, timeout_s: float = 600.0
) -> ReplyFn:
    """A reply function that relays each chat request to a real server (``base_url`` with its
    ``/v1``) and answers with that server's status and body, unchanged.

    With it the loopback server becomes a counting proxy in front of a real model: the test reads
    ``chat_requests`` (what was sent, how often) while the replies stay the model's own; each
    answered request and its reply's JSON are appended to ``replies`` when given.
    """
    import urllib.error
    import urllib.request

    url = f"{base_url.rstrip('/')}/chat/completions"

    def reply(request: RecordedRequest) -> Reply:
        upstream = urllib.request.Request(
            url, data=json.dumps(request.body).encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(upstream, timeout=timeout_s) as response:
                body = response.read()
        except urllib.error.HTTPError as err:
            return Reply(status=err.code, raw_body=err.read())
        if replies is not None:
            replies.append((request, json.loads(body)))
        return Reply(raw_body=body)

    return reply


class OpenAIServer:
    """A running loopback server; see :func:`start_openai_server`."""

    def __init__(
        self,
        reply_fn: ReplyFn | Sequence[Reply | str],
        api_key: str | None,
        model: str,
        unknown_model_status: int | None = None,
    ) -> None:
        self.api_key = api_key
        self.model = model
        self.unknown_model_status = unknown_model_status
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        if callable(reply_fn):
            self._reply_fn = reply_fn
        else:
            queue = list(reply_fn)
            if not queue:
                raise ValueError("an empty reply list: give at least one reply")

            def from_queue(request: RecordedRequest) -> Reply | str:
                with self._lock:
                    return queue.pop(0) if len(queue) > 1 else queue[0]

            self._reply_fn = from_queue
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="openai-loopback", daemon=True)
        self._thread.start()

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.authorized and r.path.endswith("/chat/completions")]

    def _record(self, method: str, path: str, body: dict | None, authorized: bool) -> RecordedRequest:
        with self._lock:
            request = RecordedRequest(len(self.requests), method, path, body, authorized)
            self.requests.append(request)
            return request

    def reply_for(self, request: RecordedRequest) -> Reply:
        reply = self._reply_fn(request)
        return Reply(content=reply) if isinstance(reply, str) else reply

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> OpenAIServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_openai_server(
    reply_fn: ReplyFn | Sequence[Reply | str],
    api_key: str | None = "sk-test-loopback",
    model: str = "Qwen/Qwen2.5-72B-Instruct",
    unknown_model_status: int | None = None,
) -> OpenAIServer:
    """Start a loopback OpenAI-compatible server on a free port; ``stop()`` it when done."""
    return OpenAIServer(reply_fn, api_key, model, unknown_model_status)


def _error_body(status: int, message: str) -> bytes:
    kind = {
        400: "invalid_request_error",
        401: "authentication_error",
        404: "not_found_error",
        429: "rate_limit_error",
    }
    error = {"message": message, "type": kind.get(status, "server_error"), "code": status}
    return json.dumps({"error": error}).encode()


def _handler_for(server: OpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            return

        def _authorized(self) -> bool:
            if server.api_key is None:
                return True
            return self.headers.get("Authorization", "") == f"Bearer {server.api_key}"

        def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
                self.wfile.write(body)

        def do_GET(self) -> None:
            authorized = self._authorized()
            server._record("GET", self.path, None, authorized)
            if not authorized:
                return self._send(401, _error_body(401, "Incorrect API key provided"))
            if self.path.rstrip("/") == "/v1/models":
                models = {
                    "object": "list",
                    "data": [{"id": server.model, "object": "model", "owned_by": "test"}],
                }
                return self._send(200, json.dumps(models).encode())
            self._send(404, _error_body(404, f"no route {self.path}"))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except json.JSONDecodeError:
                body = None
            authorized = self._authorized()
            request = server._record("POST", self.path, body, authorized)
            if not authorized:
                return self._send(401, _error_body(401, "Incorrect API key provided"))
            if self.path.rstrip("/") != "/v1/chat/completions":
                return self._send(404, _error_body(404, f"no route {self.path}"))
            if not isinstance(body, dict) or "messages" not in body:
                return self._send(400, _error_body(400, "body must be JSON with 'messages'"))
            if server.unknown_model_status and body.get("model") != server.model:
                status = server.unknown_model_status
                message = f"The model `{body.get('model')}` does not exist."
                return self._send(status, _error_body(status, message))
            reply = server.reply_for(request)
            if reply.delay_s:
                time.sleep(reply.delay_s)
            if reply.raw_body is not None:
                return self._send(reply.status, reply.raw_body)
            if reply.status != 200:
                return self._send(reply.status, _error_body(reply.status, f"injected HTTP {reply.status}"))
            content = reply.content or ""
            usage = reply.usage or {
                "prompt_tokens": len(message_text(request).split()),
                "completion_tokens": len(content.split()),
            }
            usage.setdefault("total_tokens", usage["prompt_tokens"] + usage["completion_tokens"])
            completion = {
                "id": f"chatcmpl-loopback-{request.number}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model") or server.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": reply.finish_reason,
                    }
                ],
                "usage": usage,
            }
            self._send(200, json.dumps(completion).encode())

    return Handler


__all__ = [
    "OpenAIServer",
    "RecordedRequest",
    "Reply",
    "faults_then",
    "forward_to",
    "message_text",
    "start_openai_server",
]
