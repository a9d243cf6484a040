"""Message copy from leadbot.yml templates: Jinja2 in a sandbox, every value escaped for Slack.

Templates render words only, never Block Kit JSON. Every `{{ value }}` passes through `finalize`,
which escapes `&`, `<` and `>` unless the value is already `Mrkdwn` (a mention or a date token
leadbot built itself), so a lead's name can never become a mention or a link.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from blocks.mrkdwn import escape

log = logging.getLogger(__name__)


class Mrkdwn(str):
    """A string leadbot built as Slack markup on purpose; templates leave it alone."""

    __slots__ = ()


def _finalize(value: Any) -> str:
    if isinstance(value, Mrkdwn):
        return value
    return escape("" if value is None else str(value))


def environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        finalize=_finalize, undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
    )


def samples(name: str) -> list[dict[str, Any]]:
    """The values a template is rendered with at run time, as a sample lead: a template must
    render these (overdue and not) before leadbot.yml is accepted."""
    if name == "held_digest":
        return [{"owner": Mrkdwn("<@U0ALICE>"), "count": 3}]
    lead: dict[str, Any] = {
        "lead": Mrkdwn("*Dana Whitfield* (Northwind) #42"),
        "owner": Mrkdwn("<@U0ALICE>"),
        "waited": "32m",
        "sla": "1h",
        "tier": "warm",
        "overdue": False,
    }
    if name == "notify_manager":
        lead["next_step"] = "It is going to the shared queue now."
    return [lead, {**lead, "overdue": True, "owner": "nobody"}]


def check_template(source: str, name: str | None = None) -> str:
    """For config validation: the template compiles and, given its `name`, renders a sample lead
    in the sandbox into some words: what the sandbox refuses at run time is refused here."""
    try:
        template = environment().from_string(source)
    except TemplateSyntaxError as err:
        raise ValueError(f"template error on line {err.lineno}: {err.message}") from None
    for values in samples(name) if name else []:
        try:
            words = template.render(**values).strip()
        except SecurityError as err:
            raise ValueError(f"refused by the sandbox: {err}") from None
        except UndefinedError as err:
            known = ", ".join(sorted(values))
            raise ValueError(f"{err} (this template may use: {known})") from None
        except Exception as err:  # anything else the template does wrong, said in its words
            raise ValueError(f"fails on a sample lead: {type(err).__name__}: {err}") from None
        if not words:
            raise ValueError("renders no words for a sample lead: a message needs some")
    return source


class TemplateRenderer:
    """Renders leadbot.yml's templates; one that fails on a lead (a value the config check's
    sample did not have) falls back to the built-in words, so the step still happens."""

    def __init__(self, templates: Any) -> None:
        env = environment()
        self._compiled = {
            name: env.from_string(source) for name, source in templates.model_dump().items()
        }
        self._builtin = {
            name: env.from_string(str(field.default))
            for name, field in type(templates).model_fields.items()
        }
        self._told: dict[str, float] = {}  # template name -> when the admins were last told
        self._lock = threading.Lock()

    def render(
        self,
        name: str,
        *,
        about: int | None = None,
        on_failure: Callable[[str], None] | None = None,
        **values: Any,
    ) -> str:
        """`on_failure(problem)` is called when the admin's template fails and the built-in
        words are used instead, at most once an hour per template (the admins are told)."""
        try:
            words = self._compiled[name].render(**values).strip()
            problem = "" if words else "rendered no words"
        except Exception as err:  # an admin's template must not stop the sweep for every lead
            words, problem = "", f"{type(err).__name__}: {err}"
        if problem:
            log.error(
                "template %s failed for lead %s (%s): built-in words used", name, about, problem
            )
            if on_failure is not None and self._first_in_an_hour(name):
                on_failure(problem)
        return words or self._builtin[name].render(**values).strip()

    def _first_in_an_hour(self, name: str) -> bool:
        with self._lock:  # two sweepers in one process tell once
            now = time.monotonic()
            if now - self._told.get(name, -3600.0) < 3600.0:
                return False
            self._told[name] = now
            return True
