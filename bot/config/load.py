"""Reading leadbot.yml: from disk (YAML errors with line and column, duplicate keys refused),
validated against the schema (bot/config/schema.py) with every problem of every layer reported
at once (bot/config/layers.py), each with its line, and the built-in defaults the demo runs on."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.config.errors import ConfigError, Problem, describe
from bot.config.layers import check_layers
from bot.config.schema import Config
from bot.config.yaml_source import YamlProblem, read_yaml


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and validate a ``leadbot.yml`` file; errors are prefixed with the path given."""
    source = os.fspath(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(["file not found"], source) from None
    except UnicodeDecodeError:
        raise ConfigError(["not a UTF-8 text file"], source) from None
    except OSError as exc:
        raise ConfigError([f"cannot read the file: {exc.strerror or exc}"], source) from None
    try:
        document = read_yaml(text)
    except YamlProblem as exc:
        raise ConfigError([str(exc)], source) from None
    return parse_config(
        document.data,
        source,
        base=Path(path).resolve().parent,
        found=document.duplicates,
        line_of=document.line_of,
    )


# The built-in setup `leadbot demo` runs on: three reps in three time zones, one manager.
DEMO_SETTINGS: dict[str, Any] = {
    "timezone": "America/New_York",
    "business_hours": "always",
    "channels": {"leads": "C0LEADS", "queue": "C0QUEUE", "managers": "C0MGRS"},
    "managers": [{"id": "U0MAYA", "name": "Maya", "timezone": "America/New_York"}],
    "admins": ["U0MAYA"],
    "reps": [
        {"id": "U0ALICE", "name": "Alice", "timezone": "Europe/Berlin", "manager": "U0MAYA"},
        {"id": "U0BO", "name": "Bo", "timezone": "America/New_York", "manager": "U0MAYA"},
        {"id": "U0CHEN", "name": "Chen", "timezone": "Asia/Singapore", "manager": "U0MAYA"},
    ],
    # The demo's virtual clock starts at the wall clock's time: on a Monday morning a
    # scheduled digest would land in the middle of its story.
    "digest": {"enabled": False},
}


def default_config() -> Config:
    """The built-in setup used by ``leadbot demo`` (`DEMO_SETTINGS`)."""
    return parse_config(DEMO_SETTINGS, source="built-in defaults")


def parse_config(
    data: object,
    source: str = "leadbot.yml",
    base: Path | None = None,
    *,
    found: list[Problem] | None = None,
    line_of: Callable[[Problem], int | None] | None = None,
) -> Config:
    """Validate already-parsed YAML; raise ``ConfigError`` listing every problem found. `base`:
    the directory relative paths in it are read from (leadbot.yml's own; else the current).
    `found`: problems the YAML itself had (duplicate keys); `line_of`: the line of a problem."""
    if data is None:
        raise ConfigError([_NO_SETTINGS], source)
    if not isinstance(data, dict):
        raise ConfigError(
            [f"expected settings as 'key: value' lines at the top level, got {describe(data)}"],
            source,
        )
    checked = check_layers(data)
    problems = [*(found or []), *checked.problems]
    config = checked.config
    if config is not None:
        config = _with_template_dir(config, base)
        problems += _template_problems(config, cadences=checked.valid("cadences", "followup"))
    if problems or config is None:
        ordered = sorted(problems, key=_document_order)
        raise ConfigError.from_problems(ordered, source, line_of)
    return config


def _with_template_dir(config: Config, base: Path | None) -> Config:
    directory = config.followup.templates
    if directory is None or Path(directory).is_absolute():
        return config
    resolved = str((base or Path.cwd()) / directory)
    followup = config.followup.model_copy(update={"templates": resolved})
    return config.model_copy(update={"followup": followup})


def _template_problems(config: Config, *, cadences: bool) -> list[Problem]:
    """The template files' problems, and cadence steps naming a template there is no file
    for (only when `cadences` and `followup` were valid: else they are defaults here)."""
    # Imported here: the follow-up package builds on the config, and a cadence naming a
    # template is checked against the template files, which only it reads.
    from bot.followup.outreach_setup import cadence_template_problems, template_set

    templates, broken = template_set(config)
    problems: list[Problem] = list(cadence_template_problems(config, templates) if cadences else [])
    problems += [(("followup", "templates"), problem) for problem in broken]
    return problems


def _document_order(problem: Problem) -> tuple[int, int]:
    # Cross-key problems are found separately; sorting by section, then by list entry, puts
    # each rep's problems together. The sort is stable, so pydantic's order is kept otherwise.
    loc = problem[0]
    sections = list(Config.model_fields)
    section = sections.index(loc[0]) if loc and loc[0] in sections else len(sections)
    entry = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else -1
    return section, entry


_NO_SETTINGS = (
    "no settings found: expected at least 'channels' and 'reps' (see leadbot.example.yml)"
)
