"""Generated hostile input, shared by the property tests and `bench/fuzz_bench.py`: the bench
sends at scale exactly what the tests send a few hundred of.

Intake bodies (`intake_bodies`) and Slack interactions (`interactions`) are shaped like what
leadbot reads, then spoiled field by field, so most reach deep code (validation, routing, the
card builders, the handlers) instead of stopping at the first parse."""

from __future__ import annotations

import json
from datetime import UTC, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from hypothesis import strategies as st

from blocks import ids
from blocks.new_lead_modal import NEW_LEAD_MODAL

LEAD: dict[str, Any] = {
    "external_id": "form-1",
    "source": "website",
    "name": "Dana Whitfield",
    "email": "dana@northwind.test",
    "phone": "+1 555 0100",
    "company": "Northwind",
    "company_size": 1200,
    "country": "US",
    "region": "NA",
    "product": "Analytics",
    "message": "Need a demo",
    "crm_url": "https://crm.example.com/1",
    "tier": "hot",
    "fields": {"utm_campaign": "q4"},
}

# -- intake ---------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=20), inner),
    max_leaves=25,
)
lead_like = st.dictionaries(
    st.sampled_from([*LEAD, "received_at", "unknown"]), json_values, max_size=8
) | st.fixed_dictionaries({"name": st.text(max_size=300)}, optional={"fields": json_values})

# Text a person could paste: every plane, mrkdwn and mentions, control and bidi characters,
# long and many-lined.
HOSTILE_TEXT = ["<!channel>", "<@U0ALICE>", "*b* _i_ ~s~ `c`", "&amp;<>", "\u202e", "\x00", "\r\n"]
texts = (
    st.text(max_size=200)
    | st.text(alphabet=st.characters(codec="utf-8"), min_size=2900, max_size=4000)
    | st.integers(1, 1500).map(lambda n: "x\n" * n)
    | st.lists(st.sampled_from(HOSTILE_TEXT) | st.text(max_size=8), max_size=30).map("".join)
)
offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
instants = st.datetimes(timezones=offsets | st.just(UTC)).map(lambda d: d.isoformat())
field_values = texts | instants | json_values | st.integers(-(10**30), 10**30)
spoiled_leads = st.dictionaries(
    st.sampled_from([*LEAD, "received_at", "fields", "unknown"]), field_values, max_size=3
).map(lambda changes: {**LEAD, **changes})

# The bodies that once answered 500: kept in every run, not left to chance.
NAMED_BODIES = [
    b'{"name": "Dana", "company_size": ' + b"9" * 4301 + b"}",
    b"[" * 10_000 + b"]" * 10_000,
    b'{"name": "Dana", "fields": {"score": NaN}}',
    b'{"name": "Dana", "fields": {"score": 1e400}}',
    b'{"name": "Da\\u0000na"}',
    b'{"name": "Dana", "received_at": "0001-01-01T00:00:00+14:00"}',
    b'{"name": "Dana", "received_at": "9999-12-31T23:59:59-14:00"}',
    b"\xff\xfe{}",
]


def _encode(body: object) -> bytes:
    return json.dumps(body).encode() if not isinstance(body, bytes) else body


intake_bodies = st.one_of(
    spoiled_leads, lead_like, json_values, st.binary(), st.sampled_from(NAMED_BODIES)
).map(_encode)

# -- Slack interactions ----------------------------------------------------------------------

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)
LEADBOT_VALUES = ["1", "abc", str(10**23), "1:call", "1:bogus", "reassign:1", "mine:2",
                  "queue:99999999999", "²", "-1", "0", "stop_followup:1", "1:call_no_answer",
                  "1:next_day", "1:pick", "1:meeting_booked", "0:email_sent", "won:1",
                  "lost:1", "won:abc"]  # fmt: skip
PEOPLE = ["U0ALICE", "U0MAYA", "U0BO"]


def snooze_choice(value: object) -> dict[str, Any]:
    state = {ids.SNOOZE_CHOICE: {"selected_option": {"value": value}}}
    return {"state": {"values": {ids.SNOOZE_CHOICE_BLOCK: state}}}


def outcome_state(amount: object, reason: object) -> dict[str, Any]:
    """A Won / Lost modal's state: the amount typed, the reason picked, a note."""
    return {
        ids.OUTCOME_AMOUNT_BLOCK: {ids.OUTCOME_AMOUNT: {"value": amount}},
        ids.OUTCOME_REASON_BLOCK: {ids.OUTCOME_REASON: {"selected_option": {"value": reason}}},
        ids.OUTCOME_NOTE_BLOCK: {ids.OUTCOME_NOTE: {"value": amount}},
    }


