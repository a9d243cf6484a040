"""The Jinja2 sandbox outreach templates run in, with limits on the work one render may do.

Template files are written by the team and reviewed like code; the values come from whoever
filled in a form. The sandbox (the rules of bot/escalation/templates.py: no `_` names, no `mro`,
no frames, checked without running too) keeps a template away from Python's internals. The
limits keep a mistaken template from hanging the bot or eating its memory: every loop pass,
call and filter spends from a step budget under a deadline, and each value an operator, filter
or call makes is size-checked, with the operations that multiply sizes (`*`, `**`, format
widths, `center`, `replace`, `join`...) checked before they run.
"""

from __future__ import annotations

import re
import sys
import time
import types
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from jinja2 import ChainableUndefined, Template, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from bot.escalation.templates import sandbox_refusals

MAX_OUTPUT = 20_000  # characters a subject or a body may render to
MAX_VALUE = 100_000  # characters (or items) in any value a template makes
MAX_WRITTEN = 1_000_000  # characters written by `{{ }}` in one render, into blocks and macros too
MAX_GROWTH = 1_000_000  # the most one `replace`/`join`/`indent` call may make, estimated first
MAX_STEPS = 100_000  # loop passes, calls and filters in one render
MAX_INT_BITS = 256
DEADLINE_SECONDS = 1.0

_STEPS_FILTER = "_leadbot_steps"
_BOUNDED_FILTER = "_leadbot_bounded"
_WIDTH_CALLS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs", "indent"})
_WIDTH_CALLS |= {"slice", "batch", "wordwrap"}
_GROWING_CALLS = frozenset({"replace", "join", "indent", "wordwrap"})
# A field width of six digits or more: `%999999d`, `{:>999999}`; `*` and nested `{}` take it
# from the arguments instead.
_WIDE_FORMAT = re.compile(r"%[-+ #0]*\d{6,}|\{[^{}]*:[^{}]*\d{6,}")
_WIDTH_FROM_ARGS = re.compile(r"%[-+ #0]*\*|\{[^{}]*:[^{}]*\{")


class LimitExceeded(Exception):
    """A render did more work, or made a bigger value, than an outreach message needs."""


