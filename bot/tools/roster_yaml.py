"""leadbot.yml's `reps:` rewritten by `leadbot roster sync`, the rest of the file kept to the byte.

The file is read twice with ruamel.yaml: round-trip (the entries as mappings that keep their
comments, quotes and flow style) and composed (where each entry starts and ends). Only entries
that change are written again (by ruamel, at the file's own indentation); new ones go after the
last; every other line, comments and blank lines between entries too, is the file's own.
Written again whole, a file comes back changed where nothing was edited: `on` as `true`, the
spaces that align a flow list dropped. YAML 1.1 as leadbot reads it (PyYAML): a rep named "no"
is written quoted, else it would come back as false.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.config.yaml_source import YamlProblem, read_yaml
from bot.tools.roster_merge import Plan, trim_trailing
from bot.tools.roster_slack import Member

KEY = "reps"


class RosterFileError(Exception):
    """leadbot.yml cannot be edited: not YAML, not a mapping of settings. One line."""


@dataclass(frozen=True)
class Span:
    first: int  # the line of the entry's dash (0-based)
    last: int  # its last line with content; comments after it are not the entry's


@dataclass
class Layout:
    """Where `reps:` is in the text and how its entries are indented."""

    key_line: int | None = None  # None: the file has no `reps:` yet
    end_line: int = 0  # the section's last line with content
    block: bool = False  # a block list of entries, edited one by one
    spans: list[Span] = field(default_factory=list)
    dash: int = 2  # the entries' dash column
    keys: int = 4  # the column of their keys


@dataclass
class RosterFile:
    text: str
    data: CommentedMap
    layout: Layout

    @classmethod
    def parse(cls, text: str, source: str) -> RosterFile:
        """`source` names the file in messages. Read first as leadbot reads it, for the same
        words about a broken file (`leadbot config check`'s), then for editing."""
        try:
            found = read_yaml(text)
        except YamlProblem as problem:
            raise RosterFileError(f"{source}: {problem}") from None
        if found.duplicates:
            where, message = found.duplicates[0]
            raise RosterFileError(f"{source}: {'.'.join(map(str, where))}: {message}")
        try:
            data, root = _yaml().load(text), _yaml().compose(text)
        except (YAMLError, ValueError) as err:
            raise RosterFileError(f"{source}: not YAML leadbot can edit: {_brief(err)}") from None
        if not isinstance(data, CommentedMap) or not isinstance(root, MappingNode):
            raise RosterFileError(f"{source}: expected settings as 'key: value' lines")
        return cls(text, data, _layout(text, root))

    def rewritten(self, plan: Plan) -> str:
        """The text with the plan's changes (`data["reps"]` already holds its updates)."""
        if not plan.changes:
            return self.text
        entries = self.data.get(KEY)
        emptied = len(plan.pruned) == len(entries or []) and not plan.added  # `reps: []`
        if self.layout.block and isinstance(entries, CommentedSeq) and not emptied:
            return self._edit_entries(entries, plan)
        return self._replace_section(plan)

    def _edit_entries(self, entries: CommentedSeq, plan: Plan) -> str:
        lines, nl = self.text.splitlines(keepends=True), _newline(self.text)
        spans = self.layout.spans
        end = spans[-1].last
        if plan.added:
            lines[end] = lines[end] if lines[end].endswith("\n") else lines[end] + nl
            new = [new_entry(member) for member in plan.added]
            lines[end + 1 : end + 1] = self._render(new, nl)
        for index in sorted(plan.touched | set(plan.pruned), reverse=True):
            span, gone = spans[index], index in plan.pruned
            kept = [] if gone else self._render([entries[index]], nl, entries, index)
            lines[span.first : span.last + 1] = kept
        return "".join(lines)

    def _replace_section(self, plan: Plan) -> str:
        """`reps:` missing, empty or a flow list: the whole section, as a block list."""
        old = self.data.get(KEY)
        entries = CommentedSeq(e for i, e in enumerate(old or []) if i not in plan.pruned)
        entries += [new_entry(member) for member in plan.added]
        section = CommentedMap([(KEY, entries)])
        nl = _newline(self.text)
        rendered = _dump(section, self.layout.dash, self.layout.keys, nl)
        lines = self.text.splitlines(keepends=True)
        if self.layout.key_line is None:
            if lines and not lines[-1].endswith("\n"):
                lines[-1] += nl
            return "".join(lines + ([nl] if lines else []) + rendered)
        lines[self.layout.key_line : self.layout.end_line + 1] = rendered
        return "".join(lines)

    def _render(self, items: list[Any], nl: str, parent: CommentedSeq | None = None,
                index: int = 0) -> list[str]:  # fmt: skip
        """Entries as lines at the file's indentation, with their comments (an end-of-line
        comment of a flow entry is its list's, so it is brought along)."""
        single = CommentedSeq(items)
        if parent is not None and index in parent.ca.items:
            single.ca.items[0] = parent.ca.items[index]
        for item in items:
            trim_trailing(item)
        trim_trailing(single)
        return _dump(single, self.layout.dash, self.layout.keys, nl)


def new_entry(member: Member) -> CommentedMap:
    entry = CommentedMap([("id", member.id), ("name", member.name)])
    if member.email:
        entry["email"] = member.email
    if member.timezone:
        entry["timezone"] = member.timezone
    return entry


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.version = (1, 1)  # as PyYAML, leadbot's reader: `no` and `on` are booleans there
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line the file has on one
    yaml.allow_unicode = True
    return yaml


def _dump(node: Any, dash: int, keys: int, nl: str) -> list[str]:
    yaml = _yaml()
    yaml.indent(mapping=max(keys - dash, 2), sequence=keys, offset=dash)
    out = io.StringIO()
    yaml.dump(node, out)
    lines = out.getvalue().splitlines()
    if "---" in lines:  # the `%YAML 1.1` directive and the document start it brings
        lines = lines[lines.index("---") + 1 :]
    while lines and not lines[-1].strip():
        lines.pop()
    return [line + nl for line in lines]


def _layout(text: str, root: MappingNode) -> Layout:
    lines = text.splitlines()
    for key, value in root.value:
        if isinstance(key, ScalarNode) and key.value == KEY:
            empty = isinstance(value, ScalarNode) and value.value == ""  # `reps:` and no more
            end = key.start_mark.line if empty else max(key.start_mark.line, _last_line(value))
            layout = Layout(key.start_mark.line, end)
            if isinstance(value, SequenceNode) and not value.flow_style and value.value:
                layout.block = True
                layout.spans = [_span(lines, item) for item in value.value]
                first = value.value[0]
                layout.dash = _dash(lines, first)[1]
                layout.keys = max(first.start_mark.column, layout.dash + 2)
            return layout
    return Layout()


def _span(lines: list[str], item: Node) -> Span:
    return Span(_dash(lines, item)[0], max(_last_line(item), item.start_mark.line))


def _dash(lines: list[str], item: Node) -> tuple[int, int]:
    """The line and column of the `-` that starts a list entry."""
    line, column = item.start_mark.line, item.start_mark.column
    before = lines[line][:column].rstrip()
    while not before.endswith("-") and line > 0:  # "-" alone on a line, the entry below it
        line -= 1
        before = lines[line].split("#", 1)[0].rstrip()
    return line, max(len(before) - 1, 0)


def _last_line(node: Node) -> int:
    """The last line holding the node's text: its last scalar's, or a flow collection's end
    (a block collection's end mark is where the next token starts, after any comments)."""
    if isinstance(node, ScalarNode) or getattr(node, "flow_style", False):
        end = node.end_mark
        return end.line if end.column > 0 else max(end.line - 1, node.start_mark.line)
    if isinstance(node, MappingNode):
        children = [part for pair in node.value for part in pair]
    else:
        children = list(node.value)
    return max((_last_line(child) for child in children), default=node.start_mark.line)


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _brief(err: Exception) -> str:
    return " ".join(str(err).split())
