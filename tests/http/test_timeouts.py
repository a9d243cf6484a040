"""Slow clients are dropped after a bounded time, quietly (bot/http/timeouts.py): headers that
never finish, a body that trickles, a client that hangs up half way through its body; and
whatever bytes reach the socket, httptools' parser answers them without a 5xx."""

from __future__ import annotations

import http.client
import logging
import re
import socket
import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import create_app
from bot.fakeslack.server import FakeSlack
from bot.http.timeouts import Patience
from tests.conftest import INTAKE_TOKEN, SIGNING_SECRET, bot_settings, make_config
from tests.fakes.harness import PATIENCE, Harness

QUICK = Patience(headers=1.0, body=1.0)
HEAD = (
    b"POST /api/leads HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Authorization: Bearer " + INTAKE_TOKEN.encode() + b"\r\n"
)


@pytest.fixture
def impatient(fake_slack: FakeSlack, sqlite_url: str) -> Iterator[Harness]:
    app = create_app(bot_settings(fake_slack, sqlite_url), make_config())
    app.serve_in_thread(patience=QUICK)
    yield Harness(app, fake_slack, SIGNING_SECRET, INTAKE_TOKEN)
    app.stop()


def until_closed(conn: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a stuck one fails here)."""
    received = b""
    conn.settimeout(PATIENCE)
    while chunk := conn.recv(4096):
        received += chunk
    return received


def test_headers_that_never_finish_are_dropped(
    impatient: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.create_connection(("127.0.0.1", impatient.app.port)) as conn:
        conn.sendall(b"POST /api/leads HTTP/1.1\r\nHost: x\r\n")  # and nothing more
        assert until_closed(conn) == b""
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_body_that_trickles_gets_408(
    impatient: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.create_connection(("127.0.0.1", impatient.app.port)) as conn:
        conn.sendall(HEAD + b"Content-Length: 100\r\n\r\n" + b'{"name": ')  # 9 of 100 bytes
        assert until_closed(conn).startswith(b"HTTP/1.1 408 ")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_client_that_hangs_up_mid_body_leaves_no_trace(
    impatient: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.create_connection(("127.0.0.1", impatient.app.port)) as conn:
        conn.sendall(HEAD + b"Content-Length: 100\r\n\r\n" + b'{"name": ')
    deadline = time.monotonic() + PATIENCE
    while 'intake_rejected_total{status="400"} 1.0' not in impatient.get("/metrics")[1]:
        assert time.monotonic() < deadline, "the server never noticed the hang-up"
        time.sleep(0.05)
    assert impatient.post_lead({"name": "Dana"})[0] == 201  # and it serves the next one
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_busy_kept_alive_connection_is_never_dropped(impatient: Harness) -> None:
    """Found by bench/fuzz_bench.py: each response armed a headers deadline that was never
    disarmed, so one armed seconds earlier could fire in the instant between two requests and
    close a healthy connection: the client's next request (a lead) met a reset."""
    conn = http.client.HTTPConnection("127.0.0.1", impatient.app.port, timeout=PATIENCE)
    deadline, served = time.monotonic() + 4 * QUICK.headers, 0
    while time.monotonic() < deadline:
        conn.request("GET", "/healthz")  # raises if the server closed the connection
        response = conn.getresponse()
        response.read()
        assert response.status == 200
        served += 1
    conn.close()
    assert served > 100


@pytest.fixture
def slow_body_allowed(fake_slack: FakeSlack, sqlite_url: str) -> Iterator[Harness]:
    app = create_app(bot_settings(fake_slack, sqlite_url), make_config())
    app.serve_in_thread(patience=Patience(headers=0.5, body=5.0))
    yield Harness(app, fake_slack, SIGNING_SECRET, INTAKE_TOKEN)
    app.stop()


def test_a_request_past_its_head_is_not_dropped_by_the_headers_deadline(
    slow_body_allowed: Harness,
) -> None:
    """The headers deadline is for heads: a body still arriving (within its own patience)
    after it would have fired is answered, not cut off; so is one pipelined behind another
    request, whose head was read before the first answer went out."""
    body = b'{"name": "Dana", "source": "web", "external_id": "slow-body"}'
    first = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection(("127.0.0.1", slow_body_allowed.app.port)) as conn:
        conn.sendall(first + HEAD + b"Content-Length: %d\r\n\r\n" % len(body) + body[:5])
        time.sleep(1.2)  # more than twice the headers' patience
        conn.sendall(body[5:])
        answers = until_answered(conn, 2)
    assert answers.startswith(b"HTTP/1.1 200 "), answers[:200]
    assert answers.count(b"HTTP/1.1 201 ") == 1, answers


