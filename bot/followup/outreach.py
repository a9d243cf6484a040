"""Outreach templates: `<name>.md.j2` files a rep copies into an email, a call or a LinkedIn note.
leadbot never sends outreach itself; it renders the words and, for email, a `mailto:` link.

A file is optional YAML front matter between `---` lines (`subject`, a template too; `channel`;
`description`) and a Jinja2 body rendered in the sandbox of bot/followup/outreach_sandbox.py with
`lead`, `owner` and `cadence` (bot/followup/outreach_context.py). The output is plain text:
nothing is escaped here; whoever shows it in Slack escapes it there. Every problem names the
file and its line in the file (Jinja's line plus the front matter's).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from jinja2 import Template

from blocks.mrkdwn import ELLIPSIS, truncate
from bot.followup import outreach_sandbox as sandbox
from bot.followup.outreach_context import OutreachContext
from bot.followup.outreach_front import FrontMatterError, parse_front_matter

SUFFIX = ".md.j2"
NAME = re.compile(r"[a-z][a-z0-9_-]{0,63}")
MAX_FILE_BYTES = 64 * 1024  # a message template is a page, not a book
_SUBJECT_MARK = " (subject)"  # the subject's compiled code is told apart by its file name

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class OutreachTemplate:
    name: str
    path: Path
    channel: str
    description: str
    subject_source: str | None
    body_source: str
    body_line: int  # the body's first line in the file, after the front matter
    subject_line: int | None = None  # the `subject:` line, where its errors are reported


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    body: str
    channel: str


@dataclass(frozen=True)
class TemplateProblem:
    path: str
    line: int | None
    message: str
    severity: Severity = "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        kind = "warning: " if self.severity == "warning" else ""
        return f"{where}: {kind}{self.message}"


class OutreachError(Exception):
    """A template failed on a render: where (file and line in the file) and why."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.problem = TemplateProblem(path, line, message)
        super().__init__(str(self.problem))


@dataclass(frozen=True)
class _Entry:
    template: OutreachTemplate
    body: Template
    subject: Template | None


class OutreachTemplates:
    def __init__(self, entries: dict[str, _Entry]) -> None:
        self._entries = entries

    @classmethod
    def load(cls, directory: Path) -> tuple[OutreachTemplates, list[TemplateProblem]]:
        """Every `*.md.j2` file in `directory`, read and compiled; a file with an error is left
        out and said, and never stops the others. Other files are not templates: ignored."""
        where = str(directory)
        try:
            paths = sorted(p for p in directory.iterdir() if p.name.endswith(SUFFIX))
        except FileNotFoundError:
            return cls({}), [TemplateProblem(where, None, "no such directory")]
        except NotADirectoryError:
            return cls({}), [TemplateProblem(where, None, "not a directory")]
        except OSError as err:
            return cls({}), [TemplateProblem(where, None, f"cannot read: {err.strerror}")]
        env = sandbox.OutreachEnvironment()
        entries: dict[str, _Entry] = {}
        problems: list[TemplateProblem] = []
        for path in paths:
            entry, found = _load_file(env, path)
            problems += found
            if entry is not None:
                entries[entry.template.name] = entry
        return cls(entries), problems

    def names(self) -> list[str]:
        return sorted(self._entries)

    def get(self, name: str) -> OutreachTemplate | None:
        entry = self._entries.get(name)
        return entry.template if entry else None

    def render(self, name: str, context: OutreachContext) -> Rendered:
        """The words for `context`; OutreachError (file and line) if the template fails."""
        return self.render_traced(name, context)[0]

    def render_traced(
        self, name: str, context: OutreachContext
    ) -> tuple[Rendered, list[tuple[str, int | None]]]:
        """`render`, and each unknown value printed without a default: (name, file line)."""
        entry = self._entries.get(name)
        if entry is None:
            raise OutreachError(name, None, f"no template named {name!r}")
        template = entry.template
        values, labels = _values(context)
        body, missing = _render_part(entry.body, template, values, labels, subject=False)
        subject = None
        if entry.subject is not None:
            text, gaps = _render_part(entry.subject, template, values, labels, subject=True)
            subject = " ".join(text.split())  # a subject is one line
            missing += gaps
        return Rendered(subject, _tidy(body), template.channel), missing


def _values(context: OutreachContext) -> tuple[dict[str, Any], dict[int, str]]:
    """Fresh copies for each render, and which of them is which (for the check's warnings)."""
    lead = dict(context.lead)
    fields = lead.get("fields")
    lead["fields"] = fields = dict(fields) if isinstance(fields, Mapping) else {}
    owner, cadence = dict(context.owner), dict(context.cadence)
    labels = {id(lead): "lead", id(fields): "lead.fields", id(owner): "owner"}
    labels[id(cadence)] = "cadence"
    return {"lead": lead, "owner": owner, "cadence": cadence}, labels


