"""ContactLog on its own (the flows through the card are in tests/e2e/test_contact.py): contacts
logged at the same moment are all recorded, none refused as "changed meanwhile"."""

from __future__ import annotations

import threading

from bot.clock import FixedClock
from bot.config.schema import Config
from bot.leads.contact import ContactLog
from bot.leads.input import parse_lead
from bot.leads.service import LeadService, Outcome
from bot.services import Deps
from storage.db import Database
from storage.models import Lead
from tests.conftest import make_config

LOGGERS = 8


def _services(url: str, config: Config, clock: FixedClock) -> tuple[Database, Deps]:
    db = Database(url)
    db.upgrade()
    return db, Deps.create(db, config, clock)


def test_contacts_logged_at_once_are_all_recorded(database_url: str, clock: FixedClock) -> None:
    db, deps = _services(database_url, make_config(), clock)
    try:
        lead = LeadService(deps).receive(parse_lead({"name": "Dana"}, ["hot", "warm", "cold"]))
        contacts = ContactLog(deps)
        gate = threading.Barrier(LOGGERS)
        answers: list[Outcome] = []

        def log(outcome: str) -> None:
            gate.wait()
            answers.append(contacts.log(lead.lead_id, "U0MAYA", outcome))

        threads = [
            threading.Thread(target=log, args=("call" if n % 2 else "email",))
            for n in range(LOGGERS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [answer.message for answer in answers if not answer.ok] == []
        with db.read() as session:
            stored = session.get(Lead, lead.lead_id)
            assert stored is not None
            assert (stored.contact_count, stored.first_contact_by) == (LOGGERS, "U0MAYA")
    finally:
        db.dispose()
