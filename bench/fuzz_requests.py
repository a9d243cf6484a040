"""The requests bench/fuzz_bench.py sends: drawn by hypothesis from the strategies the property
tests use (`tests/strategies.py`), shaped into intake and Slack requests, and sent from K
keep-alive clients. Signed as Slack signs; forged or broken ones as an attacker would."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.strategies import SearchStrategy
from intake_bench import SETTINGS, TOKEN

from blocks import ids
from bot.fakeslack.requests import block_action, slash_command
from bot.http.slack import MAX_SLACK_BODY
from tests.strategies import LEAD, slack_body

T = TypeVar("T")
Request = tuple[str, bytes, dict[str, str]]  # path, body, headers
Spoiled = tuple[bytes, dict[str, str]]  # a body and its headers
Answer = tuple[int, float, bytes]  # status (0: no answer), seconds, intake body or error
SECRET = SETTINGS["slack_signing_secret"]


def generate(strategy: SearchStrategy[T], count: int, first_seed: int) -> list[T]:
    """`count` examples from hypothesis's own engine (the one the property tests use, which
    reaches for the edges: empty, huge, surrogates, boundaries); no shrinking."""
    drawn: list[T] = []
    for round_seed in range(first_seed, first_seed + 1000):

        @seed(round_seed)
        @settings(
            max_examples=count - len(drawn),
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(strategy)
        def collect(example: T) -> None:
            drawn.append(example)

        collect()
        if len(drawn) >= count:
            break
    return drawn[:count]


def unique_lead(body: bytes, i: int) -> bytes:
    """A spoiled copy of the sample lead keeps its `external_id`: made unique, so it is a new
    lead (and a new card) rather than a duplicate of the first one. Bytes, not parsed: some
    bodies are built to break JSON parsers."""
    sample = f'"external_id": "{LEAD["external_id"]}"'.encode()
    return body.replace(sample, f'"external_id": "fuzz-{i}"'.encode(), 1)


def intake_requests(bodies: Sequence[bytes]) -> list[Request]:
    """Every 40th without the token, every 40th as text/plain, every 97th padded past the
    64 KiB cap: those doors must stay shut for any body."""
    requests: list[Request] = []
    for i, generated in enumerate(bodies):
        body = unique_lead(generated, i)
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        if i % 40 == 7:
            del headers["Authorization"]
        elif i % 40 == 19:
            headers["Content-Type"] = "text/plain"
        elif i % 97 == 3:
            body = b" " * (64 * 1024) + body
        requests.append(("/api/leads", body, headers))
    return requests


def slack_headers(body: bytes, content_type: str, stamp: str | None = None) -> dict[str, str]:
    """Signed as Slack signs: HMAC-SHA256 over `v0:{timestamp}:` and the raw bytes."""
    stamp = str(int(time.time())) if stamp is None else stamp
    mac = hmac.new(SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256)
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={mac.hexdigest()}",
        "Content-Type": content_type,
    }


def content_type(body: str) -> str:
    return "application/json" if body.startswith("{") else "application/x-www-form-urlencoded"


def signed_requests(generated: Sequence[tuple[str, dict[str, Any]]], url: str) -> list[Request]:
    requests: list[Request] = []
    for kind, content in generated:
        body = slack_body(kind, content, url)
        requests.append(("/slack/events", body.encode(), {"Content-Type": content_type(body)}))
    return requests  # signed when sent: a timestamp is good for 5 minutes


def forged_bodies(response_url: str) -> list[str]:
    """Requests that would change something if leadbot believed them."""
    claim = block_action(ids.CLAIM, "1", user_id="U0BO", channel_id="C0LEADS", message_ts="1.2")
    away = slash_command("away 1h", user_id="U0BO", channel_id="C0LEADS", response_url=response_url)
    return [claim, away]


def refused_requests(count: int, response_url: str) -> tuple[list[Request], list[int]]:
    """Unsigned, wrongly signed, stale or junk timestamps, signed but unreadable, too big.
    Each body is made unique, so no answer is a replay's (which is a quiet 200)."""
    now = int(time.time())
    form = "application/x-www-form-urlencoded"

    def sign(body: bytes, kind: str = form, stamp: str | None = None) -> Spoiled:
        return body, slack_headers(body, kind, stamp)

    variants: list[tuple[int, Callable[[bytes], Spoiled]]] = [
        (401, lambda b: (b, {"Content-Type": form})),
        (401, lambda b: (b, slack_headers(b + b"x", form))),
        (401, lambda b: sign(b, stamp="abc")),
        (401, lambda b: sign(b, stamp="1e3")),
        (401, lambda b: sign(b, stamp="")),
        (401, lambda b: sign(b, stamp=str(now - 600))),
        (400, lambda b: sign(b"\xff\xfe" + b)),
        (400, lambda b: sign(b"payload=%7Bnot-json" + b[-12:])),
        (400, lambda b: sign(b"{not json" + b[-12:], "application/json")),
        (413, lambda b: sign(b + b"&pad=" + b"x" * MAX_SLACK_BODY)),
    ]
    bodies = [body.encode() for body in forged_bodies(response_url)]
    requests: list[Request] = []
    expected: list[int] = []
    for i in range(count):
        expect, spoil = variants[i % len(variants)]
        body, headers = spoil(bodies[i % len(bodies)] + f"&bench={i:08d}".encode())
        requests.append(("/slack/events", body, headers))
        expected.append(expect)
    return requests, expected


class Sender:
    """K clients, one keep-alive connection each; answers in request order."""

    def __init__(self, port: int, clients: int) -> None:
        self.port, self.clients = port, clients

    def send(self, requests: Sequence[Request], sign: bool = False) -> list[Answer]:
        answers: list[Answer] = [(0, 0.0, b"")] * len(requests)

        def client(mine: range) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            for i in mine:
                answers[i] = self._one(conn, requests[i], sign)
            conn.close()

        with ThreadPoolExecutor(self.clients) as pool:
            n, k = len(requests), self.clients
            list(pool.map(client, [range(start, n, k) for start in range(k)]))
        return answers

    @staticmethod
    def _one(conn: http.client.HTTPConnection, request: Request, sign: bool) -> Answer:
        path, body, headers = request
        if sign:  # at send time: a timestamp is good for 5 minutes
            headers = {**headers, **slack_headers(body, headers["Content-Type"])}
        started = time.monotonic()
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as err:  # the server hung up: status 0
            conn.close()  # http.client reconnects on the next request
            return 0, time.monotonic() - started, repr(err).encode()
        kept = payload if path == "/api/leads" and response.status in (200, 201) else b""
        return response.status, time.monotonic() - started, kept
