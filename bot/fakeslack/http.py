"""The fake Slack's HTTP plumbing: a threading server, decoding requests as Slack reads them
(form or JSON bodies, query arguments, a bearer or form token), and writing the answer back.
What to answer is `FakeSlack.serve`'s job (server.py)."""

import json
import sys
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from bot.fakeslack.checks import decode_body, decode_json_fields


@dataclass
class Reply:
    """One HTTP answer; `response` is what gets recorded (also for non-JSON answers)."""

    response: dict[str, Any]
    status: int = 200
    body: bytes | None = None  # None: the JSON of `response`
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    method: str  # "response_url" for response URLs, the path itself for unknown paths
    path: str
    args: dict[str, Any]
    token: str | None
    at: float
    problems: list[str]


class Answers(Protocol):
    def serve(self, request: Request) -> Reply: ...


class FakeSlackServer(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 makes bursts of 20+ clients wait for SYN retries (1 s and up).
    request_queue_size = 128
    fake: Answers

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away mid-request (killed, timed out) is not the fake's error.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class RequestHandler(BaseHTTPRequestHandler):
    server: FakeSlackServer
    # Keep-alive, as Slack's API offers: a pooled client reuses its connections.
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        at = time.monotonic()  # arrival, before the body is read
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        if parts.path.startswith("/upload/"):  # a file's bytes, to the URL Slack handed out
            self._send(self.server.fake.upload(parts.path.removeprefix("/upload/"), body))
            return
        args, problems = decode_body(body, self.headers.get("Content-Type") or "")
        query = decode_json_fields(dict(parse_qsl(parts.query, keep_blank_values=True)))
        args = {**query, **args}
        form_token = args.pop("token", None)  # kept out of args: tests compare args verbatim
        auth = self.headers.get("Authorization") or ""
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else None
        request = Request(_route(parts.path), parts.path, args, token or form_token, at, problems)
        self._send(self.server.fake.serve(request))

    do_GET = do_POST  # Slack accepts GET with query arguments too

    def _send(self, reply: Reply) -> None:
        body = reply.body if reply.body is not None else json.dumps(reply.response).encode()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout); the call is recorded anyway

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test and demo output clean; calls() is the log


def _route(path: str) -> str:
    if path.startswith("/api/") and len(path) > len("/api/"):
        return path.removeprefix("/api/")
    if path.startswith("/response/"):
        return "response_url"
    return path
