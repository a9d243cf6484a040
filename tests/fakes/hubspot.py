"""A stand-in for HubSpot's CRM API over real HTTP, for the sources' tests: contacts' batch read
and the owners list, shaped as HubSpot answers them (a 207 with `errors` when some ids are not
found), a private app token checked, and failures on demand."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

NOT_FOUND = ("Could not get some CONTACT objects, they may be deleted or not exist. Check that "
             "ids are valid.")  # fmt: skip


class FakeHubSpot:
    def __init__(self, token: str = "pat-na1-test") -> None:
        self.token = token
        self.contacts: dict[str, dict[str, Any]] = {}
        self.owners: list[dict[str, Any]] = []
        self.failing: int | None = None  # answer every call with this status
        self.calls: list[tuple[str, str, Any]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeHubSpot:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, method: str, path: str, auth: str, body: Any) -> tuple[int, Any]:
        self.calls.append((method, path, body))
        if auth != f"Bearer {self.token}":
            return 401, {"status": "error", "category": "INVALID_AUTHENTICATION",
                         "message": "Authentication credentials not found."}  # fmt: skip
        if self.failing is not None:
            return self.failing, {"status": "error", "message": "internal error"}
        route = urlsplit(path).path
        if method == "POST" and route == "/crm/v3/objects/contacts/batch/read":
            return self._batch_read(body)
        if method == "GET" and route == "/crm/v3/owners":
            return 200, {"results": self.owners}
        return 404, {"status": "error", "message": f"no route {route}"}

    def _batch_read(self, body: Any) -> tuple[int, Any]:
        wanted = [str(i["id"]) for i in body.get("inputs", [])]
        names = body.get("properties", [])
        stamp = "2026-11-26T10:00:00.000Z"
        results = [
            {"id": i, "properties": {k: v for k, v in self.contacts[i].items() if k in names},
             "createdAt": stamp, "updatedAt": stamp, "archived": False}
            for i in wanted if i in self.contacts
        ]  # fmt: skip
        missing = [i for i in wanted if i not in self.contacts]
        answer: dict[str, Any] = {"status": "COMPLETE", "results": results,
                                  "startedAt": "2026-11-26T10:00:00.000Z",
                                  "completedAt": "2026-11-26T10:00:00.100Z"}  # fmt: skip
        if missing:
            answer["errors"] = [{"status": "error", "category": "OBJECT_NOT_FOUND",
                                 "message": NOT_FOUND, "context": {"ids": missing}}]  # fmt: skip
            answer["numErrors"] = 1
        return (207 if missing else 200), answer


def _handler(fake: FakeHubSpot) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._reply(None)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._reply(json.loads(self.rfile.read(length) or b"{}"))

        def _reply(self, body: Any) -> None:
            auth = self.headers.get("Authorization", "")
            status, answer = fake.answer(self.command, self.path, auth, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: object) -> None:  # quiet
            return

    return Handler