def _render_part(
    part: Template,
    template: OutreachTemplate,
    values: dict[str, Any],
    labels: dict[int, str],
    *,
    subject: bool,
) -> tuple[str, list[tuple[str, int | None]]]:
    try:
        text, missing = sandbox.render(part, part.filename or "", values, labels)
    except sandbox.RenderFailure as failure:
        line = _file_line(template, failure.line, subject)
        raise OutreachError(str(template.path), line, failure.message) from None
    return text, [(name, _file_line(template, line, subject)) for name, line in missing]


def _file_line(template: OutreachTemplate, line: int | None, subject: bool) -> int | None:
    # A subject is one YAML value: its errors are on its `subject:` line.
    return template.subject_line if subject else _offset(line, template.body_line)


def _tidy(body: str) -> str:
    # A missing optional paragraph leaves blank lines and a missing last word a trailing space.
    lines = [line.rstrip() for line in body.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _load_file(
    env: sandbox.OutreachEnvironment, path: Path
) -> tuple[_Entry | None, list[TemplateProblem]]:
    where = str(path)
    name = path.name.removesuffix(SUFFIX)
    if not NAME.fullmatch(name):
        why = "a template name is a-z, 0-9, '-' and '_', starting with a letter, at most 64"
        return None, [TemplateProblem(where, None, f"{path.name!r} is not a template name: {why}")]
    try:
        text = _read(path)
        front = parse_front_matter(text)
    except FrontMatterError as err:
        return None, [TemplateProblem(where, line, message) for line, message in err.problems]
    body, problems = sandbox.compile_template(env, front.body, where)
    found = [TemplateProblem(where, _offset(line, front.body_line), msg) for line, msg in problems]
    subject = None
    if front.subject is not None:
        subject, problems = sandbox.compile_template(env, front.subject, where + _SUBJECT_MARK)
        found += [TemplateProblem(where, front.subject_line, msg) for _, msg in problems]
    if found or body is None:
        return None, found
    template = OutreachTemplate(
        name, path, front.channel, front.description, front.subject, front.body,
        front.body_line, front.subject_line,
    )  # fmt: skip
    return _Entry(template, body, subject), []


def _offset(line: int | None, body_line: int) -> int | None:
    return None if line is None else body_line + line - 1


def _read(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise FrontMatterError([(None, f"cannot read the file: {err.strerror or err}")]) from None
    if len(data) > MAX_FILE_BYTES:
        raise FrontMatterError([(None, f"over {MAX_FILE_BYTES // 1024} KiB: too big")])
    try:
        return data.decode("utf-8-sig")  # an editor's byte-order mark is not part of the text
    except UnicodeDecodeError:
        raise FrontMatterError([(None, "not a UTF-8 text file")]) from None


# -- mailto ----------------------------------------------------------------------------------

_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_CRLF = "%0D%0A"  # RFC 6068: line breaks in a body are CRLF


def _encode(text: str) -> str:
    # Every character but the unreserved ones, so `&`, `?`, `=` and `#` cannot end a field.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return _CRLF.join(quote(line, safe="", errors="replace") for line in lines)


def _fit(text: str, budget: int) -> str | None:
    """`text`, or its longest prefix with "…" whose encoding fits in `budget`; None if not
    even "…" fits. The cut keeps accents and emoji sequences whole (blocks.mrkdwn.truncate)."""
    if len(_encode(text)) <= budget:
        return text
    room = budget - len(_encode(ELLIPSIS))
    if room < 0:
        return None
    kept = 0
    for char in text:
        room -= len(_encode(char))
        if room < 0:
            break
        kept += 1
    # `truncate` cuts only a text longer than its limit: the space makes sure this one is.
    return truncate(text + " ", kept + 1)


def mailto_url(to: str | None, subject: str | None, body: str, limit: int = 3000) -> str | None:
    """An RFC 6068 `mailto:` URL for a Slack button, at most `limit` characters (Slack's cap
    on a button's url): the body, then if need be the subject, cut short with "…". None when
    `to` is not a plain email address."""
    address = (to or "").strip()
    if len(address) > 254 or not _ADDRESS.fullmatch(address):
        return None
    base = "mailto:" + quote(address, safe="@!$'*+=^`{|}~")
    if len(base) > limit:
        return None
    fields = [("subject", subject or ""), ("body", body)]
    query = [f"{key}={_encode(value)}" for key, value in fields if value]
    url = base + ("?" + "&".join(query) if query else "")
    if len(url) <= limit:
        return url
    return _shortened(base, subject or "", body, limit)


def _shortened(base: str, subject: str, body: str, limit: int) -> str:
    head = f"{base}?subject={_encode(subject)}&body=" if subject else f"{base}?body="
    shown = _fit(body, limit - len(head)) if body else None
    if shown is not None:
        return head + _encode(shown)
    # The subject alone leaves no room: cut it, and the body goes.
    cut = _fit(subject, limit - len(base) - len("?subject=")) if subject else None
    return f"{base}?subject={_encode(cut)}" if cut else base
