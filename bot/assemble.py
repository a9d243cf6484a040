"""The composition root of the services: everything leadbot does, built from its settings and
leadbot.yml, without the web stack (FastAPI, uvicorn, Bolt and the listeners: `bot/app.py`).

The delivery worker builds its services from here. `leadbot serve` starts that worker before
it imports the web stack, so after a crash the worker is sending while the server still loads
what it serves with (bot/serve/)."""

from __future__ import annotations

from collections.abc import Callable

from blocks.new_lead_modal import SOURCES as FORM_SOURCES
from blocks.nudges import message_blocks
from bot.clock import Clock, SystemClock
from bot.config.schema import Config
from bot.delivery.cards import card_renderer
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.failures import FailureHandler
from bot.delivery.home import home_renderer
from bot.delivery.home_refresh import HomeRefresher
from bot.delivery.outbox import RetryPolicy
from bot.delivery.pacing import Pacer
from bot.delivery.slack_calls import CountedWebClient
from bot.escalation.sweep import Escalator
from bot.escalation.words import StepWords
from bot.followup.cards import task_renderer
from bot.followup.crm_touch import CrmTouches
from bot.followup.outreach_setup import outreach_for
from bot.followup.sweep import TaskSweeper
from bot.followup.tasks import TaskService
from bot.followup.template_alert import TemplateAlerts
from bot.leads.availability import Availability
from bot.leads.changes import OBSERVER as CHANGE_OBSERVER
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
from bot.services import Deps, Services
from bot.settings import Settings
from bot.sources.intake import SourceIntake
from bot.sources.quarantine import Quarantine
from bot.sources.writeback import with_hooks
from bot.sources.writer import CrmWriter
from storage.db import Database


def create_services(
    settings: Settings,
    config: Config,
    clock: Clock | None = None,
    retry: RetryPolicy | None = None,
    wake: Callable[[], None] | None = None,
) -> Services:
    """`wake`: what a commit that wrote outbox rows calls; by default this process's own
    dispatcher (`leadbot serve` passes the delivery worker's, `bot/worker/`)."""
    clock = clock or SystemClock()
    db = Database(settings.database_url)
    senders = [source.lead_source(name) for name, source in config.sources.items()]
    metrics = Metrics(
        db,
        known_sources=[*config.named_sources(), *FORM_SOURCES, *senders],
        known_tiers=[tier.name for tier in config.tiers],
        clock=clock,
    )
    db.session_info[CHANGE_OBSERVER] = metrics  # lead changes counted as they commit
    client = CountedWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=10,
        on_call=metrics.slack_called,
    )
    outreach, step_words = outreach_for(config), StepWords(config)
    dispatcher = Dispatcher(
        db,
        client,
        clock,
        card_renderer(clock, config.followup.currency),
        message_blocks,
        retry=retry,
        delivery=config.delivery,
        render_task=task_renderer(outreach),
        render_words=step_words.drawn,
    )
    deps = Deps.create(db, config, clock, wake=wake or dispatcher.wake)
    deps = with_hooks(deps)
    dispatcher.log.on_give_up = FailureHandler(deps, metrics.delivery_given_up).gave_up
    dispatcher.log.on_template_problem = TemplateAlerts(config).tell
    dispatcher.log.on_words_problem = step_words.tell
    leads = LeadService(deps)
    queries = LeadQueries(db)
    stats = StatsService(db, config, clock)
    tasks = TaskService(deps)
    digests = DigestService(db, config, clock, stats)
    intake = GroupedIntake(leads) if db.is_sqlite else leads
    quarantine = Quarantine(db, config, clock, deps.wake)
    homes = HomeRefresher(
        db,
        client,
        clock,
        config,
        home_renderer(queries, stats, config, clock, followups=tasks.agenda_of),
        # Tier 4 is the workspace's: shared with the other senders, as the dispatcher's budgets.
        pacer=Pacer(config.delivery, senders=lambda: dispatcher.leases.senders),
    )
    return Services(
        settings=settings,
        config=config,
        clock=clock,
        db=db,
        client=client,
        dispatcher=dispatcher,
        leads=leads,
        intake=intake,
        sources=SourceIntake(
            config, leads, intake, quarantine, settings.source_secrets, CrmTouches(deps, tasks)
        ),
        quarantine=quarantine,
        queries=queries,
        metrics=metrics,
        escalator=Escalator(deps),
        availability=Availability(db, config, clock),
        contacts=ContactLog(deps),
        closing=LeadClosing(deps),
        homes=homes,
        stats=stats,
        digests=digests,
        dashboard=Dashboard(db, config, clock, stats, settings.dashboard_refresh),
        digest_sender=DigestSender(db, config, clock, digests, deps.wake),
        tasks=tasks,
        task_sweeper=TaskSweeper(deps),
        crm_writer=CrmWriter(
            db,
            config,
            clock,
            settings.source_secrets,
            dispatcher.leases.holder,
            wake=deps.wake,
            senders=lambda: dispatcher.leases.senders,
        ),
    )
