"""`leadbot simulate` against a history whose answers were worked out by hand.

The history is made by the real bot (intake over HTTP, claims, contacts, the sweep) under
policy A; it is then replayed under A and under B. Business hours are "always", so every wait
below is plain clock time.

Policy A: SLA 1 h; reminders at 30 min and 2 h; manager and queue at 4 h; every lead to Bo.
Policy B: SLA 30 min; a reminder at 15 min; manager and queue at 1 h; Alice and Bo in turn.

    lead  arrives  claimed  contacted | A: reminders breach queue | B: to    reminders breach queue
    L1    10:00    +20m     +25m      |    0         no     no    |    Alice 1 (10:15) no     no
    L2    11:00    +45m     +50m      |    1 (11:30) no     no    |    Bo    1 (11:15) yes    no
    L3    12:00    +3h      +3h10m    |    2         yes    no    |    Alice 1 (12:15) yes    13:00
    L4    13:00    never    never     |    2         yes    17:00 |    Bo    1 (13:15) yes    14:00

A: 2 breaches, 2 of 4 contacted within SLA, 5 reminders (all Bo's), 1 manager escalation, 1 lead
to the queue. B: 3 breaches (L2 now breaches), 1 of 4 within SLA, 4 reminders (2 each), 2
manager escalations, 2 to the queue. L3 is claimed from B's queue by Bo, who really claimed it.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from bot.cli import main
from bot.clock import FixedClock
from bot.config.schema import Config
from bot.review.simulate.history import Arrival
from bot.review.simulate.measures import measure
from bot.review.simulate.replay import replay
from bot.review.simulate.run import Output, Policies, own_history, simulate
from tests.conftest import BASE_CONFIG, MakeBot, make_config

STEPS_A = [
    {"after": "30m", "do": ["remind_owner"], "tone": "gentle"},
    {"after": "2h", "do": ["remind_owner"], "tone": "direct"},
    {"after": "4h", "do": ["notify_manager", "move_to_queue"]},
]
STEPS_B = [
    {"after": "15m", "do": ["remind_owner"], "tone": "gentle"},
    {"after": "1h", "do": ["notify_manager", "move_to_queue"]},
]
POLICY_A: dict[str, Any] = {
    "tiers": [{"name": "std", "respond_within": "1h"}],
    "default_tier": "std",
    "escalation": {"steps": STEPS_A},
    "routing": {"default": ["U0BO"]},
}
POLICY_B: dict[str, Any] = {
    "tiers": [{"name": "std", "respond_within": "30m"}],
    "default_tier": "std",
    "escalation": {"steps": STEPS_B},
    "routing": {"default": ["U0ALICE", "U0BO"]},
}
# (arrival, claimed after, contacted after), from 10:00 UTC two days ago.
HISTORY = [
    (timedelta(hours=0), timedelta(minutes=20), timedelta(minutes=25)),
    (timedelta(hours=1), timedelta(minutes=45), timedelta(minutes=50)),
    (timedelta(hours=2), timedelta(hours=3), timedelta(hours=3, minutes=10)),
    (timedelta(hours=3), None, None),
]


def two_days_ago() -> datetime:
    """The history's 10:00 UTC: recent enough for `--weeks 1` whenever the test runs."""
    day = datetime.now(UTC).date() - timedelta(days=2)
    return datetime(day.year, day.month, day.day, 10, tzinfo=UTC)


