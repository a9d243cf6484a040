"""leadbot.yml as YAML: the document, the line each key is on, and its duplicate keys.

YAML loaders keep the last of two equal keys without a word, so a second `reps:` pasted at the
end of the file silently replaced the first; here every duplicate is a problem naming the key
and both lines. The lines let every later problem say where it is (`(line 14)`), since pydantic
and the cross-checks only know the key path.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.config.errors import Loc, Problem

__all__ = ["YamlDocument", "YamlProblem", "read_yaml"]

MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlProblem(Exception):
    """The text is not YAML leadbot can read; `line` and `column` are 1-based when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message, line, column)
        self.message, self.line, self.column = message, line, column

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class YamlDocument:
    data: object
    duplicates: list[Problem] = field(default_factory=list)
    lines: dict[Loc, int] = field(default_factory=dict)
    _duplicate_lines: list[int] = field(default_factory=list)

    def line_of(self, problem: Problem) -> int | None:
        """The line of the key at the problem's path, else of the nearest enclosing one (a
        missing key is reported on its mapping's line); None for the whole file. A duplicate
        key's is its second one (its path may be in a section the duplicate replaced)."""
        loc = problem[0]
        if problem in self.duplicates:
            return self._duplicate_lines[self.duplicates.index(problem)]
        for end in range(len(loc), 0, -1):
            line = self.lines.get(_normal(loc[:end]))
            if line is not None:
                return line
        return None


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that notes every key given twice in one mapping (merge keys `<<` excepted:
    overriding a merged key is what they are for)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.seen_twice: list[tuple[MappingNode, Hashable, int, int]] = []

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, object]:
        first: dict[Hashable, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG or not isinstance(key_node, ScalarNode):
                continue
            key = self.construct_object(key_node)
            line = key_node.start_mark.line + 1
            if not isinstance(key, Hashable):
                continue
            if key in first:
                self.seen_twice.append((node, key, first[key], line))
            else:
                first[key] = line
        return super().construct_mapping(node, deep=deep)


def read_yaml(text: str) -> YamlDocument:
    """Parse `text` (one document); raise `YamlProblem` when it cannot be read as YAML."""
    loader: _StrictLoader | None = None
    try:
        loader = _StrictLoader(text)  # reads the text: a control character fails here
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        raise _problem(exc) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"not valid YAML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise YamlProblem("not valid YAML: nested too deeply") from None
    except (ValueError, OverflowError, TypeError) as exc:
        # A scalar that looks typed and is not: a date like 2026-02-30, !!float 'abc'.
        raise YamlProblem(f"a value YAML cannot read: {' '.join(str(exc).split())}") from None
    finally:
        if loader is not None:
            loader.dispose()
    lines = _key_lines(root) if root is not None else {}
    document = YamlDocument(data, lines=lines)
    paths = _mapping_paths(root) if loader.seen_twice and root is not None else {}
    for mapping, key, first, again in loader.seen_twice:
        where = (*paths.get(id(mapping), ()), _loc_part(key))
        message = f"duplicate key {key!r} on lines {first} and {again}: YAML keeps only the last"
        document.duplicates.append((where, message))
        document._duplicate_lines.append(again)
    return document


# PyYAML's parser messages name grammar tokens; these are the usual causes in hand-written files.
_YAML_HINTS = {
    "<block": "check that this line is indented like its siblings",
    "'\\t'": "indent with spaces, not tabs",
    "mapping values are not allowed": "quote values that contain ': '",
}


def _problem(exc: yaml.MarkedYAMLError) -> YamlProblem:
    mark = exc.problem_mark or exc.context_mark
    message = exc.problem or exc.context or "not valid YAML"
    hints = [hint for token, hint in _YAML_HINTS.items() if token in message]
    if hints:
        message += f" ({hints[0]})"
    if mark is None:
        return YamlProblem(message)
    return YamlProblem(message, mark.line + 1, mark.column + 1)


def _key_lines(root: Node) -> dict[Loc, int]:
    """Each key path's line (the key's, or a list item's own). Iterative, and each node is
    walked once: an alias repeats a node, and YAML's "billion laughs" repeats it billions of
    times over."""
    lines: dict[Loc, int] = {}
    seen: set[int] = set()
    stack: list[tuple[Node, Loc]] = [(root, ())]
    while stack:
        node, loc = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        children = _children(node, loc)
        for child_loc, line, _ in children:
            lines.setdefault(child_loc, line)
        # Reversed: the first child is walked first, so its keys' lines are the ones kept.
        stack.extend((child, child_loc) for child_loc, _, child in reversed(children))
    return lines


def _mapping_paths(root: Node) -> dict[int, Loc]:
    paths: dict[int, Loc] = {}
    stack: list[tuple[Node, Loc]] = [(root, ())]
    while stack:
        node, loc = stack.pop()
        if id(node) in paths:
            continue
        paths[id(node)] = loc
        stack.extend((child, child_loc) for child_loc, _, child in _children(node, loc))
    return paths


def _children(node: Node, loc: Loc) -> list[tuple[Loc, int, Node]]:
    if isinstance(node, SequenceNode):
        return [((*loc, i), item.start_mark.line + 1, item) for i, item in enumerate(node.value)]
    if not isinstance(node, MappingNode):
        return []
    found: list[tuple[Loc, int, Node]] = []
    # Explicit keys first: setdefault keeps the first line seen, and they override merged ones.
    for key, value in sorted(node.value, key=lambda pair: pair[0].tag == MERGE_TAG):
        if key.tag == MERGE_TAG:
            merged = value.value if isinstance(value, SequenceNode) else [value]
            found += [child for part in merged for child in _children(part, loc)]
        elif isinstance(key, ScalarNode):
            # The last of duplicate keys is the one YAML keeps: its line goes first.
            found.insert(0, ((*loc, key.value), key.start_mark.line + 1, value))
    return found


def _loc_part(key: Hashable) -> int | str:
    return key if isinstance(key, str) else str(key)


def _normal(loc: Loc) -> Loc:
    return tuple(part if isinstance(part, int) else str(part) for part in loc)
