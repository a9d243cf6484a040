"""The YAML front matter of an outreach template file: `subject`, `channel`, `description`
between two `---` lines at the top. Every problem found is reported, each on its line in the
file, and a file with one is not used (a wrong channel would put it in the wrong step)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from bot.vocabulary import FollowUpChannel

FIELDS = ("channel", "description", "subject")
_FENCE = "---"
_QUOTE_HINT = "quote a value that starts with '{', e.g. subject: \"{{ lead.company }} and us\""


class FrontMatterError(Exception):
    """The file cannot be used: (line in the file or None, message) for each problem."""

    def __init__(self, problems: list[tuple[int | None, str]]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


@dataclass(frozen=True)
class FrontMatter:
    channel: str
    description: str
    subject: str | None
    subject_line: int | None
    body: str
    body_line: int  # the body's first line in the file


def parse_front_matter(text: str) -> FrontMatter:
    """Split `text` into front matter and body; FrontMatterError lists what is wrong."""
    # Jinja counts "\r\n" and "\r" as one line each too: the same lines here and there.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[0].rstrip() != _FENCE:
        return FrontMatter("email", "", None, None, "\n".join(lines), 1)
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == _FENCE), None)
    if end is None:
        raise FrontMatterError([(1, "the front matter opened here has no closing '---' line")])
    head = lines[1:end]
    data = _load_yaml(head)
    values, problems = _fields(data, head)
    if problems:
        raise FrontMatterError(problems)
    subject = values["subject"]
    subject_line = _line_of_key(head, "subject") if subject is not None else None
    body = "\n".join(lines[end + 1 :])
    return FrontMatter(
        values["channel"], values["description"], subject, subject_line, body, end + 2
    )


def _load_yaml(head: list[str]) -> dict[str, Any]:
    try:
        data = yaml.safe_load("\n".join(head))
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        index = mark.line if mark else 0
        message = f"front matter is not valid YAML: {err.problem or err.context or err}"
        if index < len(head) and "{" in head[index]:
            message += f" ({_QUOTE_HINT})"
        raise FrontMatterError([(index + 2, message)]) from None
    except yaml.YAMLError as err:
        raise FrontMatterError([(2, f"front matter is not valid YAML: {err}")]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FrontMatterError([(2, "front matter must be 'key: value' lines")])
    return data


def _fields(data: dict[Any, Any], head: list[str]) -> tuple[dict[str, Any], list[tuple[int, str]]]:
    problems = [
        (_line_of_key(head, key), f"unknown front-matter key {key!r} (known: {', '.join(FIELDS)})")
        for key in data
        if key not in FIELDS
    ]
    channel = data.get("channel", FollowUpChannel.EMAIL.value)
    channels = [c.value for c in FollowUpChannel]
    if channel not in channels:
        wanted = f"channel must be one of {', '.join(channels)}, got {channel!r}"
        problems.append((_line_of_key(head, "channel"), wanted))
    subject = data.get("subject")
    if isinstance(subject, int | float) and not isinstance(subject, bool):
        subject = str(subject)  # `subject: 2025` is a subject, not a number
    elif subject is not None and not isinstance(subject, str):
        problems.append((_line_of_key(head, "subject"), f"subject must be text ({_QUOTE_HINT})"))
    description = data.get("description")
    if description is not None and not isinstance(description, str):
        problems.append((_line_of_key(head, "description"), "description must be text"))
    values = {"channel": channel, "subject": subject or None, "description": description or ""}
    return values, problems


def _line_of_key(head: list[str], key: object) -> int:
    """The file line of `key:` in the front matter (line 1 is the opening `---`)."""
    pattern = re.compile(rf"\s*['\"]?{re.escape(str(key))}['\"]?\s*:")
    for index, line in enumerate(head):
        if pattern.match(line):
            return index + 2
    return 1
