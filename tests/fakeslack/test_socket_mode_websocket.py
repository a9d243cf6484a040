"""RFC 6455 framing and the opening handshake, as the fake Socket Mode speaks them
(bot/fakeslack/websocket.py)."""

from __future__ import annotations

import io
import os
import struct

import pytest

from bot.fakeslack import websocket as ws


def client_frame(opcode: int, payload: bytes) -> bytes:
    """A frame as a client sends it: final, masked with a random key."""
    size, key = len(payload), os.urandom(4)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536])
def test_masked_client_frames_read_back_whole(size: int) -> None:
    payload = os.urandom(size)
    frame = ws.read_frame(io.BytesIO(client_frame(ws.TEXT, payload)))
    assert (frame.fin, frame.opcode, frame.data, frame.masked) == (True, ws.TEXT, payload, True)


@pytest.mark.parametrize("size", [0, 125, 126, 65536])
def test_server_frames_are_unmasked_and_read_back(size: int) -> None:
    payload = b"x" * size
    encoded = ws.encode(ws.PONG, payload)
    assert encoded[1] & 0x80 == 0  # a server never masks
    frame = ws.read_frame(io.BytesIO(encoded))
    assert (frame.opcode, frame.data, frame.masked) == (ws.PONG, payload, False)


def test_a_frame_cut_short_is_the_end_of_the_stream() -> None:
    with pytest.raises(EOFError):
        ws.read_frame(io.BytesIO(client_frame(ws.TEXT, b"hello")[:-1]))


def test_the_accept_key_is_rfc_6455s_example() -> None:
    answer = ws.accept_response("dGhlIHNhbXBsZSBub25jZQ==")  # RFC 6455, section 1.3
    assert answer.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
    assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in answer


@pytest.mark.parametrize(
    ("request_text", "reason"),
    [
        ("POST /link/ HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k\r\n", "Bad Request"),
        ("GET /link/ HTTP/1.1\r\nSec-WebSocket-Key: k\r\nSec-WebSocket-Version: 13\r\n", "Bad"),
        ("GET /link/ HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k\r\n", "Upgrade"),
    ],
)
def test_what_is_not_an_upgrade_is_refused(request_text: str, reason: str) -> None:
    with pytest.raises(ws.HandshakeError, match=reason):
        ws.read_upgrade(io.BytesIO((request_text + "\r\n").encode()))


def test_an_upgrade_is_read_with_its_path_and_key() -> None:
    request = (
        "GET /link/?ticket=t1 HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: abc==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    assert ws.read_upgrade(io.BytesIO(request.encode())) == ws.Upgrade("/link/?ticket=t1", "abc==")
