"""The dependency bundles: `Deps`, what every service that changes leads is built from, and
`Services`, everything the Slack listeners and the HTTP surface reach (one per app, built by
`bot.app.create_services`; listeners get it from Bolt's context, never from a global)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from bot.clock import Clock
from bot.config.schema import Config
from bot.hours import BusinessCalendar, business_calendar
from storage.db import Database

if TYPE_CHECKING:
    from slack_sdk import WebClient
    from sqlalchemy.orm import Session

    from bot.delivery.dispatcher import Dispatcher
    from bot.delivery.home_refresh import HomeRefresher
    from bot.escalation.sweep import Escalator
    from bot.followup.sweep import TaskSweeper
    from bot.followup.tasks import TaskService
    from bot.leads.availability import Availability
    from bot.leads.closing import LeadClosing
    from bot.leads.contact import ContactLog
    from bot.leads.group import GroupedIntake
    from bot.leads.queries import LeadQueries
    from bot.leads.service import LeadService
    from bot.metrics import Metrics
    from bot.review.dashboard import Dashboard
    from bot.review.digest import DigestService
    from bot.review.digest_send import DigestSender
    from bot.review.stats import StatsService
    from bot.settings import Settings
    from bot.sources.intake import SourceIntake
    from bot.sources.quarantine import Quarantine
    from bot.sources.writer import CrmWriter
    from bot.vocabulary import LeadOutcome
    from storage.followup import Task
    from storage.models import Lead


def _nothing_to_wake() -> None:
    """For dry runs and tools: no dispatcher is listening."""


class FollowUpHooks(Protocol):
    """What the lead lifecycle tells the follow-up (bot/followup/hooks.py), in the same
    transaction: the lead services stay unaware of cadences and tasks."""

    def claimed(self, session: Session, lead: Lead, owner: str, now: datetime) -> None: ...

    def contacted(
        self,
        session: Session,
        lead: Lead,
        user_id: str,
        outcome: str,
        now: datetime,
        first: bool,
        task: Task | None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """A contact was logged; `detail` goes with its touch (a CRM's activity id)."""

    def reassigned(
        self, session: Session, lead: Lead, owner: str, note: str, now: datetime
    ) -> None:
        """A claimed lead changed hands: its open tasks go to `owner`; `note` says how."""

    def closed(
        self, session: Session, lead: Lead, outcome: LeadOutcome, by: str, now: datetime
    ) -> None:
        """The lead was closed (won, lost): its follow-up ends with `outcome`."""


class _NoFollowUp:
    def claimed(self, session: Session, lead: Lead, owner: str, now: datetime) -> None:
        return None

    def contacted(
        self,
        session: Session,
        lead: Lead,
        user_id: str,
        outcome: str,
        now: datetime,
        first: bool,
        task: Task | None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        return None

    def reassigned(
        self, session: Session, lead: Lead, owner: str, note: str, now: datetime
    ) -> None:
        return None

    def closed(
        self, session: Session, lead: Lead, outcome: LeadOutcome, by: str, now: datetime
    ) -> None:
        return None


NO_FOLLOW_UP = _NoFollowUp()  # tools and dry runs: a claim plans no tasks


class CrmHooks(Protocol):
    """What the lead lifecycle tells the CRM write-back (bot/sources/writeback.py), in the
    same transaction: the lead services stay unaware of CRMs."""

    def owner_changed(self, session: Session, lead: Lead, owner: str, now: datetime) -> None:
        """`owner` (a rep) has the lead now: an assignment, a reassignment or a claim."""


class _NoCrm:
    def owner_changed(self, session: Session, lead: Lead, owner: str, now: datetime) -> None:
        return None


NO_CRM = _NoCrm()  # tools, dry runs and replays: nothing is written to a CRM


@dataclass(frozen=True)
class Deps:
    """What a lead-changing service needs: the database, the config, the clock, the business
    calendar the config implies, and `wake`, called after a commit that wrote outbox rows."""

    db: Database
    config: Config
    clock: Clock
    calendar: BusinessCalendar | None
    wake: Callable[[], None] = _nothing_to_wake
    followup: FollowUpHooks = NO_FOLLOW_UP
    crm: CrmHooks = NO_CRM

    @classmethod
    def create(
        cls,
        db: Database,
        config: Config,
        clock: Clock,
        wake: Callable[[], None] = _nothing_to_wake,
    ) -> Deps:
        return cls(db, config, clock, business_calendar(config), wake)


class WithDeps:
    """The one constructor of LeadService, ContactLog and Escalator: the Deps as attributes."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.db = deps.db
        self.config = deps.config
        self.clock = deps.clock
        self.calendar = deps.calendar
        self.wake = deps.wake


@dataclass
class Services:
    settings: Settings
    config: Config
    clock: Clock
    db: Database
    client: WebClient
    dispatcher: Dispatcher
    leads: LeadService
    intake: LeadService | GroupedIntake  # POST /api/leads: grouped on SQLite (bot/leads/group.py)
    sources: SourceIntake  # POST /api/sources/<name> (bot/sources/)
    quarantine: Quarantine
    queries: LeadQueries
    metrics: Metrics
    escalator: Escalator
    availability: Availability
    contacts: ContactLog
    closing: LeadClosing
    homes: HomeRefresher
    stats: StatsService
    digests: DigestService
    dashboard: Dashboard
    digest_sender: DigestSender
    tasks: TaskService
    task_sweeper: TaskSweeper
    crm_writer: CrmWriter | None = None  # owners written back to CRMs (bot/sources/writer.py)
