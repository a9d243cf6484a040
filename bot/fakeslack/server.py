"""A fake Slack Web API served over real HTTP, for the test suite and `leadbot demo`.

The bot talks to it with the real `slack_sdk.WebClient(base_url=fake.url)`, so request encoding,
HTTP status handling, `Retry-After` and error parsing are the SDK's own: nothing is monkeypatched.
Every call is recorded with its decoded arguments and validated (see checks.py); tests
wait for calls with `wait_for` instead of sleeping. Standard library + slack_sdk only.
"""

import copy
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self

from bot.fakeslack.checks import check_call
from bot.fakeslack.files import StoredFile
from bot.fakeslack.http import FakeSlackServer, Reply, Request, RequestHandler
from bot.fakeslack.pacing import RateLimits, SlackPacing
from bot.fakeslack.socket_mode import FakeSocketMode
from bot.fakeslack.world import METHODS, SlackWorld, dm_channel_id, resolve_channel

__all__ = ["FakeSlack", "RateLimits", "RecordedCall", "dm_channel_id"]

_HTML_503 = b"<html><body><h1>503 Service Unavailable</h1></body></html>"
OPEN_SOCKET = "apps.connections.open"  # Socket Mode: the one method an app-level token calls


@dataclass
class RecordedCall:
    method: str
    args: dict[str, Any]
    token: str | None
    at: float
    response: dict[str, Any]
    problems: list[str]
    path: str = ""  # request path; tells response_url names apart ("/response/r1")

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))


@dataclass
class _Failure:
    status: int
    error: str
    retry_after: int | None


