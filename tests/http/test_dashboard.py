"""`GET /dashboard` over real HTTP, on SQLite and PostgreSQL: off without a token, refused
with a wrong one, and with the right one the floor's numbers, lead names as text."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FixedClock
from bot.fakeslack.server import FakeSlack
from tests.conftest import make_config, start_bot
from tests.fakes.harness import Harness

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
TOKEN = "floor-screen-token"


@pytest.fixture
def screen(fake_slack: FakeSlack, database_url: str) -> Iterator[tuple[Harness, FixedClock]]:
    clock = FixedClock(NOW - timedelta(hours=2))
    harness = start_bot(fake_slack, database_url, make_config(), clock=clock,
                        settings_overrides={"dashboard_token": TOKEN})  # fmt: skip
    yield harness, clock
    harness.app.stop()


def get(url: str) -> tuple[int, str, dict[str, str]]:
    """Status, body and headers (names lower-cased)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            headers = {k.lower(): v for k, v in answer.headers.items()}
            return answer.status, answer.read().decode(), headers
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), {k.lower(): v for k, v in err.headers.items()}


def test_without_a_token_configured_there_is_no_dashboard(bot: Harness) -> None:
    assert get(f"{bot.base}/dashboard")[0] == 404
    assert get(f"{bot.base}/dashboard?token=anything")[0] == 404


def test_the_floor_sees_who_waits_and_how_fast_the_team_is(
    screen: tuple[Harness, FixedClock],
) -> None:
    bot, clock = screen
    assert bot.post_lead({"external_id": "d-1", "name": "<b>Dana</b> & Co"})[0] == 201
    clock.set(NOW - timedelta(hours=1, minutes=50))
    assert bot.post_lead({"external_id": "d-2", "name": "Eli"})[0] == 201
    assert bot.app.services.leads.claim(2, "U0BO").ok  # claimed after 0s: not waiting
    clock.set(NOW)
    assert get(f"{bot.base}/dashboard")[0] == 403
    assert get(f"{bot.base}/dashboard?token=floor-screen-tokeN")[0] == 403
    status, page, headers = get(f"{bot.base}/dashboard?token={TOKEN}")
    assert status == 200 and headers["cache-control"] == "no-store"
    assert headers["referrer-policy"] == "no-referrer"
    # Live by its own script, or by a reload without scripts; nothing else may run.
    assert '<noscript><meta http-equiv="refresh" content="15"></noscript>' in page
    policy = headers["content-security-policy"]
    nonce = re.search(r"script-src 'nonce-([\w-]{16,})'", policy)
    assert nonce and f'<script nonce="{nonce[1]}">' in page and page.count("<script") == 1
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert " style=" not in page  # a style attribute would need 'unsafe-inline'
    assert "animation:aging 0s 45s forwards" in page  # "stopped updating" after 3 intervals
    # Dana waits two hours, past her warm lead's 1 h SLA; her name is text, not markup.
    assert "&lt;b&gt;Dana&lt;/b&gt; &amp; Co #1" in page and "<b>Dana" not in page
    assert "breached 1h ago" in page and "2h" in page
    assert "Eli #2" not in page
    assert '<td>Bo</td><td class="n">1</td>' in page  # Bo's row: one lead this week
    # The chart, today's and the week's (the same two leads): half within 5 min, half waiting.
    assert page.count('<rect x="0" y="0" height="100%" width="50.00%">') == 4
    assert page.count('<rect x="0" y="0" height="100%" width="0.00%">') == 6
    assert '<th scope="row">not claimed yet</th>' in page
    tv, tv_headers = get(f"{bot.base}/dashboard?token={TOKEN}&tv=1")[1:]
    assert '<body class="tv">' in tv
    assert tv_headers["content-security-policy"] != policy  # a fresh nonce per answer