def live_history(
    make_bot: MakeBot, start: datetime, snoozes: tuple[tuple[int, timedelta, timedelta], ...] = ()
) -> str:
    """Policy A's day as the running bot lived it, swept every 5 minutes (every moment above
    is a multiple of 5 minutes); the database's URL. `snoozes`: (lead, at, until), from 10:00."""
    clock = FixedClock(start - timedelta(minutes=5))
    bot = make_bot(make_config(**POLICY_A), clock=clock)
    doings: dict[datetime, list[Callable[[], Any]]] = {}
    services = bot.app.services
    for number, (arrives, claimed, contacted) in enumerate(HISTORY, start=1):
        at = start + arrives
        lead = {"external_id": f"L{number}", "name": f"L{number}"}
        doings.setdefault(at, []).append(lambda lead=lead: bot.post_lead(lead))
        if claimed is not None and contacted is not None:
            doings.setdefault(at + claimed, []).append(
                lambda n=number: services.leads.claim(n, "U0BO"))  # fmt: skip
            doings.setdefault(at + contacted, []).append(
                lambda n=number: services.contacts.log(n, "U0BO", "call"))  # fmt: skip
    for number, at, until in snoozes:
        doings.setdefault(start + at, []).append(
            lambda n=number, u=start + until: services.leads.snooze(n, "U0BO", u))  # fmt: skip
    moment = start - timedelta(minutes=5)
    while moment <= start + timedelta(hours=9):
        clock.set(moment)
        for do in doings.get(moment, []):
            answer = do()
            assert answer is not None and getattr(answer, "ok", True), answer
            assert not isinstance(answer, tuple) or answer[0] == 201, answer
        bot.settle()
        bot.app.services.escalator.sweep()
        moment += timedelta(minutes=5)
    return str(bot.app.services.settings.database_url)


def run(url: str, now: datetime, current: Config, proposed: Config, directory: Path,
        processes: bool = False) -> tuple[str, dict[str, Any]]:  # fmt: skip
    """What the terminal shows, and the JSON written beside it."""
    policies = Policies(current, proposed, "a.yml", "b.yml")
    out, target = io.StringIO(), directory / "answer.json"
    console = Console(file=out, width=200, color_system=None)
    history = own_history(url, policies, 1, now)
    assert simulate(history, policies, Output(str(target), 20), console, console,
                    processes=processes) == 0, out.getvalue()  # fmt: skip
    return out.getvalue(), json.loads(target.read_text(encoding="utf-8"))


@pytest.fixture
def history(make_bot: MakeBot) -> tuple[str, datetime]:
    start = two_days_ago()
    return live_history(make_bot, start), start


def test_the_replay_matches_the_hand_worked_answers(
    history: tuple[str, datetime], tmp_path: Path
) -> None:
    url, start = history
    now = start + timedelta(days=1)
    # In two processes, as a long history is replayed (a short one stays in this process).
    text, document = run(url, now, make_config(**POLICY_A), make_config(**POLICY_B), tmp_path,
                         processes=True)  # fmt: skip
    values = {m["label"]: m["values"] for m in document["measures"]}
    assert document["columns"] == ["as it happened", "current", "proposed"]
    assert values["leads replayed"] == [4, 4, 4]
    assert values["SLA breaches"] == [2, 2, 3]
    assert values["contacted within SLA"] == [0.5, 0.5, 0.25]
    assert values["reminders per rep per day"] == [5 / 21, 5 / 21, 4 / 21]  # 3 reps, 7 days
    assert values["busiest rep-day"] == [5, 5, 2]
    assert values["manager escalations per day"] == [1 / 7, 1 / 7, 2 / 7]
    assert values["leads to the shared queue"] == [1, 1, 2]
    assert document["changes"] == [
        {"lead": "lead #2", "what": ["within SLA → breached", "contacted within SLA → late"]},
        {"lead": "lead #3", "what": ["manager told", "goes to the shared queue",
                                     "to Bo → to Alice", "reminders 2 → 1"]},
        {"lead": "lead #1", "what": ["to Bo → to Alice", "reminders 0 → 1"]},
        {"lead": "lead #4", "what": ["reminders 2 → 1"]},
    ]  # fmt: skip
    assert "Leads whose outcome changes: 4 of 4" in text
    assert "What if b.yml had been the policy instead of a.yml: 4 leads" in text


def test_the_same_policy_changes_nothing(history: tuple[str, datetime], tmp_path: Path) -> None:
    url, start = history
    config = make_config(**POLICY_A)
    _, document = run(url, start + timedelta(days=1), config, config, tmp_path)
    assert document["changes"] == []
    for row in document["measures"]:
        assert len(set(row["values"])) == 1, row


