"""Message copy from leadbot.yml templates: Jinja2 in a sandbox, every value escaped for Slack.

Templates render words only, never Block Kit JSON. Every `{{ value }}` passes through `finalize`,
which escapes `&`, `<` and `>` unless the value is already `Mrkdwn` (a mention or a date token
leadbot built itself), so a lead's name can never become a mention or a link.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from string import Formatter
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import (
    UNSAFE_ASYNC_GENERATOR_ATTRIBUTES,
    UNSAFE_COROUTINE_ATTRIBUTES,
    UNSAFE_GENERATOR_ATTRIBUTES,
    SandboxedEnvironment,
)

from blocks.mrkdwn import escape
from bot.clock import OncePerHour

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
    """For config validation: the template compiles, uses only names the sandbox allows and
    variables leadbot passes, in every branch (a sample renders only the branches its values
    take), and, given its `name`, renders a sample lead into some words."""
    env = environment()
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as err:
        raise ValueError(f"template error on line {err.lineno}: {err.message}") from None
    refused = sandbox_refusals(tree)
    if refused:
        raise ValueError(f"refused by the sandbox: {refused[0]}")
    if name:
        known = set(samples(name)[0])
        unknown = sorted(meta.find_undeclared_variables(tree) - known)
        if unknown:
            may_use = ", ".join(sorted(known))
            raise ValueError(f"'{unknown[0]}' is undefined (this template may use: {may_use})")
    template = env.from_string(tree)
    for values in samples(name) if name else []:
        _render_sample(template, values)
    return source


def _render_sample(template: Any, values: dict[str, Any]) -> None:
    try:
        words = template.render(**values).strip()
    except SecurityError as err:
        raise ValueError(f"refused by the sandbox: {err}") from None
    except Exception as err:  # anything else the template does wrong, said in its words
        raise ValueError(f"fails on a sample lead: {type(err).__name__}: {err}") from None
    if not words:
        raise ValueError("renders no words for a sample lead: a message needs some")


# What SandboxedEnvironment refuses by name: anything starting with "_", and `mro` and the
# frame and code attributes of types, generators and coroutines.
_REFUSED = {"mro"} | UNSAFE_GENERATOR_ATTRIBUTES | UNSAFE_COROUTINE_ATTRIBUTES
_REFUSED |= UNSAFE_ASYNC_GENERATOR_ATTRIBUTES


def _refused(name: str) -> bool:
    return name.startswith("_") or name in _REFUSED


def sandbox_refusals(tree: nodes.Template) -> list[str]:
    """Every access in the template, taken or not, that the sandbox would refuse at run time,
    found without running it. A name computed at run time cannot be checked, so it is refused
    too: a message template has no need for one."""
    found: list[tuple[int, str]] = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Call)):
        for accessed in _names_accessed(node):
            if accessed is None:
                found.append((node.lineno, "a computed attribute or format string"))
            elif _refused(accessed):
                found.append((node.lineno, f"access to attribute '{accessed}' is unsafe"))
    # find_all meets `a.b.c` from the outside in: reversed, each line reads left to right
    return [f"line {line}: {what}" for line, what in sorted(reversed(found), key=lambda f: f[0])]


def _names_accessed(node: nodes.Node) -> list[str | None]:
    """The attribute names `node` reads: None for one only known at run time."""
    if isinstance(node, nodes.Getattr):
        return [node.attr]
    if isinstance(node, nodes.Getitem):
        return _constant_key(node.arg, allow_int=True)
    if isinstance(node, nodes.Filter) and node.name == "attr":
        return _constant_key(node.args[0] if node.args else None, allow_int=False)
    is_call = isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr)
    if is_call and node.node.attr in ("format", "format_map"):
        return _format_fields(node.node.node)
    return []


def _constant_key(arg: nodes.Node | None, *, allow_int: bool) -> list[str | None]:
    if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
        return [arg.value]
    index = isinstance(arg, nodes.Const) and isinstance(arg.value, int)
    if allow_int and (index or isinstance(arg, nodes.Slice)):
        return []  # `lead[0]`, `lead[:40]`: no attribute read
    return [None]


def _format_fields(receiver: nodes.Node) -> list[str | None]:
    """`"{0.__class__}".format(x)` reads `__class__`: each attribute or key in each field."""
    if not (isinstance(receiver, nodes.Const) and isinstance(receiver.value, str)):
        return [None]  # a format string from data: its fields are unknown here
    try:
        fields = [f for _, f, _, _ in Formatter().parse(receiver.value) if f]
    except ValueError:
        return []  # not a valid format string: rendering the sample says so
    return [part for field in fields for part in _field_parts(field)]


def _field_parts(field: str) -> list[str]:
    parts = field.replace("]", "").replace("[", ".").split(".")
    return [part for part in parts[1:] if part]


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
        self._told = OncePerHour()  # per template name: when the admins were last told

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
            if on_failure is not None and self._told.first(name):
                on_failure(problem)
        return words or self._builtin[name].render(**values).strip()
