"""The floor for `ceiling_bench.py`: a bare FastAPI `POST /api/leads` that does ONE INSERT.

It takes the request leadbot's intake takes (bearer token, JSON body), parses the JSON, inserts
one row (id, the JSON text, a timestamp) through SQLAlchemy 2 Core and answers 201 `{"id": …}`.
Nothing else: no validation, routing, events or outbox. It is served the way `leadbot serve`
serves (bot/app.py `serve_in_thread`): one uvicorn server, httptools with leadbot's header
deadline (`bot.http.timeouts.guarded`) on uvloop, `lifespan="off"`, `log_level="warning"`; the
database call runs on Starlette's thread pool, as leadbot's does. The engine is configured as
leadbot's (storage/db.py): on SQLite WAL, busy timeout, `synchronous=NORMAL`, `BEGIN IMMEDIATE`
and one in-process write lock (without it, 8 concurrent writers nap in SQLite's busy handler);
on PostgreSQL pool_size 10, max_overflow 20, pool_pre_ping.

    .venv/bin/python bench/bare_intake.py --port 8099 --database-url sqlite:////tmp/bare.db
    BARE_DATABASE_URL=... BARE_INTAKE_TOKEN=... .venv/bin/uvicorn --app-dir bench \
        --factory bare_intake:app_from_env --http httptools --loop uvloop --lifespan off
        # (plain uvicorn, no header deadline)

Its table (`bare_intake_leads`) is dropped and created afresh when the app is built.

With `--slack-api-url` and `--card FILE` (a card's `{"text", "blocks"}`) it is also the floor for
`intake_bench.py --floor`: the least a crash-safe delivery can do. The row is stored before the
201, then the same process posts that card to a DM with slack_sdk's `AsyncWebClient` on
uvicorn's own event loop (one keep-alive session) and marks the row sent in a second
transaction. No routing, no rendering (the card is fixed), no lease, no second process: what is
left is the HTTP, one INSERT, the post and one UPDATE.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import os
import threading
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Table,
    Text,
    create_engine,
    event,
    insert,
    make_url,
    update,
)
from starlette.concurrency import run_in_threadpool

from bot.http.timeouts import Patience, guarded

metadata = MetaData()
leads = Table(
    "bare_intake_leads",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("body", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),  # the floor's post (--card): None until sent
)
FLOOR_DM = "D0FLOOR"


def make_engine(url: str) -> tuple[Engine, AbstractContextManager[object]]:
    """The engine and the write lock, configured as storage/db.py configures leadbot's."""
    if make_url(url).get_backend_name() != "sqlite":
        engine = create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
        return engine, nullcontext()
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine, threading.Lock()


def create_app(
    url: str, token: str, slack_url: str = "", card: dict[str, Any] | None = None
) -> FastAPI:
    engine, write_lock = make_engine(url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    expected = token.encode()
    api = FastAPI(title="bare intake", docs_url=None, redoc_url=None, openapi_url=None)

    def store(text: str) -> int:
        with write_lock, engine.begin() as conn:
            result = conn.execute(insert(leads).values(body=text, received_at=datetime.now(UTC)))
            return int(result.inserted_primary_key[0])

    def mark_sent(lead_id: int) -> None:
        with write_lock, engine.begin() as conn:
            sent = update(leads).where(leads.c.id == lead_id).values(sent_at=datetime.now(UTC))
            conn.execute(sent)

    slack = AsyncWebClient(token="xoxb-floor", base_url=slack_url) if card else None
    pending: set[asyncio.Task[None]] = set()  # held: the loop keeps only weak references

    async def post(lead_id: int) -> None:
        assert slack is not None and card is not None
        metadata = {"event_type": "leadbot_outbox", "event_payload": {"lead_id": lead_id}}
        text = f"{card['text']} #{lead_id}:"
        await slack.chat_postMessage(
            channel=FLOOR_DM, text=text, blocks=card["blocks"], metadata=metadata
        )
        await run_in_threadpool(mark_sent, lead_id)

    @api.post("/api/leads")
    async def intake(request: Request) -> Response:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), expected):
            return JSONResponse({"error": "missing or wrong bearer token"}, status_code=401)
        try:
            data = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"error": "not JSON"}, status_code=422)
        lead_id = await run_in_threadpool(store, json.dumps(data))
        if slack is not None:
            task = asyncio.create_task(post(lead_id))
            pending.add(task)
            task.add_done_callback(pending.discard)
        return JSONResponse({"id": lead_id}, status_code=201)

    @api.get("/healthz")
    async def healthz() -> JSONResponse:
        return JSONResponse({"ok": True})

    return api


def app_from_env() -> FastAPI:
    """For `uvicorn --factory`: BARE_DATABASE_URL and BARE_INTAKE_TOKEN."""
    return create_app(os.environ["BARE_DATABASE_URL"], os.environ["BARE_INTAKE_TOKEN"])


def main() -> None:
    p = argparse.ArgumentParser(description="bare FastAPI intake: one INSERT per lead")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--database-url", required=True)
    p.add_argument("--token", default=os.environ.get("BARE_INTAKE_TOKEN", ""))
    p.add_argument("--slack-api-url", default="", help="with --card: post it per lead (floor)")
    p.add_argument("--card", help='a JSON file {"text": …, "blocks": […]} to post per lead')
    args = p.parse_args()
    card = json.loads(Path(args.card).read_text()) if args.card else None
    app = create_app(args.database_url, args.token, args.slack_api_url, card)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        lifespan="off",
        http=guarded(Patience()),
        loop="uvloop",
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