def test_the_command_line(history: tuple[str, datetime], tmp_path: Path,
                          monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    url, _ = history
    for name, policy in (("a.yml", POLICY_A), ("b.yml", POLICY_B)):
        (tmp_path / name).write_text(yaml.safe_dump({**BASE_CONFIG, **policy}), encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", url)
    out = tmp_path / "what-if.json"
    code = main(["simulate", str(tmp_path / "b.yml"), "--current", str(tmp_path / "a.yml"),
                 "--weeks", "1", "--json", str(out)])  # fmt: skip
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "Leads whose outcome changes: 4 of 4" in printed.out
    assert json.loads(out.read_text(encoding="utf-8"))["changed"]["within SLA → breached"] == 1


def test_a_database_that_is_not_there_is_said_so_and_not_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.yml").write_text(yaml.safe_dump({**BASE_CONFIG, **POLICY_A}), "utf-8")
    missing = tmp_path / "nothere.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{missing}")
    assert main(["simulate", str(tmp_path / "a.yml"), "--current", str(tmp_path / "a.yml")]) == 3
    assert "which does not exist: there is no leadbot database there" in capsys.readouterr().err
    assert not missing.exists()  # before, an empty file was left behind


def test_bad_arguments_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.yml").write_text(yaml.safe_dump({**BASE_CONFIG, **POLICY_A}), "utf-8")
    (tmp_path / "bad.yml").write_text("tiers: [{name: x, respond_within: soon}]\n", "utf-8")
    code = main(["simulate", str(tmp_path / "bad.yml"), "--current", str(tmp_path / "a.yml")])
    assert code == 2 and "bad.yml" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["simulate", str(tmp_path / "a.yml"), "--weeks", "0"])
    assert "give 1 to 26 weeks" in capsys.readouterr().err


def test_a_reminder_held_for_quiet_hours_counts_only_if_it_reached_the_rep(
    history: tuple[str, datetime], tmp_path: Path
) -> None:
    """Bo's quiet hours 20:00–08:00 New York are 01:00–13:00 UTC in November. L2's reminder
    (11:30) waits for 13:00, but Bo claims at 11:45: it is dropped and reaches nobody. L3's
    (12:30) waits too and is delivered at 13:00, the lead still his and open: it counts."""
    url, start = history
    reps = [dict(rep) for rep in BASE_CONFIG["reps"]]
    reps[1]["quiet_hours"] = "20:00-08:00"
    quiet = make_config(**POLICY_A, reps=reps)
    _, document = run(url, start + timedelta(days=1), make_config(**POLICY_A), quiet, tmp_path)
    values = {m["label"]: m["values"] for m in document["measures"]}
    assert values["reminders per rep per day"] == [5 / 21, 5 / 21, 4 / 21]
    assert document["changes"] == [{"lead": "lead #2", "what": ["reminders 1 → 0"]}]


EXPORT = """id,received_at,first_contact_at,owner,source
L1,2026-03-02T10:00:00+00:00,2026-03-02T10:25:00+00:00,Bo,website
L2,2026-03-02T11:00:00+00:00,2026-03-02T11:50:00+00:00,Bo,website
L3,2026-03-02T12:00:00+00:00,2026-03-02T15:10:00+00:00,Bo,website
L4,2026-03-02T13:00:00+00:00,,Bo,website
"""


def test_a_crm_export_replays_its_first_touches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An export knows first touches, not claims: each stands for both (L1 at 25 min, L2 at 50,
    L3 at 3 h 10). The answers are the table above's; its three hours are one day."""
    for name, policy in (("a.yml", POLICY_A), ("b.yml", POLICY_B)):
        (tmp_path / name).write_text(yaml.safe_dump({**BASE_CONFIG, **policy}), encoding="utf-8")
    (tmp_path / "export.csv").write_text(EXPORT, encoding="utf-8")
    code = main(["simulate", str(tmp_path / "b.yml"), "--current", str(tmp_path / "a.yml"),
                 "--export", str(tmp_path / "export.csv"), "--preset", "leadbot",
                 "--json", "-"])  # fmt: skip
    printed = capsys.readouterr()
    assert code == 0, printed.err
    document = json.loads(printed.out)
    values = {m["label"]: m["values"] for m in document["measures"]}
    assert document["columns"] == ["current", "proposed"]
    assert values["SLA breaches"] == [2, 3]
    assert values["contacted within SLA"] == [0.5, 0.25]
    assert values["reminders per rep per day"] == [5 / 3, 4 / 3]  # 3 reps, 1 day
    assert values["manager escalations per day"] == [1, 2]
    assert [change["lead"] for change in document["changes"]] == ["L2", "L3", "L1", "L4"]


