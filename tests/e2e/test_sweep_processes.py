"""Two sweeping processes on one PostgreSQL database never run a step twice."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import create_app
from bot.clock import FixedClock
from bot.config.load import parse_config
from bot.config.schema import Config
from bot.leads.input import parse_lead
from bot.settings import Settings
from storage.models import LeadEvent, OutboxMessage
from tests.conftest import BASE_CONFIG, _fresh_postgres

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
SWEEPER = textwrap.dedent(
    """
    import sys
    from datetime import datetime
    from bot.clock import FixedClock
    from bot.config.load import parse_config
    from bot.escalation.sweep import Escalator
    from bot.services import Deps
    from storage.db import Database
    from tests.conftest import BASE_CONFIG

    url, moment = sys.argv[1], datetime.fromisoformat(sys.argv[2])
    config = parse_config(BASE_CONFIG)
    escalator = Escalator(Deps.create(Database(url), config, FixedClock(moment)))
    sys.stdin.readline()  # both processes start sweeping together
    print(sum(escalator.sweep().steps for _ in range(20)))
    """
)


@pytest.mark.postgres
def test_two_sweeper_processes_share_the_work_without_duplicates(postgres_url: str) -> None:
    url = _fresh_postgres(postgres_url)
    settings = Settings(slack_bot_token="xoxb-t", database_url=url)
    app = create_app(settings, _config(), clock=FixedClock(START), verify_token=False)
    for i in range(200):
        app.services.leads.receive(parse_lead({"name": f"Lead {i}"}, ["warm"]))
    moment = (START + timedelta(minutes=31)).isoformat()
    sweepers = [
        subprocess.Popen(
            [sys.executable, "-c", SWEEPER, url, moment],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for sweeper in sweepers:
        assert sweeper.stdin is not None
        sweeper.stdin.write("go\n")
        sweeper.stdin.flush()
    steps = [int(sweeper.communicate(timeout=120)[0]) for sweeper in sweepers]
    with app.services.db.read() as session:
        reminded = session.scalar(
            select(func.count()).select_from(LeadEvent).where(LeadEvent.kind == "reminded")
        )
        per_lead = session.execute(
            select(OutboxMessage.lead_id, func.count())
            .where(OutboxMessage.kind == "message")
            .group_by(OutboxMessage.lead_id)
        ).all()
    app.stop()
    assert sum(steps) == 200
    assert reminded == 200
    assert len(per_lead) == 200 and {count for _, count in per_lead} == {1}


def _config() -> Config:
    return parse_config(BASE_CONFIG)
