"""`leadbot templates check`: load every outreach template and render it with sample leads.

Errors (the template cannot be used): syntax, the sandbox, a front-matter mistake, a render
that fails. Warnings (it renders, but reads badly for someone): a value printed without a
`default` that a sample lead lacks (the message would have a gap), a name leadbot does not
provide (a typo, most likely), a LinkedIn note over LinkedIn's 300 characters, no words at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from jinja2 import TemplateSyntaxError, meta, nodes

from bot.followup.outreach import OutreachError, OutreachTemplates, Severity, TemplateProblem
from bot.followup.outreach_context import OutreachContext, sample_contexts
from bot.followup.outreach_sandbox import OutreachEnvironment

LINKEDIN_NOTE_LIMIT = 300  # characters in a LinkedIn connection note
PROVIDED: dict[str, frozenset[str]] = {
    "lead": frozenset(
        {"id", "name", "first_name", "last_name", "email", "phone", "company", "product"}
        | {"message", "country", "region", "source", "fields"}
    ),
    "owner": frozenset({"name", "first_name", "email"}),
    "cadence": frozenset({"name", "day", "step", "steps", "channel"}),
}


def check_templates(
    directory: Path, samples: Sequence[OutreachContext] | None = None
) -> list[TemplateProblem]:
    """Every problem in `directory`'s templates, in file and line order."""
    templates, problems = OutreachTemplates.load(directory)
    contexts = list(samples) if samples is not None else sample_contexts()
    for name in templates.names():
        problems += _check(templates, name, contexts)
    return sorted(problems, key=lambda p: (p.path, p.line or 0, p.severity))


def _check(
    templates: OutreachTemplates, name: str, contexts: list[OutreachContext]
) -> list[TemplateProblem]:
    template = templates.get(name)
    if template is None:  # not a name from names()
        return []
    unknown = _unknown_names(template.body_source, lambda line: template.body_line + line - 1)
    if template.subject_source is not None:
        subject_line = template.subject_line
        unknown += _unknown_names(template.subject_source, lambda _: subject_line)
    found: dict[tuple[int | None, str], Severity] = {
        (at, text): "warning" for at, _, text in unknown
    }
    typos = {variable for _, variable, _ in unknown}  # warned about once, as a typo
    for context in contexts:
        try:
            rendered, missing = templates.render_traced(name, context)
        except OutreachError as err:
            found.setdefault((err.problem.line, err.problem.message), "error")
            continue
        for variable, line in missing:
            if variable not in typos and not _said(found, line, variable):
                found[(line, _gap(variable, context.label))] = "warning"
        for text in _reading(rendered.body, template.channel, context.label):
            found.setdefault((None, text), "warning")
    where = str(template.path)
    return [TemplateProblem(where, line, text, kind) for (line, text), kind in found.items()]


def _said(found: dict[tuple[int | None, str], str], line: int | None, variable: str) -> bool:
    # One warning per value and line, for the first sample lead that lacks it.
    return any(at == line and text.startswith(f"'{variable}' ") for at, text in found)


def _gap(variable: str, label: str) -> str:
    return (
        f"'{variable}' has no value for {label} and no default, so the message has a gap: "
        f'write {{{{ {variable} | default("…") }}}} or wrap it in {{% if {variable} %}}'
    )


def _reading(body: str, channel: str, label: str) -> list[str]:
    if not body.strip():
        return [f"renders no words for {label}"]
    if channel == "linkedin" and len(body) > LINKEDIN_NOTE_LIMIT:
        return [
            f"renders {len(body)} characters for {label}: a LinkedIn connection note "
            f"holds {LINKEDIN_NOTE_LIMIT}"
        ]
    return []


def _unknown_names(
    source: str, file_line: Callable[[int], int | None]
) -> list[tuple[int | None, str, str]]:
    """(line, name, warning) for each name that is not `lead`, `owner`, `cadence` (or a global,
    or set in the template), and each key of those three that leadbot never fills: almost
    always a typo."""
    env = OutreachEnvironment()
    try:
        tree = env.parse(source)
    except TemplateSyntaxError:
        return []  # said by load already
    names = meta.find_undeclared_variables(tree) - set(PROVIDED) - set(env.globals)
    first_use = {}
    for name_node in tree.find_all(nodes.Name):
        first_use.setdefault(name_node.name, name_node.lineno)
    found = [
        (file_line(first_use.get(name, 1)), name, f"'{name}' is not a value leadbot provides")
        for name in sorted(names)
    ]
    for node in tree.find_all(nodes.Getattr):
        inner = node.node
        provided = PROVIDED.get(inner.name) if isinstance(inner, nodes.Name) else None
        if provided is None or node.attr in provided:
            continue
        variable = f"{inner.name}.{node.attr}"  # type: ignore[attr-defined]
        text = f"'{variable}' is not a value leadbot provides ({', '.join(sorted(provided))})"
        found.append((file_line(node.lineno), variable, text))
    return found
