"""The server side of RFC 6455, as much as the fake Socket Mode needs: the opening handshake,
frames and one connection's socket. Standard library only (the demo ships the fake), so written
out here: a client masks what it sends, a server does not.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO, Literal

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455, section 1.3
_MAX_HEAD = 16 * 1024


class HandshakeError(Exception):
    """Not a websocket upgrade this server takes; the message is the HTTP status line's reason."""


@dataclass(frozen=True)
class Upgrade:
    path: str  # with the query: "/link/?ticket=…"
    key: str


@dataclass(frozen=True)
class Frame:
    fin: bool
    opcode: int
    data: bytes
    masked: bool


@dataclass
class Link:
    """One server-side websocket connection and what the fake knows of it."""

    id: int
    sock: socket.socket
    opened_at: float  # time.monotonic(), as every time here
    # retiring: told to disconnect; silent, dropped: cut on purpose (socket kept open, or not)
    state: Literal["open", "retiring", "silent", "dropped", "closed"] = "open"
    hello_at: float | None = None
    closed_at: float | None = None
    pings: int = 0
    problems: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def send(self, opcode: int, payload: bytes = b"") -> bool:
        """One frame, whole (frames from several threads never interleave); False if the
        connection is gone."""
        with self._lock:
            try:
                self.sock.sendall(encode(opcode, payload))
                return True
            except OSError:
                return False


def handshake(link: Link, rfile: BinaryIO, allowed: Callable[[str], bool]) -> bool:
    """Answer the opening handshake: 101 if it is an upgrade to a path `allowed` takes."""
    try:
        upgrade = read_upgrade(rfile)
    except HandshakeError as err:
        link.sock.sendall(refusal(400, str(err)))
        return False
    if not allowed(upgrade.path):
        link.problems.append(f"refused a URL apps.connections.open did not give: {upgrade.path}")
        link.sock.sendall(refusal(401, "Unauthorized"))
        return False
    link.sock.sendall(accept_response(upgrade.key))
    return True


def shut(sock: socket.socket, how: int = socket.SHUT_RDWR) -> None:
    with contextlib.suppress(OSError):  # not connected (any more)
        sock.shutdown(how)


def read_upgrade(rfile: BinaryIO) -> Upgrade:
    """Read an HTTP/1.1 upgrade request up to its blank line; raise HandshakeError if it is not
    one."""
    request_line = rfile.readline(_MAX_HEAD).decode("latin-1").strip()
    headers: dict[str, str] = {}
    size = len(request_line)
    while line := rfile.readline(_MAX_HEAD).decode("latin-1").strip():
        size += len(line)
        if size > _MAX_HEAD:
            raise HandshakeError("Request Header Fields Too Large")
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    method, _, rest = request_line.partition(" ")
    path = rest.rpartition(" ")[0]
    key = headers.get("sec-websocket-key", "")
    if method != "GET" or headers.get("upgrade", "").lower() != "websocket" or not key:
        raise HandshakeError("Bad Request")
    if headers.get("sec-websocket-version") != "13":
        raise HandshakeError("Upgrade Required")
    return Upgrade(path, key)


def accept_response(key: str) -> bytes:
    """The 101 answer to an upgrade with this Sec-WebSocket-Key."""
    digest = hashlib.sha1((key + _GUID).encode()).digest()
    return (
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {base64.b64encode(digest).decode()}\r\n\r\n"
    ).encode()


def refusal(status: int, reason: str) -> bytes:
    return f"HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()


def encode(opcode: int, payload: bytes = b"") -> bytes:
    """One unmasked, final frame (a server never masks)."""
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, size)
    return head + payload


def close_payload(code: int, reason: str = "") -> bytes:
    return struct.pack("!H", code) + reason.encode()[:123]


def read_frame(rfile: BinaryIO) -> Frame:
    """The next frame; EOFError when the peer's side of the stream has ended."""
    first, second = _exactly(rfile, 2)
    size = second & 0x7F
    if size == 126:
        (size,) = struct.unpack("!H", _exactly(rfile, 2))
    elif size == 127:
        (size,) = struct.unpack("!Q", _exactly(rfile, 8))
    masked = bool(second & 0x80)
    mask = _exactly(rfile, 4) if masked else b""
    data = _exactly(rfile, size)
    if masked and size:
        # XOR as one big integer: a byte-by-byte loop is slow for long payloads.
        key = (mask * (size // 4 + 1))[:size]
        data = (int.from_bytes(data, "big") ^ int.from_bytes(key, "big")).to_bytes(size, "big")
    return Frame(bool(first & 0x80), first & 0x0F, data, masked)


def _exactly(rfile: BinaryIO, size: int) -> bytes:
    data = rfile.read(size) if size else b""
    if len(data) < size:
        raise EOFError("the peer ended the stream")
    return data