class RenderFailure(Exception):
    """A render failed: `line` is the template's own line (no front-matter offset)."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class _Run:
    """One render in progress: the budget spent, and the unknown values it printed."""

    filename: str
    template: Template
    labels: dict[int, str]  # id() of the `lead`, `owner`... mappings -> their name
    deadline: float = field(default_factory=lambda: time.monotonic() + DEADLINE_SECONDS)
    steps: int = 0
    written: int = 0
    missing: list[tuple[str, int | None]] = field(default_factory=list)

    def line_now(self) -> int | None:
        """The template line running now: the innermost frame of its compiled code."""
        frame: types.FrameType | None = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename == self.filename:
                return self.template.get_corresponding_lineno(frame.f_lineno)
            frame = frame.f_back
        return None


# Per thread (and task): a contextvar, since Slack handlers render in worker threads.
_RUN: ContextVar[_Run | None] = ContextVar("outreach_run", default=None)


def _step() -> None:
    run = _RUN.get()
    if run is None:  # constant folding while compiling: no render to charge
        return
    run.steps += 1
    if run.steps > MAX_STEPS:
        raise LimitExceeded(f"stopped after {MAX_STEPS:,} loop passes and calls (endless?)")
    if time.monotonic() > run.deadline:
        raise LimitExceeded(f"stopped after {DEADLINE_SECONDS:g}s: too slow to render")


def bounded(value: Any) -> Any:
    if isinstance(value, str | list | tuple | dict | set) and len(value) > MAX_VALUE:
        raise LimitExceeded(f"made a value of {len(value):,} characters (at most {MAX_VALUE:,})")
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise LimitExceeded(f"made a number of more than {MAX_INT_BITS} bits")
    return value


def _steps(iterable: Iterable[Any]) -> Iterator[Any]:
    for item in iterable:
        _step()
        yield item


def _size(value: object) -> int:
    return len(value) if isinstance(value, str | list | tuple | dict) else 0


def _precheck(name: str, subject: object, args: Iterable[Any]) -> None:
    """Refuse a call by `name` on `subject` that would make a huge value, before it runs."""
    args = list(args)
    if name in ("format", "format_map") and isinstance(subject, str):
        _check_format(subject, args)
    if name in _WIDTH_CALLS and any(isinstance(a, int) and a > MAX_VALUE for a in args):
        raise LimitExceeded(f"{name}() with a width over {MAX_VALUE:,}")
    longest = max((_size(arg) for arg in args), default=0)
    if name in _GROWING_CALLS and (_size(subject) + 1) * longest > MAX_GROWTH:
        raise LimitExceeded(f"{name}() would make more than {MAX_GROWTH:,} characters")


def _check_format(text: str, args: Iterable[Any]) -> None:
    wide = _WIDE_FORMAT.search(text)
    from_args = _WIDTH_FROM_ARGS.search(text)
    if wide or (from_args and any(isinstance(a, int) and a > MAX_VALUE for a in args)):
        raise LimitExceeded(f"a format width over {MAX_VALUE:,}")


def _check_binop(operator: str, left: Any, right: Any) -> None:
    for seq, count in ((left, right), (right, left)):
        if operator == "*" and isinstance(count, int) and _size(seq) * count > MAX_VALUE:
            raise LimitExceeded(f"'*' would make more than {MAX_VALUE:,} characters")
    powers = operator == "**" and isinstance(left, int) and isinstance(right, int)
    if powers and abs(left) > 1 and (abs(left).bit_length() - 1) * right > MAX_INT_BITS:
        raise LimitExceeded(f"'**' would make a number of more than {MAX_INT_BITS} bits")
    if operator == "%" and isinstance(left, str):
        _check_format(left, right if isinstance(right, tuple) else [right])


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    takes_context = getattr(func, "jinja_pass_arg", None) is not None

    @wraps(func)  # keeps `jinja_pass_arg`, which tells Jinja what to pass first
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _step()
        values = args[1:] if takes_context else args
        if values:
            _precheck(name, values[0], [*values[1:], *kwargs.values()])
        return bounded(func(*args, **kwargs))

    return guarded


def _finalize(value: Any) -> str:
    text = "" if value is None else str(value)  # a None in a custom field prints as nothing
    run = _RUN.get()
    if run is not None:
        run.written += len(text)
        if run.written > MAX_WRITTEN:
            raise LimitExceeded(f"wrote more than {MAX_WRITTEN:,} characters")
    return text


class Missing(ChainableUndefined):
    """An unknown value: prints as nothing, takes `default`, and is noted when printed
    without one (`leadbot templates check` warns: the message would read with a gap)."""

    __slots__ = ()

    def __str__(self) -> str:
        run = _RUN.get()
        if run is not None and self._undefined_name is not None:
            label = run.labels.get(id(self._undefined_obj))
            name = f"{label}.{self._undefined_name}" if label else str(self._undefined_name)
            run.missing.append((name, run.line_now()))
        return ""


class OutreachEnvironment(ImmutableSandboxedEnvironment):
    """Immutable: a template cannot change the lead it is shown (`lead.fields.update(...)`)."""

    intercepted_binops = frozenset({"+", "*", "**", "%"})

    def __init__(self) -> None:
        # Plain text for an email, not HTML: no autoescape. Block tags take their line with
        # them, so `{% if %}` on its own line leaves no blank line.
        super().__init__(
            undefined=Missing, finalize=_finalize, trim_blocks=True, lstrip_blocks=True
        )
        self.globals.pop("lipsum", None)  # makes paragraphs in a loop the budget cannot see
        self.filters = {name: _guard_filter(name, f) for name, f in self.filters.items()}
        self.filters[_STEPS_FILTER] = _steps
        self.filters[_BOUNDED_FILTER] = bounded

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        # The default is an Undefined that prints as "" under ChainableUndefined: say no loudly.
        raise SecurityError(
            f"access to attribute {attribute!r} of a {type(obj).__name__} is unsafe"
        )

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        return bounded(super().call_binop(context, operator, left, right))

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        _step()  # macros call themselves through here: recursion spends the budget
        target = getattr(obj, "__wrapped__", obj)  # the sandbox wraps `str.format`
        if isinstance(target, types.BuiltinMethodType | types.MethodType):
            _precheck(target.__name__, target.__self__, [*args, *kwargs.values()])
        return bounded(super().call(context, obj, *args, **kwargs))


class _Guard(NodeTransformer):
    """Every loop spends steps; every `~` and `{% set %}` is size-checked (a value doubled on
    each pass of a loop or a macro would otherwise grow unseen)."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _filtered(node.iter, _STEPS_FILTER)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _filtered(node, _BOUNDED_FILTER)

    def visit_Assign(self, node: nodes.Assign) -> nodes.Node:
        self.generic_visit(node)
        node.node = _filtered(node.node, _BOUNDED_FILTER)
        return node


