"""The ASGI app the HTTP server serves: it passes each request to the current FastAPI app, so a
reloaded leadbot.yml takes over without closing the listening socket (bot/serve.py). A request
already inside the old app finishes there; the next one reaches the new app."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI


class Switchboard:
    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        app = self.app  # read once: a swap mid-request must not split one request over two
        await app(scope, receive, send)