class FakeSlack:
    """Fake Slack Web API; use as a context manager or call start()/stop()."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        latency: float = 0.0,
        limits: RateLimits | None = None,
    ) -> None:
        """`latency`: seconds every answer takes (Slack answers in 50-150 ms from most places);
        `limits`: Slack's rate limits, enforced with 429 + Retry-After (off when None)."""
        self.host, self.port = host, port
        self.latency = latency
        self.limits = limits
        self._server: FakeSlackServer | None = None
        self._thread: threading.Thread | None = None
        # One condition guards all state below; wait_for sleeps on it until a call is recorded.
        self._cond = threading.Condition()
        self._world = SlackWorld()
        self.socket_mode = FakeSocketMode(host)  # listens from the first apps.connections.open
        self.reset()

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> Self:
        if self._server is None:
            self._server = FakeSlackServer((self.host, self.port), RequestHandler)
            self._server.fake = self
            self.port = self._server.server_address[1]
            self._world.files.base_url = self.url.removesuffix("api/")  # upload URLs point here
            # A short poll interval makes stop() (and so every test teardown) quick.
            self._thread = threading.Thread(
                target=self._server.serve_forever, args=(0.02,), name="fakeslack", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server, self._thread = None, None
        self.socket_mode.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        return f"http://{self.host}:{self.port}/api/"

    def upload(self, file_id: str, data: bytes) -> Reply:
        """The bytes of a file, posted to its upload URL (no token: the URL is the capability)."""
        with self._cond:
            status, body = self._world.files.upload(file_id, data)
            self._calls.append(RecordedCall("file.upload", {"file_id": file_id, "bytes": len(data)},
                                            None, time.monotonic(), {"ok": status == 200}, [],
                                            f"/upload/{file_id}"))  # fmt: skip
            self._cond.notify_all()
        return Reply({"ok": status == 200}, status, body, "text/plain")

    def file(self, file_id: str) -> StoredFile | None:
        with self._cond:
            stored = self._world.files.files.get(file_id)
            return copy.deepcopy(stored)

    def response_url(self, name: str = "r1") -> str:
        return self.url.removesuffix("/api/") + f"/response/{name}"

    # -- inspection ----------------------------------------------------------------------------
    def calls(self, method: str | None = None) -> list[RecordedCall]:
        with self._cond:
            return [c for c in self._calls if method is None or c.method == method]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 30.0,
        where: Callable[[RecordedCall], bool] | None = None,
    ) -> list[RecordedCall]:
        """Wait until `count` successful `method` calls (matching `where`) were recorded.

        Returns as soon as they are: the generous ceiling only matters when something is wrong,
        and keeps a busy machine (a CI neighbour, a full core) from failing a healthy test."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [
                    c
                    for c in self._calls
                    if c.method == method and c.ok and (where is None or where(c))
                ]
                remaining = deadline - time.monotonic()
                if len(found) >= count or remaining <= 0:
                    break
                self._cond.wait(remaining)
            if len(found) >= count:
                return found
            seen = "\n".join(f"  {_short(c)}" for c in self._calls) or "  (none)"
        raise AssertionError(
            f"waited {timeout}s for {count} ok {method} call(s), got {len(found)}; "
            f"calls so far:\n{seen}"
        )

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """A posted message as it is now, with "history": its versions before each update."""
        with self._cond:
            return self._world.message(channel, ts)

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        with self._cond:
            return self._world.messages(channel)

    def problems(self) -> list[str]:
        with self._cond:
            return list(self._problems)

    def home(self, user_id: str) -> dict[str, Any] | None:
        """The App Home view last published for a user."""
        with self._cond:
            return self._world.home(user_id)

    # -- scripting -----------------------------------------------------------------------------
    def set_limits(self, limits: RateLimits | None) -> None:
        with self._cond:
            self.limits = limits
            self._pacing = SlackPacing(limits) if limits else None

    @property
    def ratelimited(self) -> int:
        """How many calls were answered 429 by the rate limits (not by fail_next)."""
        with self._cond:
            return self._pacing.refused if self._pacing else 0

    def set_down(self, down: bool) -> None:
        with self._cond:
            self._down = down

    def fail_next(
        self,
        method: str,
        times: int = 1,
        *,
        status: int = 200,
        error: str = "internal_error",
        retry_after: int | None = None,
    ) -> None:
        with self._cond:
            self._failures[method].extend(
                _Failure(status, error, retry_after) for _ in range(times)
            )

    def add_user(
        self,
        user_id: str,
        name: str,
        real_name: str | None = None,
        tz: str | None = "America/New_York",
        **more: Any,
    ) -> None:
        """A member of the workspace; `tz` None: no time zone. `more`: email, display_name,
        is_bot, is_app_user (users.info shows them; deactivate() marks one deleted)."""
        with self._cond:
            self._world.add_user(user_id, name, real_name or name, tz, **more)

    def add_usergroup(self, handle: str, users: list[str], name: str | None = None) -> str:
        """A user group (@handle) with these members; returns its id (S…)."""
        with self._cond:
            return self._world.directory.add_usergroup(handle, users, name)

    def add_channel(self, name: str, members: list[str], *, private: bool = False) -> str:
        """A channel conversations.list and conversations.members know; returns its id."""
        with self._cond:
            return self._world.directory.add_channel(name, members, private=private)

    def deactivate(self, user_id: str) -> None:
        """The user's account is deactivated: a DM to them fails with user_disabled, and
        users.info shows them `deleted`."""
        with self._cond:
            self._world.deactivate(user_id)

    def leave(self, channel: str) -> None:
        """The bot is not in `channel` (removed, or never invited): posts fail, not_in_channel."""
        with self._cond:
            self._world.leave(channel)

    def reset(self) -> None:
        with self._cond:
            self._calls: list[RecordedCall] = []
            self._problems: list[str] = []
            self._world.reset()
            self._failures: defaultdict[str, deque[_Failure]] = defaultdict(deque)
            self._down = False
            self._pacing = SlackPacing(self.limits) if self.limits else None

    # -- request handling (runs on server threads, see http.py) -------------------------------
    def serve(self, request: Request) -> Reply:
        """Answer one request and record it."""
        method = request.method
        verdict = check_call(method, request.args)  # pure and slowish: outside the lock
        problems = request.problems + verdict.problems
        with self._cond:
            reply = self._gate(method, request.token) or self._paced(method, request)
            if reply is None:
                reply = self._answer(method, request.args, verdict.error, problems)
            error = reply.response.get("error")
            if error == "unknown_method":
                problems.append("unknown method: the fake does not implement it")
            elif error == "http_404":
                problems.append("unknown path: is base_url missing the trailing /api/?")
            self._problems += [f"{method}: {p}" for p in problems]
            self._calls.append(
                RecordedCall(
                    method,
                    request.args,
                    request.token,
                    request.at,
                    reply.response,
                    problems,
                    request.path,
                )
            )
            self._cond.notify_all()
        if self.latency > 0:
            time.sleep(self.latency)  # Slack's answer takes a while; others are served meanwhile
        return reply

    def _paced(self, method: str, request: Request) -> Reply | None:
        if self._pacing is None:
            return None
        channel = resolve_channel(request.args.get("channel"))
        retry_after = self._pacing.check(method, channel, request.at)
        if retry_after is None:
            return None
        return Reply(
            {"ok": False, "error": "ratelimited"}, 429, headers={"Retry-After": str(retry_after)}
        )

    def _gate(self, method: str, token: str | None) -> Reply | None:
        """Outage, routing, auth and scripted failures, before any method logic runs."""
        if self._down:
            return Reply({"ok": False, "error": "http_503"}, 503, _HTML_503, "text/html")
        if method.startswith("/"):
            return Reply({"ok": False, "error": "http_404"}, 404, b"not found", "text/plain")
        if method != "response_url":  # response_urls are capability URLs: no token, like Slack
            if method not in METHODS and method != OPEN_SOCKET:
                return Reply({"ok": False, "error": "unknown_method"})
            if not token:
                return Reply({"ok": False, "error": "not_authed"})
            if method == OPEN_SOCKET and not token.startswith("xapp-"):
                error = "not_allowed_token_type" if token.startswith("xox") else "invalid_auth"
                return Reply({"ok": False, "error": error})
            if method != OPEN_SOCKET and not token.startswith(("xoxb-", "xoxp-")):
                return Reply({"ok": False, "error": "invalid_auth"})
        queue = self._failures.get(method)
        return _failure_reply(queue.popleft()) if queue else None

    def _answer(
        self, method: str, args: dict[str, Any], error: str | None, problems: list[str]
    ) -> Reply:
        if method == "response_url":
            if error:  # hooks answer in plain text, with a 400 for bad payloads
                return Reply({"ok": False, "error": error}, 400, error.encode(), "text/plain")
            return Reply({"ok": True}, body=b"ok", content_type="text/plain")
        if error:
            messages = [f"[ERROR] {p}" for p in problems]
            return Reply({"ok": False, "error": error, "response_metadata": {"messages": messages}})
        if method == OPEN_SOCKET:
            return Reply(self.socket_mode.open_connection())
        try:
            return Reply(self._world.call(method, args))
        except Exception as exc:  # a bug in the fake must surface as a problem, not a dead socket
            problems.append(f"the fake crashed: {exc!r}")
            return Reply({"ok": False, "error": "fake_crashed"}, 500)


def _failure_reply(failure: _Failure) -> Reply:
    if failure.status == 429:
        retry_after = str(failure.retry_after if failure.retry_after is not None else 1)
        return Reply(
            {"ok": False, "error": "ratelimited"}, 429, headers={"Retry-After": retry_after}
        )
    if failure.status == 200:
        return Reply({"ok": False, "error": failure.error})
    body = f"<html><body>{failure.status}</body></html>".encode()
    return Reply(
        {"ok": False, "error": f"http_{failure.status}"}, failure.status, body, "text/html"
    )


def _short(call: RecordedCall) -> str:
    args = json.dumps(call.args, default=str, sort_keys=True)
    args = args if len(args) <= 160 else args[:157] + "..."
    outcome = "ok" if call.ok else call.response.get("error")
    return f"{call.method} [{outcome}] {args}"