def _filtered(node: nodes.Expr, name: str) -> nodes.Filter:
    return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)


_NO_FILES = (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)


def compile_template(
    env: OutreachEnvironment, source: str, filename: str
) -> tuple[Template | None, list[tuple[int | None, str]]]:
    """The template, or the problems (line in `source`, message) that stop it compiling."""
    try:
        tree = env.parse(source, filename=filename)
    except TemplateSyntaxError as err:
        return None, [(err.lineno, err.message or "syntax error")]
    problems: list[tuple[int | None, str]] = []
    for refusal in sandbox_refusals(tree):  # "line N: what", the escalation module's words
        line, _, what = refusal.partition(": ")
        problems.append((int(line.removeprefix("line ")), f"refused by the sandbox: {what}"))
    for node in tree.find_all(_NO_FILES):
        problems.append((node.lineno, "a template cannot use other files (extends, include)"))
    if problems:
        return None, problems
    tree = _Guard().visit(tree)
    tree.set_environment(env)
    try:
        code = env.compile(tree, filename=filename)
    except TemplateSyntaxError as err:  # an unknown filter or test is found here
        return None, [(err.lineno, err.message or "syntax error")]
    return env.template_class.from_code(env, code, env.make_globals(None)), []


def render(
    template: Template, filename: str, values: dict[str, Any], labels: dict[int, str]
) -> tuple[str, list[tuple[str, int | None]]]:
    """The text, and each unknown value printed without a default (name, line); raises
    RenderFailure for anything the template does wrong."""
    run = _Run(filename, template, labels)
    token = _RUN.set(run)
    pieces: list[str] = []
    size = 0
    try:
        stream = template.generate(values)
        try:  # streamed, so an endless run of output stops at the cap, not out of memory
            for piece in stream:
                size += len(piece)
                if size > MAX_OUTPUT:
                    raise RenderFailure(None, f"renders more than {MAX_OUTPUT:,} characters")
                pieces.append(piece)
        finally:
            stream.close()
    except RenderFailure:
        raise
    except Exception as err:  # whatever the template does wrong, said in its words
        raise RenderFailure(_line_of(err, filename), _describe(err)) from None
    finally:
        _RUN.reset(token)
    return "".join(pieces), run.missing


def _line_of(err: BaseException, filename: str) -> int | None:
    # Jinja rewrites the traceback so a template's frames carry its own line numbers.
    line = None
    tb = err.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _describe(err: Exception) -> str:
    if isinstance(err, SecurityError):
        return f"refused by the sandbox: {err}"
    if isinstance(err, LimitExceeded):
        return str(err)
    if isinstance(err, RecursionError):
        return "calls itself without end (a macro or a recursive loop)"
    return f"{type(err).__name__}: {err}"