def test_snoozes_are_replayed_by_whoever_snoozed(make_bot: MakeBot, tmp_path: Path) -> None:
    """Bo snoozes L2 at 11:10 until 12:00 and claims it at 11:45: A's 11:30 reminder waits for
    12:00 and never comes (1 -> 0 against the table above). Under B, L2 is Bo's too: its 11:15
    reminder waits the same way. The replay of A reproduces what really happened, row by row."""
    start = two_days_ago()
    snooze = ((2, timedelta(hours=1, minutes=10), timedelta(hours=2)),)
    url = live_history(make_bot, start, snooze)
    now = start + timedelta(days=1)
    _, document = run(url, now, make_config(**POLICY_A), make_config(**POLICY_B), tmp_path)
    values = {m["label"]: m["values"] for m in document["measures"]}
    assert values["reminders per rep per day"] == [4 / 21, 4 / 21, 3 / 21]
    for label, (actual, current, _) in values.items():
        assert actual == current, label
    assert document["changes"][0] == {
        "lead": "lead #2", "what": ["within SLA → breached", "contacted within SLA → late"]
    }  # fmt: skip


# -- generated histories against a closed form --------------------------------------------------
# Under policy A with business hours "always", a lead claimed after w (or never) gets exactly the
# reminders of the steps before w (30 min, 2 h), breaches iff w > 1 h, and reaches the manager and
# the queue iff w > 4 h. A claim at a step's own moment comes first, so that step never runs.
EDGES = [m + d for m in (30, 60, 120, 240) for d in (-1, 0, 1)]  # each step's and the SLA's
MINUTES = st.one_of(st.sampled_from(EDGES), st.integers(0, 6 * 60))
WAITS = st.one_of(st.none(), MINUTES.map(lambda m: timedelta(minutes=m)))
ARRIVALS = st.lists(st.tuples(st.integers(0, 3 * 24 * 60), WAITS), min_size=1, max_size=12)


@settings(max_examples=15, suppress_health_check=[HealthCheck.too_slow])
@given(ARRIVALS)
def test_generated_histories_replay_to_the_closed_form(drawn: list[tuple[int, Any]]) -> None:
    start = datetime(2026, 3, 2, 10, tzinfo=UTC)
    arrivals = sorted(
        (Arrival(f"G{n}", start + timedelta(minutes=m), {"name": f"G{n}"}, w, "U0BO", w)
         for n, (m, w) in enumerate(drawn)),
        key=lambda arrival: arrival.at,
    )  # fmt: skip
    end = arrivals[-1].at + timedelta(seconds=1)
    until = end + timedelta(days=1)
    config = make_config(**POLICY_A)
    with tempfile.TemporaryDirectory() as directory:
        done = replay(config, arrivals, until, Path(directory), "generated")
        found = measure(done.db, config, start, end, until=until, keys=done.keys,
                        contacts=done.contacts)  # fmt: skip
        done.db.dispose()
    hour = timedelta(hours=1)
    for arrival in arrivals:
        fate, wait = found.fates[arrival.key], arrival.claim_after
        late = wait is None or wait > 4 * hour
        steps = [timedelta(minutes=30), 2 * hour]
        assert fate.reminders == sum(1 for s in steps if wait is None or s < wait), arrival
        assert fate.breached == (wait is None or wait > hour), arrival
        assert fate.contacted_in_sla == (wait is not None and wait <= hour), arrival
        assert (fate.manager_told, fate.queued) == (late, late), arrival
        assert fate.routed_to == "U0BO" and fate.claimed_by == (None if wait is None else "U0BO")
