"""Config problems in words (bot/config/errors.py): one exact message per mistake, and a
`ConfigError` that survives pickling."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from bot.config.errors import ConfigError
from bot.config.load import parse_config
from tests.config.conftest import base


def errors_of(data: object) -> list[str]:
    with pytest.raises(ConfigError) as excinfo:
        parse_config(data)
    return excinfo.value.errors


# --- one error, exact message --------------------------------------------------------------


def with_rep(index: int, **changes: object) -> dict[str, Any]:
    data = base()
    data["reps"][index] = {**data["reps"][index], **changes}
    return data


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            with_rep(1, timezone="Europe/Berln"),
            "reps[1].timezone: unknown time zone 'Europe/Berln'",
        ),
        ({**base(), "timezone": "Mars/Base"}, "timezone: unknown time zone 'Mars/Base'"),
        (
            with_rep(0, emial="a@acme.test"),
            "reps[0].emial: unknown key (did you mean 'email'?)",
        ),
        (with_rep(0, shoe_size=9), "reps[0].shoe_size: unknown key"),
        ({**base(), "timezon": "UTC"}, "timezon: unknown key (did you mean 'timezone'?)"),
        (
            with_rep(1, id="alice"),
            "reps[1].id: 'alice' is not a Slack user id: use a member id such as U0123ABCD",
        ),
        (
            with_rep(0, manager="U0X"),
            "reps[0].manager: 'U0X' is not listed under managers",
        ),
        (with_rep(1, id="U0ALICE"), "reps[1].id: duplicate rep id 'U0ALICE' (also reps[0])"),
        ({**base(), "reps": []}, "reps: at least one rep is required"),
        ({**base(), "reps": "U0ALICE"}, "reps: expected a list, got the text 'U0ALICE'"),
        (with_rep(0, name=42), "reps[0].name: expected text, got the number 42"),
        (with_rep(0, name=""), "reps[0].name: must not be empty"),
        (with_rep(0, name=False), "reps[0].name: expected text, got false (a yes/no value)"),
        (with_rep(0, email="alice"), "reps[0].email: 'alice' is not an email address"),
        (
            with_rep(0, quiet_hours="8pm-8am"),
            'reps[0].quiet_hours: expected a range like "20:00-08:00" (HH:MM-HH:MM), '
            "got '8pm-8am'",
        ),
        ({**base(), "channels": {}}, "channels.queue: required key is missing"),
        (
            {**base(), "channels": {"queue": "#leads"}},
            "channels.queue: '#leads' is not a Slack channel id: use the id such as C0123ABCD "
            "(shown at the bottom of the channel's About tab), not the channel name",
        ),
        (
            {**base(), "admins": ["bob"]},
            "admins[0]: 'bob' is not a Slack user id: use a member id such as U0123ABCD",
        ),
        (
            {**base(), "managers": ["U0MAYA", 7]},
            "managers[1]: expected a user id such as U0123ABCD or a mapping with id and name, "
            "got the number 7",
        ),
        (
            {**base(), "scheduler": {"tick": "0.5s"}},
            "scheduler.tick: must be between 1s and 5m, got 0.5s",
        ),
        (
            {**base(), "scheduler": {"tick": 10}},
            "scheduler.tick: '10' is not a duration: add a unit s, m, h or d, e.g. 10s or 10m",
        ),
        (
            {**base(), "business_hours": "weekdays"},
            "business_hours: expected 'always' or a mapping with days, start and end, "
            "got 'weekdays'",
        ),
        (
            {**base(), "business_hours": {"start": "17:00", "end": "09:00"}},
            "business_hours.end: must be later than start (17:00); "
            "overnight hours are not supported",
        ),
        (
            {**base(), "business_hours": {"start": "09:00", "end": 1050}},
            'business_hours.end: expected a time in quotes, like "17:30" '
            "(unquoted, YAML reads a number)",
        ),
        (
            {**base(), "business_hours": {"days": ["fun"], "start": "09:00", "end": "17:00"}},
            "business_hours.days[0]: 'fun' is not a day: use mon, tue, wed, thu, fri, sat or sun",
        ),
    ],
)
def test_single_error_message(data: dict[str, Any], expected: str) -> None:
    assert errors_of(data) == [expected]


def test_business_hours_time_and_holiday_messages() -> None:
    hours = {"start": "9", "end": "17:00", "holidays": ["xmas", 5]}
    assert errors_of({**base(), "business_hours": hours}) == [
        "business_hours.start: expected a time like \"09:00\" (HH:MM), got the text '9'",
        "business_hours.holidays[0]: expected a date like 2026-12-25, got the text 'xmas'",
        "business_hours.holidays[1]: expected a date like 2026-12-25, got the number 5",
    ]


def test_config_error_survives_pickling() -> None:
    error = ConfigError(["reps: at least one rep is required"], "team.yml")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.errors, copy.source, str(copy)) == (error.errors, error.source, str(error))


@pytest.mark.parametrize(
    ("name", "source", "expected"),
    [
        (
            "notify_manager",
            "{{ ''.__class__.__mro__[1].__subclasses__() }}",
            "templates.notify_manager: refused by the sandbox: line 1: access to attribute"
            " '__class__' is unsafe",
        ),
        (
            "queue_reminder",
            "Still waiting: {{ leed }}",
            "templates.queue_reminder: 'leed' is undefined (this template may use: lead, overdue,"
            " owner, sla, tier, waited)",
        ),
        (
            "remind_owner_direct",
            "{% if overdue %}{{ 1 / 0 }}{% endif %}Claim {{ lead }}",
            "templates.remind_owner_direct: fails on a sample lead: ZeroDivisionError: division by"
            " zero",
        ),
        (
            "held_digest",
            "{% if false %}{{ count }}{% endif %}",
            "templates.held_digest: renders no words for a sample lead: a message needs some",
        ),
        ("notify_channel", "{% if %}", "templates.notify_channel: template error on line 1: "),
        # In a branch the samples never take (no sample lead is hot): checked all the same.
        (
            "remind_owner_gentle",
            "{% if tier == 'hot' %}\n{{ tier.__class__ }}{% endif %}Psst {{ owner }}",
            "templates.remind_owner_gentle: refused by the sandbox: line 2: access to attribute"
            " '__class__' is unsafe",
        ),
        (
            "remind_owner_gentle",
            "{% if tier == 'hot' %}{{ lede }}{% endif %}Psst {{ lead }}",
            "templates.remind_owner_gentle: 'lede' is undefined (this template may use: lead,",
        ),
        (
            "queue_reminder",
            "{{ lead|attr('_' ~ '_class__') }}",
            "templates.queue_reminder: refused by the sandbox: line 1: a computed attribute",
        ),
        (
            "queue_reminder",
            "{{ '{0.__class__}'.format(lead) }}",
            "templates.queue_reminder: refused by the sandbox: line 1: access to attribute"
            " '__class__' is unsafe",
        ),
        (
            "queue_reminder",
            "{{ lead.format(owner) }}",  # a lead named "{0.__class__}" would do the rest
            "templates.queue_reminder: refused by the sandbox: line 1: a computed attribute or",
        ),
    ],
)
def test_a_template_the_sandbox_would_refuse_at_run_time_is_refused_now(
    name: str, source: str, expected: str
) -> None:
    [error] = errors_of({**base(), "templates": {name: source}})
    assert error.startswith(expected)