def test_pipelined_requests_are_all_answered_then_the_idle_connection_is_closed(
    impatient: Harness,
) -> None:
    """Two requests in one write: both answered in order. Only after the last answer does the
    wait for a next head begin, and a connection that sends none is closed at its deadline."""
    get = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection(("127.0.0.1", impatient.app.port)) as conn:
        conn.sendall(get + get)
        started = time.monotonic()
        received = until_closed(conn)
        waited = time.monotonic() - started
    assert received.count(b"HTTP/1.1 200 ") == 2
    # uvloop's timers count whole milliseconds from the loop's cached clock, so the close may
    # land a hair before a full second after our stamp (CI saw 0.9998 s). Half the patience
    # still tells "closed at its deadline" from "closed as soon as answered" (a few ms).
    assert waited > QUICK.headers / 2  # not cut off early, and not held open past PATIENCE


def until_answered(conn: socket.socket, count: int) -> bytes:
    """Bytes until `count` whole responses (each its Content-Length of body) or the close."""
    received = b""
    conn.settimeout(PATIENCE)
    while chunk := conn.recv(4096):
        received += chunk
        if _whole_responses(received) >= count:
            break
    return received


def _whole_responses(data: bytes) -> int:
    whole = 0
    while b"\r\n\r\n" in data:
        head, _, rest = data.partition(b"\r\n\r\n")
        lengths = [
            int(value)
            for name, _, value in (line.partition(b":") for line in head.split(b"\r\n"))
            if name.lower() == b"content-length"
        ]
        length = lengths[0] if lengths else 0
        if len(rest) < length:
            break
        whole, data = whole + 1, rest[length:]
    return whole


# Request heads close to real ones, so that most reach a route, with odd methods, paths,
# versions and framing headers; wholly arbitrary bytes are the test's other input.
_PRINTABLE = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40).map(
    str.encode
)
_METHOD = st.sampled_from([b"GET", b"POST", b"POST", b"PUT", b"HEAD", b"BREW", b"get"])
_TARGET = st.sampled_from([b"/api/leads", b"/healthz", b"/slack/events", b"/metrics"]) | st.text(
    "abcdefghijklmnopqrstuvwxyz0123456789-._~%/?=&", max_size=40
).map(lambda path: b"/" + path.encode())
_VERSION = st.sampled_from([b"HTTP/1.1", b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"HTTP/0.9"])
_NAME = st.sampled_from(
    [b"Content-Length", b"Transfer-Encoding", b"Content-Type", b"Authorization", b"Host"]
) | st.text("abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=20).map(str.encode)
_VALUE = (
    st.sampled_from([b"chunked", b"5", b"-1", b"99999999999999999999", b"application/json"])
    | st.just(b"Bearer " + INTAKE_TOKEN.encode())
    | _PRINTABLE
)
_HEADER = st.tuples(_NAME, _VALUE)
_HEADS = st.builds(
    lambda method, target, version, headers, body: (
        method + b" " + target + b" " + version + b"\r\n"
        + b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        + b"\r\n" + body
    ),
    _METHOD, _TARGET, _VERSION, st.lists(_HEADER, max_size=6), st.binary(max_size=80),
)  # fmt: skip


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=_HEADS | st.binary(min_size=1, max_size=300))
def test_any_bytes_on_the_wire_get_no_5xx_and_the_server_serves_on(
    impatient: Harness, raw: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    """What reaches the socket before any route (request lines, headers, framing) is parsed by
    httptools: whatever it is, the answer is a 4xx or a closed connection, never a 5xx or an
    ERROR, and the next client is served."""
    with socket.create_connection(("127.0.0.1", impatient.app.port)) as conn:
        conn.sendall(raw)
        conn.shutdown(socket.SHUT_WR)  # and nothing more: the server sees the end at once
        received = until_closed(conn)
    for status in re.findall(rb"^HTTP/1\.[01] (\d{3}) ", received, flags=re.MULTILINE):
        assert int(status) < 500, received[:300]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert impatient.get("/healthz")[0] == 200
