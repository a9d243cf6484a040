"""The outreach templates a running leadbot uses: the built-in starter set (`starter/`), with the
admin's directory (`followup.templates`, relative to leadbot.yml) adding to and overriding it;
rendering one for a task; and the config checks that name a cadence step's unknown template.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config.schema import Config
from bot.followup.outreach import OutreachError, OutreachTemplates, mailto_url
from bot.followup.outreach_context import (
    OutreachContext,
    cadence_values,
    lead_values,
    owner_values,
)

if TYPE_CHECKING:  # not at run time: loading leadbot.yml checks the templates with this module,
    # and `leadbot serve` forks its worker before it loads SQLAlchemy and the models (serve.py)
    from bot.followup.cards import Filled
    from storage.followup import Task
    from storage.models import Lead

log = logging.getLogger(__name__)
STARTER = Path(__file__).resolve().parent / "starter"
MAILTO_LIMIT = 2800  # shown as a link in a context element of 3000 characters


@cache
def _starter() -> OutreachTemplates:
    templates, problems = OutreachTemplates.load(STARTER)
    errors = [str(p) for p in problems if p.is_error]
    assert not errors, f"the starter templates must load: {errors}"
    return templates


class TemplateSet:
    """Looks a name up in the admin's templates first, then in the starter set."""

    def __init__(self, own: OutreachTemplates | None) -> None:
        self.layers = [layer for layer in (own, _starter()) if layer is not None]

    def names(self) -> set[str]:
        return {name for layer in self.layers for name in layer.names()}

    def find(self, name: str) -> OutreachTemplates | None:
        return next((layer for layer in self.layers if layer.get(name) is not None), None)


def template_set(config: Config) -> tuple[TemplateSet, list[str]]:
    """The templates `config` names, and the problems of the admin's directory (each naming its
    file and line): a bad file is left out, the others are used."""
    directory = config.followup.templates
    if directory is None:
        return TemplateSet(None), []
    own, problems = OutreachTemplates.load(Path(directory))
    return TemplateSet(own), [str(p) for p in problems if p.is_error]


def cadence_template_problems(
    config: Config, templates: TemplateSet
) -> list[tuple[tuple[str | int, ...], str]]:
    """`cadences.standard.steps[3].template: unknown template 'case_stdy'`, one per step."""
    known = templates.names()
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for name, cadence in config.cadences.items():
        for index, step in enumerate(cadence.steps):
            if step.template is not None and step.template not in known:
                shown = ", ".join(sorted(known)) or "none"
                where: tuple[str | int, ...] = ("cadences", name, "steps", index, "template")
                problems.append((where, f"unknown template {step.template!r} (known: {shown})"))
    return problems


class TaskOutreach:
    """The task card's outreach (`Outreach`): the step's template rendered for this lead and its
    owner, with a mailto: link for email. A template that fails for this lead costs only its own
    text; what it returns then says why, for the admins."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.templates, problems = template_set(config)
        for problem in problems:
            log.error("outreach template left out: %s", problem)

    def __call__(self, name: str, task: Task, lead: Lead) -> Filled | str:
        """The template filled in for this lead, or why it could not be (file and line)."""
        try:
            filled = self._render(name, task, lead)
        except OutreachError as err:
            # The admins hear of it in Slack (the delivery log, once the card is posted).
            log.warning("task %s: outreach template failed: %s", task.id, err.problem)
            return str(err.problem)
        return filled if filled is not None else f"{name}: no such template"

    def _render(self, name: str, task: Task, lead: Lead) -> Filled | None:
        layer = self.templates.find(name)
        if layer is None:
            return None
        rendered = layer.render(name, _context(self.config, task, lead))
        mailto = mailto_url(lead.email, rendered.subject, rendered.body, limit=MAILTO_LIMIT)
        return rendered.subject, rendered.body, mailto if rendered.channel == "email" else None


def outreach_for(config: Config) -> TaskOutreach:
    return TaskOutreach(config)


def _context(config: Config, task: Task, lead: Lead) -> OutreachContext:
    rep = config.rep(task.owner_id)
    return OutreachContext(
        lead=lead_values(
            id=lead.id,
            name=lead.name,
            email=lead.email,
            phone=lead.phone,
            company=lead.company,
            product=lead.product,
            message=lead.message,
            country=lead.country,
            region=lead.region,
            source=lead.source,
            fields=lead.fields,
        ),
        owner=owner_values(name=rep.name if rep else None, email=rep.email if rep else None),
        cadence=cadence_values(
            name=task.cadence,
            day=task.day,
            step=task.step,
            steps=task.steps,
            channel=(task.channels or [None])[0],
        ),
        label=f"lead #{lead.id}",
    )
