"""Message copy from leadbot.yml templates: Jinja2 in a sandbox, every value escaped for Slack.

Templates render words only, never Block Kit JSON. Every `{{ value }}` passes through `finalize`,
which escapes `&`, `<` and `>` unless the value is already `Mrkdwn` (a mention or a date token
leadbot built itself), so a lead's name can never become a mention or a link.
"""

from __future__ import annotations

from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from blocks.mrkdwn import escape


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


def check_template(source: str) -> str:
    """For config validation: the template must compile (a precise message if not)."""
    try:
        environment().from_string(source)
    except TemplateSyntaxError as err:
        raise ValueError(f"template error on line {err.lineno}: {err.message}") from None
    return source


class TemplateRenderer:
    def __init__(self, templates: Any) -> None:
        env = environment()
        self._compiled = {
            name: env.from_string(source) for name, source in templates.model_dump().items()
        }

    def render(self, name: str, **values: Any) -> str:
        return self._compiled[name].render(**values).strip()