AMOUNTS = ["12500", "12,500.50", "-1", "1e999", "NaN", "Infinity", "1.234", "9" * 30, ""]
outcome_states = st.builds(
    lambda amount, reason: {"values": outcome_state(amount, reason)},
    junk | st.sampled_from(AMOUNTS) | st.text(max_size=30),
    junk | st.sampled_from(["No budget", "Other", "x", ""]),
)


action_ids = st.sampled_from(
    [ids.CLAIM, ids.PASS, ids.SNOOZE, ids.LOG_CONTACT, ids.LEAD_MENU, ids.PAGE_NEXT,
     ids.TASK_DONE, ids.TASK_SKIP, ids.TASK_RESCHEDULE, "other"]
)  # fmt: skip
actions = st.fixed_dictionaries(
    {"action_id": action_ids | junk},
    optional={
        "value": junk | st.sampled_from(LEADBOT_VALUES),
        "selected_option": junk
        | st.fixed_dictionaries({"value": junk | st.sampled_from(LEADBOT_VALUES)}),
        "block_id": junk | st.sampled_from(["lead_card:1:mine.1", "lead_card:1:mine.²", "x"]),
    },
)
people = junk | st.fixed_dictionaries({"id": st.sampled_from(PEOPLE) | junk})
clicks = st.fixed_dictionaries(
    {
        "type": st.just("block_actions"),
        "user": people,
        "actions": junk | st.lists(actions, max_size=2),
    },
    optional={"channel": junk | st.just({"id": "C0LEADS"}), "trigger_id": junk},
)
views = st.fixed_dictionaries(
    {
        "callback_id": st.sampled_from(
            [
                ids.SNOOZE_MODAL,
                ids.REASSIGN_MODAL,
                NEW_LEAD_MODAL,
                ids.TASK_SKIP_MODAL,
                ids.TASK_RESCHEDULE_MODAL,
                ids.WON_MODAL,
                ids.LOST_MODAL,
            ]
        )
        | junk,
        "type": st.just("modal") | junk,
        "private_metadata": junk | st.sampled_from(["1", "abc", "", "9" * 400]),
        "state": junk
        | st.fixed_dictionaries({"values": junk | st.just(snooze_choice("1h")["state"]["values"])})
        | outcome_states,
    },
    optional={"id": junk},
)
submissions = st.fixed_dictionaries(
    {"type": st.just("view_submission"), "user": people, "view": junk | views}
)
SUBCOMMANDS = ["", "mine", "queue", "stats", "stats week", "away", "back", "help", "new", "sla",
               "won 1", "lost 1", "won", "lost 1 no budget"]  # fmt: skip
command_texts = st.tuples(st.sampled_from(SUBCOMMANDS), texts | st.text(max_size=30)).map(
    lambda parts: " ".join(parts)
)
commands = st.fixed_dictionaries(
    {
        "command": st.just("/leads") | st.text(max_size=10),
        "text": command_texts,
        "user_id": st.sampled_from(PEOPLE) | st.text(max_size=12),
        "channel_id": st.just("C0LEADS") | st.text(max_size=12),
    },
    optional={"trigger_id": st.text(max_size=20)},
)
events = st.fixed_dictionaries(
    {
        "type": st.just("event_callback") | junk,
        "event": junk
        | st.fixed_dictionaries(
            {"type": st.sampled_from(["app_home_opened", "message", "other"]) | junk},
            optional={"user": st.sampled_from(PEOPLE) | junk, "tab": junk | st.just("home")},
        ),
    },
    optional={"event_id": junk, "team_id": junk},
)

interactions = st.one_of(
    st.tuples(st.just("payload"), clicks | submissions),
    st.tuples(st.just("command"), commands),
    st.tuples(st.just("event"), events),
)


def slack_body(kind: str, content: dict[str, Any], response_url: str) -> str:
    """The body Slack would send for generated `content`: a form-encoded `payload`, a slash
    command's form (answered at `response_url`), or an Events API JSON document."""
    if kind == "payload":
        return urlencode({"payload": json.dumps(content)})
    if kind == "command":
        return urlencode({**content, "response_url": response_url})
    return json.dumps(content)
