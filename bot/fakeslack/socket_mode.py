"""Slack's Socket Mode side of the fake: the websocket `apps.connections.open` points at.

It speaks as Slack does (docs.slack.dev/apis/events-api/using-socket-mode): `hello` once a
connection is open, envelopes (`events_api`, `interactive`, `slash_commands`, each with an
`envelope_id`) that the app acknowledges with `{"envelope_id": …}`, a pong for every ping, and
`disconnect` before Slack retires a connection. It also does what Slack cannot be asked to do on
cue: `drop()` cuts the connections abruptly, as a dead NAT entry, a lost route or a crashed proxy
would. Over real loopback sockets, so the real slack_sdk clients run against it unchanged.

An envelope goes to the newest open connection; while there is none (after a drop, before the app
is back) it waits and goes out right after the next `hello`, as Slack holds events for an app
that is reconnecting. Unacknowledged envelopes are not redelivered. Standard library only.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Self
from urllib.parse import parse_qs, urlsplit

from bot.fakeslack import websocket as ws
from bot.fakeslack.websocket import Link

APP_ID = "A0APP"
# "silent": the peer answers nothing more, not even a pong, and sends neither a close frame nor
# a FIN (a blackholed route). "eof": the TCP stream ends without a close frame (a proxy that
# died). "reset": the connection is reset (RST).
DropKind = Literal["silent", "eof", "reset"]
DisconnectReason = Literal["refresh_requested", "warning", "link_disabled"]
_RESPONSE_TYPES = ("view_submission", "block_suggestion")  # interactions answered in the ack
_DEBUG_INFO = {"host": "applink-fake", "approximate_connection_time": 18060}


@dataclass(frozen=True)
class Ack:
    envelope_id: str
    payload: dict[str, Any] | None  # what the app answered with, when it did
    link: int
    at: float  # time.monotonic() when the fake read it


class FakeSocketMode:
    """Socket Mode endpoint; started by the first `apps.connections.open` (or `start()`) and
    stopped with its FakeSlack."""

    def __init__(self, host: str = "127.0.0.1", *, retire_after: float = 10.0) -> None:
        """`retire_after`: seconds a connection told to `disconnect` stays open before the fake
        closes it (Slack closes it a few seconds after; the app should reconnect meanwhile)."""
        self.host = host
        self.port = 0
        self.retire_after = retire_after
        self._cond = threading.Condition()
        self._server: socket.socket | None = None
        self._links: list[Link] = []
        self._tickets: set[str] = set()
        self._acks: list[Ack] = []
        self._pending: list[str] = []  # envelopes waiting for an open connection
        self._threads: list[threading.Thread] = []
        self._timers: list[threading.Timer] = []

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> Self:
        with self._cond:
            if self._server is None:
                self._server = socket.create_server((self.host, 0))
                self.port = self._server.getsockname()[1]
                self._spawn(self._accept, self._server, name="fakeslack-socket-mode")
        return self

    def stop(self) -> None:
        with self._cond:
            server, self._server = self._server, None
            links = list(self._links)
        if server is None:
            return
        for timer in self._timers:
            timer.cancel()
        ws.shut(server)
        server.close()
        for link in links:
            ws.shut(link.sock)
            link.sock.close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    def open_connection(self) -> dict[str, Any]:
        """`apps.connections.open`'s answer: the URL of a new connection."""
        self.start()
        ticket = uuid.uuid4().hex
        with self._cond:
            self._tickets.add(ticket)
        return {"ok": True, "url": f"ws://{self.host}:{self.port}/link/?ticket={ticket}"}

    # -- scripting -----------------------------------------------------------------------------
    def send(
        self,
        kind: Literal["events_api", "interactive", "slash_commands"],
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        retry_attempt: int = 0,
    ) -> str:
        """Deliver one envelope (now, or after the next `hello`); returns its envelope_id."""
        envelope_id = str(uuid.uuid4())
        if accepts_response_payload is None:
            accepts_response_payload = kind == "slash_commands" or (
                kind == "interactive" and payload.get("type") in _RESPONSE_TYPES
            )
        envelope = {"envelope_id": envelope_id, "payload": payload, "type": kind}
        envelope["accepts_response_payload"] = accepts_response_payload
        if kind == "events_api":
            envelope |= {"retry_attempt": retry_attempt, "retry_reason": ""}
        text = json.dumps(envelope)
        with self._cond:
            link = self._newest_open()
            if link is None or not link.send(ws.TEXT, text.encode()):
                self._pending.append(text)
        return envelope_id

    def drop(self, how: DropKind = "silent") -> None:
        """Cut every live connection abruptly: no close frame, and for "silent" no FIN either."""
        with self._cond:
            live = [link for link in self._links if link.state in ("open", "retiring")]
            for link in live:
                link.state = "silent" if how == "silent" else "dropped"
                link.closed_at = time.monotonic()
            self._cond.notify_all()
        for link in live:
            if how == "eof":
                ws.shut(link.sock)  # FIN; the reader sees the end and closes the socket
            elif how == "reset":
                # Closed with a zero linger time, a socket sends RST instead of FIN.
                link.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                ws.shut(link.sock, socket.SHUT_RD)  # wakes the reader, sends nothing
            # "silent": the reader stops at its next frame and leaves the socket open

    def disconnect(self, reason: DisconnectReason = "refresh_requested") -> None:
        """Slack's notice before it retires a connection: new envelopes go to the next one."""
        message = {"type": "disconnect", "reason": reason, "debug_info": _DEBUG_INFO}
        with self._cond:
            live = [link for link in self._links if link.state == "open"]
            for link in live:
                link.state = "retiring"
        for link in live:
            link.send(ws.TEXT, json.dumps(message).encode())
            timer = threading.Timer(self.retire_after, self._retire, args=(link,))
            timer.daemon = True
            self._timers.append(timer)
            timer.start()

    # -- inspection ----------------------------------------------------------------------------
    def links(self) -> list[Link]:
        with self._cond:
            return list(self._links)

    def acks(self, envelope_id: str | None = None) -> list[Ack]:
        with self._cond:
            return [a for a in self._acks if envelope_id in (None, a.envelope_id)]

    def problems(self) -> list[str]:
        with self._cond:
            return [f"link {link.id}: {p}" for link in self._links for p in link.problems]

    def wait_for_ack(self, envelope_id: str, timeout: float = 30.0) -> Ack:
        found = self.wait_until(lambda: self.acks(envelope_id), timeout)
        if not found:
            raise AssertionError(f"no ack for envelope {envelope_id} within {timeout}s")
        return found[0]

    def wait_for_hellos(self, count: int, timeout: float = 30.0) -> list[Link]:
        """Wait until `count` connections were opened and greeted (in all, ever)."""

        def greeted() -> list[Link]:
            hellos = [link for link in self._links if link.hello_at is not None]
            return hellos if len(hellos) >= count else []

        found = self.wait_until(greeted, timeout)
        if not found:
            raise AssertionError(f"waited {timeout}s for {count} connection(s): {self.links()}")
        return found

    def _newest_open(self) -> Link | None:
        greeted = (link for link in reversed(self._links) if link.hello_at is not None)
        return next((link for link in greeted if link.state == "open"), None)

    def wait_until(self, probe: Callable[[], list[Any]], timeout: float = 30.0) -> list[Any]:
        """What `probe` returns once it is not empty (it runs with the lock held); else []."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not (found := probe()) and (left := deadline - time.monotonic()) > 0:
                self._cond.wait(left)
            return found

    # -- serving (one thread per connection) ---------------------------------------------------
    def _spawn(self, target: Callable[..., None], *args: Any, name: str) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                sock, _ = server.accept()
            except OSError:
                return  # stop() closed the listening socket
            with self._cond:
                if self._server is None:
                    sock.close()
                    return
                link = Link(len(self._links) + 1, sock, time.monotonic())
                self._links.append(link)
                self._spawn(self._serve, link, name=f"fakeslack-link-{link.id}")

    def _serve(self, link: Link) -> None:
        rfile = link.sock.makefile("rb")
        try:
            if ws.handshake(link, rfile, self._known):
                self._hello(link)
                self._read(link, rfile)
        except (OSError, EOFError):
            pass  # the stream ended or broke: the connection is over
        finally:
            with self._cond:
                silent = link.state == "silent"
                if link.state in ("open", "retiring"):
                    link.state, link.closed_at = "closed", time.monotonic()
                self._cond.notify_all()
            if not silent:  # a silent link keeps its socket open: no FIN may reach the app
                rfile.close()
                link.sock.close()

    def _known(self, path: str) -> bool:
        ticket = parse_qs(urlsplit(path).query).get("ticket", [""])[0]
        with self._cond:
            return ticket in self._tickets

    def _hello(self, link: Link) -> None:
        with self._cond:
            count = sum(1 for other in self._links if other.state in ("open", "retiring"))
            hello = {"type": "hello", "num_connections": count, "debug_info": _DEBUG_INFO}
            hello["connection_info"] = {"app_id": APP_ID}
            link.send(ws.TEXT, json.dumps(hello).encode())
            link.hello_at = time.monotonic()
            pending, self._pending = self._pending, []
            for text in pending:  # under the lock: nothing overtakes the envelopes held back
                link.send(ws.TEXT, text.encode())
            self._cond.notify_all()

    def _read(self, link: Link, rfile: Any) -> None:
        while True:
            frame = ws.read_frame(rfile)
            with self._cond:
                if link.state in ("silent", "dropped"):
                    return  # read nothing more, answer nothing
            if not frame.masked or not frame.fin:
                link.problems.append(f"a frame unmasked or in fragments (RFC 6455): {frame}")
            if frame.opcode == ws.PING:
                link.pings += 1
                link.send(ws.PONG, frame.data)
            elif frame.opcode == ws.CLOSE:
                link.send(ws.CLOSE, frame.data[:2])  # echo the code, then the stream ends
                return
            elif frame.opcode == ws.TEXT:
                self._record_ack(link, frame.data)

    def _record_ack(self, link: Link, data: bytes) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            message = None
        if not isinstance(message, dict) or not isinstance(message.get("envelope_id"), str):
            link.problems.append(f"not an acknowledgement: {data[:200]!r}")
            return
        with self._cond:
            self._acks.append(
                Ack(message["envelope_id"], message.get("payload"), link.id, time.monotonic())
            )
            self._cond.notify_all()

    def _retire(self, link: Link) -> None:
        with self._cond:
            if link.state != "retiring":
                return
        link.send(ws.CLOSE, ws.close_payload(1001, "refresh"))
        ws.shut(link.sock)


def envelope_payload(body: str) -> dict[str, Any]:
    """The Socket Mode `payload` for a request built for HTTP (bot/fakeslack/requests.py): Slack
    sends the same fields, as JSON, over the socket."""
    if body.startswith("{"):
        return dict(json.loads(body))
    fields = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
    return dict(json.loads(fields["payload"])) if set(fields) == {"payload"} else fields
