"""Reading leadbot.yml: from disk (YAML errors with line and column), validated against the
schema (bot/config/schema.py) with every problem reported at once, and the built-in defaults
the demo runs on."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from pydantic import ValidationError

from bot.config.errors import ConfigError, Problem, cross_checks, describe, problems_from
from bot.config.routing_checks import check_routing
from bot.config.schema import Config


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
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        raise ConfigError([_yaml_message(exc)], source) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"not valid YAML: {exc}"], source) from None
    return parse_config(data, source, base=Path(path).resolve().parent)


# PyYAML's parser messages name grammar tokens; these are the usual causes in hand-written files.
_YAML_HINTS = {
    "<block": "check that this line is indented like its siblings",
    "'\\t'": "indent with spaces, not tabs",
    "mapping values are not allowed": "quote values that contain ': '",
}


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    message = exc.problem or exc.context or "not valid YAML"
    hints = [hint for token, hint in _YAML_HINTS.items() if token in message]
    if hints:
        message += f" ({hints[0]})"
    return f"line {mark.line + 1}, column {mark.column + 1}: {message}" if mark else message


def default_config() -> Config:
    """The built-in setup used by ``leadbot demo``: three reps in three time zones, one manager."""
    return parse_config(
        {
            "timezone": "America/New_York",
            "business_hours": "always",
            "channels": {"leads": "C0LEADS", "queue": "C0QUEUE", "managers": "C0MGRS"},
            "managers": [{"id": "U0MAYA", "name": "Maya", "timezone": "America/New_York"}],
            "admins": ["U0MAYA"],
            "reps": [
                {
                    "id": "U0ALICE",
                    "name": "Alice",
                    "timezone": "Europe/Berlin",
                    "manager": "U0MAYA",
                },
                {"id": "U0BO", "name": "Bo", "timezone": "America/New_York", "manager": "U0MAYA"},
                {"id": "U0CHEN", "name": "Chen", "timezone": "Asia/Singapore", "manager": "U0MAYA"},
            ],
            # The demo's virtual clock starts at the wall clock's time: on a Monday morning a
            # scheduled digest would land in the middle of its story.
            "digest": {"enabled": False},
        },
        source="built-in defaults",
    )


def parse_config(data: object, source: str = "leadbot.yml", base: Path | None = None) -> Config:
    """Validate already-parsed YAML; raise ``ConfigError`` listing every problem found. `base`:
    the directory relative paths in it are read from (leadbot.yml's own; else the current)."""
    if data is None:
        raise ConfigError([_NO_SETTINGS], source)
    if not isinstance(data, dict):
        raise ConfigError(
            [f"expected settings as 'key: value' lines at the top level, got {describe(data)}"],
            source,
        )
    problems: list[Problem] = []
    config: Config | None = None
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        problems = problems_from(exc, Config)
    problems += cross_checks(data)
    if config is not None:
        problems += check_routing(config.routing, config.teams, config.rep_ids())
        config = _with_template_dir(config, base)
        problems += _template_problems(config)
    if problems or config is None:
        raise ConfigError.from_problems(sorted(problems, key=_document_order), source)
    return config


def _with_template_dir(config: Config, base: Path | None) -> Config:
    directory = config.followup.templates
    if directory is None or Path(directory).is_absolute():
        return config
    resolved = str((base or Path.cwd()) / directory)
    followup = config.followup.model_copy(update={"templates": resolved})
    return config.model_copy(update={"followup": followup})


def _template_problems(config: Config) -> list[Problem]:
    # Imported here: the follow-up package builds on the config, and a cadence naming a
    # template is checked against the template files, which only it reads.
    from bot.followup.outreach_setup import cadence_template_problems, template_set

    templates, broken = template_set(config)
    problems: list[Problem] = list(cadence_template_problems(config, templates))
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
