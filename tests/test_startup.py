"""`leadbot serve`'s start as a restart after a crash lives it: the delivery worker is forked
before the server loads SQLAlchemy, the Slack clients and the web stack (bot/serve/), so both
processes load what they need on a core each, and the collector stays out of those imports
(bot/ops/heap.py)."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.ops.heap import loading

ROOT = Path(__file__).resolve().parents[1]
# Each takes tens of milliseconds to import, and the worker loads its own after the fork.
HEAVY = ("sqlalchemy", "storage", "aiohttp", "slack_sdk", "slack_bolt", "fastapi", "starlette",
         "uvicorn", "apscheduler", "prometheus_client", "alembic", "PIL")  # fmt: skip
AT_FORK = f"""
import json, os, sys
at_fork = []
os.register_at_fork(before=lambda: at_fork.append(sorted(
    {{name.partition(".")[0] for name in sys.modules}} & set({HEAVY!r}))))
from bot.cli import main
code = main(["serve", "--port", "0"])
print(json.dumps({{"code": code, "at_fork": at_fork}}))
"""


def test_serve_forks_its_worker_before_loading_the_database_and_slack_libraries(
    tmp_path: Path,
) -> None:
    """The real command line, up to the first fork (Slack unreachable, so it stops right after
    with its one line). leadbot.yml names a templates directory: checking it must not load the
    models either."""
    (tmp_path / "outreach").mkdir()
    config = tmp_path / "leadbot.yml"
    config.write_text(
        "channels: {queue: C0QUEUE, leads: C0LEADS}\nreps:\n  - {id: U0ALICE, name: Alice}\n"
        "followup: {templates: outreach}\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LEADBOT_"))}
    env = {
        **clean,
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
        "LEADBOT_CONFIG": str(config),
        "SLACK_API_URL": "http://127.0.0.1:9/api/",  # nothing listens: serve stops, exit 2
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", AT_FORK], env=env, cwd=tmp_path, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert "cannot reach Slack at http://127.0.0.1:9/api/" in result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["code"] == 2
    assert answer["at_fork"][:1] == [[]], answer  # forked, with none of them loaded yet


def test_loading_keeps_the_collector_off_inside_and_as_it_was_after() -> None:
    assert gc.isenabled()
    with loading():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ImportError), loading():
        import bot.no_such_module  # type: ignore[import-not-found]  # noqa: F401
    assert gc.isenabled()  # a failed import does not leave the collector off
    gc.disable()
    try:
        with loading():
            pass
        assert not gc.isenabled()  # whoever turned it off keeps it off
    finally:
        gc.enable()
