"""Time limits for slow clients: leadbot serves on the open network when it runs in HTTP mode,
and a client that trickles its request (or never finishes it) must not hold a connection open.

uvicorn bounds the wait between two requests on a kept-alive connection, but not the wait for a
request's headers: `GuardedProtocol` closes a connection whose headers are not complete in
`headers` seconds. A body is read under `body` seconds (`bot/http/intake.read_limited`).

The protocol is uvicorn's httptools one (a C parser), as `uvicorn[standard]` serves: with
uvloop, intake's answer came 0.4-0.9 ms sooner at p50 than on h11, the pure-Python parser, and
the SQLite intake ceiling rose 6-12 % (bench/README.md).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


@dataclass(frozen=True)
class Patience:
    headers: float = 10.0  # from the connection (or the last response) to a complete request head
    body: float = 30.0  # to read a whole body, at most 64 KiB (intake) or 1 MiB (Slack)


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol, plus a deadline for each request's headers."""

    patience = Patience()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._headers_deadline: asyncio.TimerHandle | None = None
        # Heads read whose responses have not gone yet: a request in progress (or one
        # pipelined behind it) is no slow client, however long its answer takes.
        self._unanswered = 0
        self._arm_headers_deadline()

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._unanswered += 1
        self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._unanswered = max(self._unanswered - 1, 0)
        if self._unanswered == 0:
            self._arm_headers_deadline()  # the next request on this connection gets its own

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm_headers_deadline(self) -> None:
        # One deadline per connection, replaced on each response: an earlier one left armed
        # would fire in some instant between two later requests and close a busy, healthy
        # connection under the client's next request.
        self._disarm()
        self._headers_deadline = self.loop.call_later(
            self.patience.headers, self._drop_if_headers_incomplete
        )

    def _disarm(self) -> None:
        if self._headers_deadline is not None:
            self._headers_deadline.cancel()
            self._headers_deadline = None

    def _drop_if_headers_incomplete(self) -> None:
        if self._unanswered == 0 and not self.transport.is_closing():
            self.transport.close()


def guarded(patience: Patience) -> type[GuardedProtocol]:
    """The protocol class with these limits (uvicorn takes a class, not an instance)."""
    return type("GuardedProtocol", (GuardedProtocol,), {"patience": patience})
