"""What the vendors' stand-ins share (tests/fakes/hubspot.py, salesforce.py): a JSON API over
real HTTP on loopback. A subclass answers `answer(method, path, auth, body)` with
`(status, body)` or `(status, body, headers)`; a body of None is an empty answer (a 204)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class JsonApiFake:
    content_type = "application/json"

    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Self:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, method: str, path: str, auth: str, body: Any) -> tuple[Any, ...]:
        raise NotImplementedError


def _handler(fake: JsonApiFake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._reply(None)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._reply(json.loads(self.rfile.read(length) or b"{}"))

        do_PATCH = do_POST

        def _reply(self, body: Any) -> None:
            auth = self.headers.get("Authorization", "")
            status, answer, *extra = fake.answer(self.command, self.path, auth, body)
            data = b"" if answer is None else json.dumps(answer).encode()
            self.send_response(status)
            for name, value in (extra[0] if extra else {}).items():
                self.send_header(name, value)
            if data:
                self.send_header("Content-Type", fake.content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: object) -> None:  # quiet
            return

    return Handler
